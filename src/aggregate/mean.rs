//! Coordinate-wise mean (plain averaging, the non-robust baseline).
//!
//! `mean(v)_j = (1/n) Σ_i v_i[j]`. This is the aggregation rule of standard
//! distributed (mini-batch) SGD, used as the reference in every robust
//! aggregation paper, e.g. Blanchard et al., "Machine Learning with
//! Adversaries: Byzantine Tolerant Gradient Descent", NeurIPS 2017.
//!
//! Sums are accumulated in `f64` in index order, so the result is accurate and
//! bit-for-bit deterministic. Preconditions (caller guarantees): all vectors
//! have the same length. `n = 0` yields an empty vector. Non-finite inputs
//! propagate (IEEE semantics) and never panic.

use super::Vectors;
use super::{Capabilities, RuleEntry};
use crate::spec::{Kind, Spec};

/// Coordinate-wise average of the vectors, accumulated in `f64`. Blocks of
/// coordinates run in parallel; each coordinate's sum is in index order.
pub fn mean(v: &Vectors) -> Vec<f32> {
    use rayon::prelude::*;
    const BLOCK: usize = 1 << 14;
    let Some(first) = v.first() else {
        return Vec::new();
    };
    let n = v.len() as f64;
    let mut out = vec![0f32; first.len()];
    out.par_chunks_mut(BLOCK).enumerate().for_each(|(b, out)| {
        let start = b * BLOCK;
        let mut acc = vec![0.0f64; out.len()];
        for x in v {
            for (a, &xj) in acc.iter_mut().zip(&x[start..start + out.len()]) {
                *a += f64::from(xj);
            }
        }
        out.iter_mut().zip(acc).for_each(|(o, a)| *o = (a / n) as f32);
    });
    out
}

/// The registry entry of the plain mean (`mean`), the non-robust baseline.
pub const ENTRY: RuleEntry = RuleEntry {
    spec: Spec {
        name: "mean",
        kind: Kind::Rule,
        aliases: &["average"],
        summary: "the plain average (not robust)",
        doc: "F(x_1..x_n) = (1/n) Σ x_i, the D-SGD update (001 §2).",
        params: &[],
        requires: None,
        degenerate: None,
        needs_labels: false,
    },
    build: |_| Box::new(|v, _| mean(v)),
    capabilities: Capabilities::NONE,
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_and_single() {
        assert!(mean(&[]).is_empty());
        assert_eq!(mean(&[vec![1.5, -2.0]]), vec![1.5, -2.0]);
    }

    #[test]
    fn hand_computed() {
        let v = [vec![1.0, 2.0], vec![3.0, -4.0], vec![5.0, 8.0]];
        // (1+3+5)/3 = 3, (2-4+8)/3 = 2
        assert_eq!(mean(&v), vec![3.0, 2.0]);
        let v = [vec![0.0, 1.0], vec![1.0, 0.0]];
        assert_eq!(mean(&v), vec![0.5, 0.5]);
    }

    #[test]
    fn accumulates_in_f64() {
        // In f32, 1e8 + 1 rounds back to 1e8 and the sum would be 0.
        let v = [vec![1e8], vec![1.0], vec![-1e8]];
        assert_eq!(mean(&v), vec![1.0 / 3.0]);
    }

    #[test]
    fn non_finite_does_not_panic() {
        let v = [vec![f32::NAN, 1.0], vec![0.0, f32::INFINITY]];
        let m = mean(&v);
        assert!(m[0].is_nan() && m[1] == f32::INFINITY);
    }

    #[test]
    fn permutation_invariant() {
        let (v, w) = crate::aggregate::testing::reordered(7, (0, 3));
        assert_eq!(mean(&v), mean(&w));
    }
}
