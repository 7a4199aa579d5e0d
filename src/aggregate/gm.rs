//! Geometric median (GM) by the smoothed Weiszfeld algorithm.
//!
//! `gm(v) ≈ argmin_z Σ_i ‖z − v_i‖`. Source: Pillutla, Kakade & Harchaoui,
//! "Robust Aggregation for Federated Learning", IEEE Trans. Signal Processing
//! 2022 (RFA), Algorithm 3 "smoothed Weiszfeld" with unit weights:
//! start at the coordinate-wise mean `z`; repeat at most `iters` times
//! `w_i = 1 / max(nu, ‖z − v_i‖)`, `z ← Σ w_i v_i / Σ w_i`, and stop early once
//! the objective `F(z) = Σ_i ‖z − v_i‖` satisfies `|F_prev − F_new| < tol·F_new` (or `F_new = 0`)
//! (as in the reference implementation, the check follows the update).
//!
//! Every iterate is `z = Σ_i α_i v_i` with `Σ α_i = 1`, so its distances follow
//! from one Gram matrix of the vectors centred on the first one,
//! `G_ik = (v_i − v_1)·(v_k − v_1)`: `‖z − v_k‖² = αᵀGα − 2(Gα)_k + G_kk`.
//! The iterations therefore run in n dimensions after one pass over the data
//! (`kernels::centered_gram`, blockwise, in `f64`), and a second pass forms
//! `z = Σ w_i v_i / Σ w_i` coordinate by coordinate in `f64`, in index order.
//! Centring keeps the cancellation in the formula at the scale of the spread
//! of the vectors rather than of their norms. Results do not depend on the
//! thread count.
//!
//! Non-finite inputs: if any vector has a NaN or infinite coordinate the
//! output is all NaN — the objective is undefined there — which a run reports
//! as a divergence (the attack `inf` relies on this; leaving such vectors out
//! would be the alternative). `n = 0` yields an empty vector, `iters = 0` the
//! mean. `nu > 0` (checked).

use super::Vectors;
use super::copies::{GmWithCopies, WithCopies};
use super::kernels::{centered_gram, dim, weighted_mean};
use super::{Capabilities, RuleEntry};
use crate::spec::{Default, Kind, Param, ParamType, Spec};

/// Zero Weiszfeld iterations return the starting point, the mean.
fn no_iterations(_: &crate::spec::Setting, args: &crate::plan::Args) -> Option<crate::spec::Unmet> {
    matches!(args.get("iters"), Some(crate::plan::ArgValue::Int(0))).then(|| crate::spec::Unmet {
        message: "gm(iters: 0) returns its starting point, the mean: it equals `mean`".into(),
        label: "no iteration".into(),
        help: "give at least one iteration; 001 Table 4 uses T = 8: `gm(iters: 8)`".into(),
    })
}

/// Smoothed-Weiszfeld approximation of the geometric median: at most `iters` steps from the mean.
pub(crate) fn geometric_median(v: &Vectors, iters: usize, nu: f64, tol: f64) -> Vec<f32> {
    if v.is_empty() {
        return Vec::new();
    }
    let d = dim(v);
    let rows: Vec<&[f32]> = v.iter().map(|x| &x[..d]).collect();
    if rows.iter().any(|x| x.iter().any(|t| !t.is_finite())) {
        return vec![f32::NAN; d];
    }
    weighted_mean(&rows, &weiszfeld(&centered_gram(&rows), iters, nu, tol))
}

/// The weights of the last Weiszfeld iterate, from the vectors' centred Gram matrix (m × m).
pub(crate) fn weiszfeld(gram: &[f64], iters: usize, nu: f64, tol: f64) -> Vec<f64> {
    let m = gram.len().isqrt();
    let mut w = vec![1.0f64; m];
    let mut dist = distances(gram, &w);
    let mut obj: f64 = dist.iter().sum();
    for _ in 0..iters {
        w = dist.iter().map(|&dk| 1.0 / dk.max(nu)).collect();
        dist = distances(gram, &w);
        let new_obj: f64 = dist.iter().sum();
        // An objective of 0 is the global minimum (all points coincide with z).
        let converged = (obj - new_obj).abs() < tol * new_obj || new_obj == 0.0;
        obj = new_obj;
        if converged {
            break;
        }
    }
    w
}

/// `‖z − v_k‖` for `z = Σ w_i v_i / Σ w_i`, from the centred Gram matrix.
fn distances(gram: &[f64], w: &[f64]) -> Vec<f64> {
    let m = w.len();
    let total: f64 = w.iter().sum();
    let alpha: Vec<f64> = w.iter().map(|wi| wi / total).collect();
    let g_alpha: Vec<f64> = (0..m).map(|k| (0..m).map(|i| gram[k * m + i] * alpha[i]).sum()).collect();
    let quad: f64 = alpha.iter().zip(&g_alpha).map(|(a, g)| a * g).sum();
    (0..m).map(|k| (quad - 2.0 * g_alpha[k] + gram[k * m + k]).max(0.0).sqrt()).collect()
}

/// The registry entry of the geometric median (`gm`), 8 Weiszfeld iterations by default.
pub const ENTRY: RuleEntry = RuleEntry {
    spec: Spec {
        name: "gm",
        kind: Kind::Rule,
        aliases: &["rfa", "geometric_median"],
        summary: "geometric median by smoothed Weiszfeld iterations",
        doc: "argmin_z Σ ||z − x_i||, approximated by the smoothed Weiszfeld algorithm of \
              Pillutla et al. 2022 started from the coordinate-wise mean; 8 iterations as in 001 Table 4.",
        params: &[
            Param {
                name: "iters",
                ty: ParamType::Int { min: 0 },
                default: Default::Int(8),
                doc: "Weiszfeld iterations",
            },
            Param {
                name: "nu",
                ty: ParamType::Float { min: 0.0, inclusive: false },
                default: Default::Float(1e-6),
                doc: "smoothing: distances below ν count as ν",
            },
            Param {
                name: "tol",
                ty: ParamType::Float { min: 0.0, inclusive: true },
                default: Default::Float(1e-6),
                doc: "stop early when the objective's relative change is below this",
            },
        ],
        requires: None,
        degenerate: Some(no_iterations),
        needs_labels: false,
    },
    build: |c| {
        let (iters, nu, tol) = (c.int("iters") as usize, c.float("nu"), c.float("tol"));
        Box::new(move |v, _| geometric_median(v, iters, nu, tol))
    },
    capabilities: Capabilities {
        with_copies: Some(|c| {
            let params = (c.int("iters") as usize, c.float("nu"), c.float("tol"));
            Box::new(move |h, f| WithCopies::Gm(GmWithCopies::new(h, f, params)))
        }),
        ..Capabilities::NONE
    },
};

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: &[f32], b: &[f32], eps: f32) -> bool {
        a.len() == b.len() && a.iter().zip(b).all(|(x, y)| (x - y).abs() <= eps)
    }

    #[test]
    fn empty_single_and_zero_iters() {
        assert!(geometric_median(&[], 10, 1e-6, 1e-9).is_empty());
        assert_eq!(geometric_median(&[vec![1.0, 2.0]], 10, 1e-6, 1e-9), vec![1.0, 2.0]);
        let v = [vec![0.0, 0.0], vec![3.0, 0.0], vec![0.0, 30.0]];
        assert_eq!(geometric_median(&v, 0, 1e-6, 1e-9), vec![1.0, 10.0]);
    }

    #[test]
    fn collinear_points_give_the_middle_one() {
        let v = [vec![0.0, 0.0], vec![1.0, 1.0], vec![10.0, 10.0]];
        let z = geometric_median(&v, 1000, 1e-8, 0.0);
        assert!(close(&z, &[1.0, 1.0], 1e-4), "{z:?}");
    }

    #[test]
    fn equilateral_triangle_gives_centroid() {
        let h = 3f32.sqrt();
        let v = [vec![0.0, 0.0], vec![2.0, 0.0], vec![1.0, h]];
        let z = geometric_median(&v, 100, 1e-8, 1e-12);
        assert!(close(&z, &[1.0, h / 3.0], 1e-5), "{z:?}");
    }

    #[test]
    fn convex_quadrilateral_gives_diagonal_intersection() {
        // Diagonals (0,0)-(4,1) and (4,0)-(0,3) meet at (3, 0.75); the mean is (2, 1).
        let v = [vec![0.0, 0.0], vec![4.0, 0.0], vec![4.0, 1.0], vec![0.0, 3.0]];
        let z = geometric_median(&v, 1000, 1e-8, 0.0);
        assert!(close(&z, &[3.0, 0.75], 1e-4), "{z:?}");
    }

    #[test]
    fn non_finite_gives_nan() {
        let v = [vec![1.0, f32::INFINITY], vec![0.0, 0.0], vec![2.0, 4.0]];
        assert!(geometric_median(&v, 10, 1e-6, 1e-9).iter().all(|x| x.is_nan()));
        let v = [vec![f32::NAN, 0.0], vec![0.0, 0.0]];
        assert!(geometric_median(&v, 0, 1e-6, 1e-9).iter().all(|x| x.is_nan()));
    }

    #[test]
    fn permutation_invariant() {
        let (v, w) = crate::aggregate::testing::reordered(7, (2, 6));
        let (a, b) = (geometric_median(&v, 200, 1e-6, 1e-10), geometric_median(&w, 200, 1e-6, 1e-10));
        assert!(close(&a, &b, 1e-5), "{a:?} vs {b:?}");
    }
}
