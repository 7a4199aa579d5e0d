//! Divide-and-Conquer (DnC).
//!
//! Shejwalkar & Houmansadr, "Manipulating the Byzantine: Optimizing Model
//! Poisoning Attacks and Defenses for Federated Learning", NDSS 2021, Alg. 2.
//! Each of `iters` rounds draws `dim` coordinates at random (without
//! replacement, from the step's stream), centres the n sub-vectors on their
//! mean, and scores each by its squared projection on the top right singular
//! vector of the centred n × dim matrix: a Byzantine group that pulls the
//! aggregate one way stands out along that direction. The ⌊c·f⌋ highest
//! scores are removed; the output is the mean of the full vectors that
//! survived every round (the intersection of the rounds' good sets).
//!
//! The top singular vector is read off the n × n Gram matrix of the centred
//! sub-vectors: if `u` is its top eigenvector with eigenvalue λ, the
//! projection of row i on the top right singular vector is √λ·u_i, so the
//! score is λ·u_i². This costs O(n²·dim + n³) per round instead of an SVD of
//! the n × dim matrix (`spectral::top_eigen`, nalgebra's eigensolver).
//!
//! Defaults dim = 10,000 (all coordinates when d is smaller), 5 rounds, c = 1
//! (Blades' `fedlib` and FLPoison). The rounds' good sets are intersected, as
//! in FLPoison and FL-Byzantine-Library (Blades' code averages their union);
//! where they share no vector, their union is averaged (as
//! FL-Byzantine-Library does).
//! A vector with a non-finite sampled coordinate scores +inf and is removed
//! first; a non-finite value in a coordinate no round sampled propagates.

use nalgebra::DMatrix;
use rand::seq::index;

use super::kernels::{dim, mean_of};
use super::spectral::top_eigen;
use super::{Capabilities, Ctx, RuleEntry, Vectors};
use crate::plan::{ArgValue, Args};
use crate::spec::{Default, Kind, Param, ParamType, Setting, Spec, Unmet};

/// The indices DnC keeps, in increasing order.
pub(crate) fn dnc_select(v: &Vectors, ctx: &mut Ctx, sub_dim: usize, iters: usize, c: f64) -> Vec<usize> {
    let n = v.len();
    let d = dim(v);
    if n == 0 || d == 0 {
        return (0..n).collect();
    }
    let removed = removed(n, ctx.f, c);
    let mut good = vec![true; n];
    let mut union = vec![false; n];
    for _ in 0..iters {
        let mut coords = index::sample(&mut *ctx.rng, d, sub_dim.min(d)).into_vec();
        coords.sort_unstable();
        let scores = outlier_scores(v, &coords);
        let mut order: Vec<usize> = (0..n).collect();
        order.sort_by(|&a, &b| scores[a].total_cmp(&scores[b]).then(a.cmp(&b)));
        let mut kept = vec![false; n];
        for &i in &order[..n - removed] {
            kept[i] = true;
        }
        for i in 0..n {
            good[i] &= kept[i];
            union[i] |= kept[i];
        }
    }
    let pick = if good.contains(&true) { good } else { union };
    (0..n).filter(|&i| pick[i]).collect()
}

/// The aggregate: the mean of the vectors `dnc_select` keeps.
pub fn dnc(v: &Vectors, ctx: &mut Ctx, sub_dim: usize, iters: usize, c: f64) -> Vec<f32> {
    mean_of(v, &dnc_select(v, ctx, sub_dim, iters, c))
}

/// ⌊c·f⌋ vectors removed per round, leaving at least one.
fn removed(n: usize, f: usize, c: f64) -> usize {
    ((c * f as f64).floor() as usize).min(n.saturating_sub(1))
}

/// λ·u_i² for each row, on the sampled coordinates; +inf for a row with a
/// non-finite sampled value (left out of the centring and the Gram matrix).
fn outlier_scores(v: &Vectors, coords: &[usize]) -> Vec<f64> {
    let rows: Vec<Option<Vec<f64>>> = v
        .iter()
        .map(|r| {
            let x: Vec<f64> = coords.iter().map(|&j| f64::from(r[j])).collect();
            x.iter().all(|t| t.is_finite()).then_some(x)
        })
        .collect();
    let finite: Vec<&Vec<f64>> = rows.iter().flatten().collect();
    let m = finite.len();
    let mut scores = vec![f64::INFINITY; v.len()];
    if m == 0 {
        return scores;
    }
    let b = coords.len();
    let mu: Vec<f64> = (0..b).map(|j| finite.iter().map(|r| r[j]).sum::<f64>() / m as f64).collect();
    let centred: Vec<Vec<f64>> = finite.iter().map(|r| r.iter().zip(&mu).map(|(x, c)| x - c).collect()).collect();
    let gram = DMatrix::from_fn(m, m, |i, k| centred[i].iter().zip(&centred[k]).map(|(a, b)| a * b).sum::<f64>());
    // Finite rows give a finite matrix; should the eigensolver fail all the same, no finite row stands out.
    let (lambda, u) = top_eigen(gram).unwrap_or((0.0, nalgebra::DVector::zeros(m)));
    let mut k = 0;
    for (i, row) in rows.iter().enumerate() {
        if row.is_some() {
            scores[i] = lambda.max(0.0) * u[k].powi(2);
            k += 1;
        }
    }
    scores
}

fn keeps_one(s: &Setting, args: &Args) -> Result<(), Unmet> {
    let c = args.get("c").and_then(ArgValue::number).unwrap_or(1.0);
    let removed = (c * s.f as f64).floor() as usize;
    if removed >= s.n {
        return Err(Unmet {
            message: format!("DnC would remove ⌊c·f⌋ = {removed} of {} vectors in each round", s.n),
            label: format!("removes {removed} of {}", s.n),
            help: "use a smaller `c` (`dnc(c: 1)` removes f), or more workers".into(),
        });
    }
    Ok(())
}

/// The registry entry of Divide-and-Conquer (`dnc`).
pub const ENTRY: RuleEntry = RuleEntry {
    spec: Spec {
        name: "dnc",
        kind: Kind::Rule,
        aliases: &["divide_and_conquer"],
        summary: "Divide-and-Conquer: remove the outliers along the top singular direction of random coordinates",
        doc: "Shejwalkar & Houmansadr, NDSS 2021, Alg. 2. Each of `iters` rounds samples `dim` coordinates, \
              centres the sub-vectors and removes the ⌊c·f⌋ with the largest squared projection on the top \
              right singular vector; the mean of the vectors kept by every round is the output (their union \
              if no vector survives every round). Random coordinates come from the step's stream, so runs \
              are deterministic. Defaults dim 10,000, 5 rounds, c = 1 (Blades, FLPoison).",
        params: &[
            Param {
                name: "dim",
                ty: ParamType::Int { min: 1 },
                default: Default::Int(10_000),
                doc: "coordinates sampled per round (all when d is smaller)",
            },
            Param { name: "iters", ty: ParamType::Int { min: 1 }, default: Default::Int(5), doc: "rounds" },
            Param {
                name: "c",
                ty: ParamType::Float { min: 0.0, inclusive: true },
                default: Default::Float(1.0),
                doc: "filtering fraction: ⌊c·f⌋ vectors removed per round",
            },
        ],
        requires: Some(keeps_one),
        degenerate: None,
        needs_labels: false,
    },
    build: |c| {
        let (sub_dim, iters, frac) = (c.int("dim") as usize, c.int("iters") as usize, c.float("c"));
        Box::new(move |v, ctx| dnc(v, ctx, sub_dim, iters, frac))
    },
    capabilities: Capabilities {
        select: Some(|c| {
            let (sub_dim, iters, frac) = (c.int("dim") as usize, c.int("iters") as usize, c.float("c"));
            Box::new(move |v, ctx| dnc_select(v, ctx, sub_dim, iters, frac))
        }),
        ..Capabilities::NONE
    },
};

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    fn ctx_run(v: &Vectors, f: usize, sub_dim: usize, iters: usize, c: f64) -> Vec<usize> {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        dnc_select(v, &mut Ctx { f, rng: &mut rng, previous: &[], norms: &[], server: &[] }, sub_dim, iters, c)
    }

    /// Six points spread on a line through the origin's neighbourhood and
    /// two far along it: the top singular direction is the line, and the
    /// two far points have the largest projections.
    #[test]
    fn removes_the_outliers_along_the_top_direction() {
        let mut v: Vec<Vec<f32>> = (0..6).map(|i| vec![i as f32 * 0.1 - 0.25, 0.05 * (i % 2) as f32]).collect();
        v.push(vec![10.0, 0.0]);
        v.push(vec![9.0, 0.1]);
        assert_eq!(ctx_run(&v, 2, 10, 1, 1.0), vec![0, 1, 2, 3, 4, 5]);
        // c = 0.5 removes ⌊0.5·2⌋ = 1: the farther one.
        assert_eq!(ctx_run(&v, 2, 10, 1, 0.5), vec![0, 1, 2, 3, 4, 5, 7]);
    }

    /// The score is the squared projection on the top right singular vector:
    /// for points on a line it is the squared distance to their mean.
    #[test]
    fn scores_are_squared_projections() {
        let v = [vec![0.0f32, 0.0], vec![1.0, 1.0], vec![3.0, 3.0]];
        let s = outlier_scores(&v, &[0, 1]);
        // mean (4/3, 4/3); distances² along (1,1)/√2: 2·(4/3)², 2·(1/3)², 2·(5/3)².
        for (got, want) in s.iter().zip([32.0 / 9.0, 2.0 / 9.0, 50.0 / 9.0]) {
            assert!((got - want).abs() < 1e-9, "{s:?}");
        }
    }

    #[test]
    fn non_finite_vectors_go_first() {
        let v = [vec![0.0f32, 1.0], vec![f32::NAN, 0.0], vec![0.1, 1.1], vec![0.2, 0.9]];
        assert_eq!(ctx_run(&v, 1, 2, 2, 1.0), vec![0, 2, 3]);
    }
}
