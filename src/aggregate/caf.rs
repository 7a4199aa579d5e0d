//! Covariance-bound agnostic filter (CAF).
//!
//! Allouah, Guerraoui & Stephan, "Towards Trustworthy Federated Learning with
//! Untrusted Participants", ICML 2025, as ByzFL implements it: weights
//! c_i = 1; while Σ c_i > n − 2f, take the weighted mean μ_c and covariance
//! Σ_c = (1/Σc) Σ c_i (x_i − μ_c)(x_i − μ_c)ᵀ, its top eigenvector v, the
//! squared projections τ_i = ((x_i − μ_c)·v)², and scale c_i by
//! 1 − τ_i / max_j τ_j; return the μ_c whose Σ_c had the smallest top
//! eigenvalue.
//!
//! Where byz differs from ByzFL, each time to compute the definition exactly:
//! - the top eigenpair is exact (from the n × n Gram matrix of the weighted,
//!   centred vectors, computed once per step), not one power-iteration step
//!   from a random vector, so the rule is deterministic;
//! - max_j τ_j runs over the vectors still weighted (ByzFL's runs over all,
//!   so a vector already removed can keep the maximum and the loop crawls:
//!   thousands of rounds on five points); each round thus removes at least
//!   one vector and the loop ends within n rounds;
//! - the weights that end the loop are scored too (ByzFL never scores them),
//!   and with f = 0 the output is the mean (ByzFL returns nothing).
//!
//! A vector with a non-finite coordinate starts with weight 0.

use nalgebra::DVector;

use super::kernels::weighted_mean;
use super::spectral::{centred, gram, top_eigen};
use super::{Capabilities, RuleEntry, Vectors};
use crate::spec::{Kind, Spec};

/// The final weights CAF averages with (one per vector).
pub(crate) fn caf_weights(v: &Vectors, f: usize) -> Vec<f64> {
    let n = v.len();
    let mut c: Vec<f64> = v.iter().map(|r| if r.iter().all(|x| x.is_finite()) { 1.0 } else { 0.0 }).collect();
    let finite: Vec<usize> = (0..n).filter(|&i| c[i] > 0.0).collect();
    let rows: Vec<&[f32]> = finite.iter().map(|&i| v[i].as_slice()).collect();
    let g = gram(&rows);
    let mut best = (f64::INFINITY, c.clone());
    let floor = n.saturating_sub(2 * f) as f64;
    loop {
        let live: Vec<usize> = (0..finite.len()).filter(|&k| c[finite[k]] > 0.0).collect();
        let total: f64 = live.iter().map(|&k| c[finite[k]]).sum();
        if live.is_empty() || total <= 0.0 {
            break;
        }
        let w: Vec<f64> = live.iter().map(|&k| c[finite[k]] / total).collect();
        let dd = centred(&g, &live, &w); // (x_i − μ_c)·(x_k − μ_c)
        let root = DVector::from_iterator(live.len(), w.iter().map(|x| x.sqrt()));
        // Σ_c's nonzero eigenvalues are those of W^½·DDᵀ·W^½ (W = diag(c)/Σc).
        let scaled = dd.component_mul(&(&root * root.transpose()));
        let Some((lambda, y)) = top_eigen(scaled) else { break };
        if lambda < best.0 {
            best = (lambda, c.clone());
        }
        if total <= floor || lambda <= 0.0 {
            break;
        }
        // τ_i = ((x_i − μ_c)·v)² with v ∝ Dᵀ·W^½·y: (DDᵀ·W^½·y)_i² / λ.
        let t = &dd * y.component_mul(&root);
        let tau: Vec<f64> = t.iter().map(|x| x * x / lambda).collect();
        let max = tau.iter().copied().fold(0.0, f64::max);
        // NaN-safe: a NaN maximum ends the loop too.
        if max.is_nan() || max <= 0.0 {
            break;
        }
        for (k, &at) in live.iter().enumerate() {
            c[finite[at]] *= (1.0 - tau[k] / max).max(0.0);
        }
    }
    best.1
}

/// The aggregate: the weighted mean with `caf_weights`.
pub fn caf(v: &Vectors, f: usize) -> Vec<f32> {
    let c = caf_weights(v, f);
    let kept: Vec<usize> = (0..v.len()).filter(|&i| c[i] > 0.0).collect();
    if kept.is_empty() {
        return super::mean::mean(v);
    }
    let rows: Vec<&[f32]> = kept.iter().map(|&i| v[i].as_slice()).collect();
    let w: Vec<f64> = kept.iter().map(|&i| c[i]).collect();
    weighted_mean(&rows, &w)
}

/// The registry entry of the covariance-bound agnostic filter (`caf`).
pub const ENTRY: RuleEntry = RuleEntry {
    spec: Spec {
        name: "caf",
        kind: Kind::Rule,
        aliases: &[],
        summary: "covariance-bound agnostic filter: down-weight along the top direction of the spread",
        doc: "Allouah, Guerraoui & Stephan, ICML 2025 (ByzFL's CAF): while the weights sum to more than \
              n − 2f, scale each weight by 1 − τ_i/max τ, τ_i the squared projection of x_i − μ_c on the \
              top eigenvector of the weighted covariance; return the weighted mean of least top \
              eigenvalue. Exact eigenpairs (ByzFL: one random power step), so deterministic.",
        params: &[],
        requires: None,
        degenerate: None,
        needs_labels: false,
    },
    build: |_| Box::new(|v, ctx| caf(v, ctx.f)),
    capabilities: Capabilities::NONE,
};

#[cfg(test)]
mod tests {
    use super::*;

    /// ByzFL's docstring example: CAF(1) on three points on a line is the middle one.
    #[test]
    fn byzfl_docstring_example() {
        let v = [vec![1.0f32, 2.0, 3.0], vec![4.0, 5.0, 6.0], vec![7.0, 8.0, 9.0]];
        let out = caf(&v, 1);
        for (o, e) in out.iter().zip([4.0, 5.0, 6.0]) {
            assert!((o - e).abs() < 1e-5, "{out:?}");
        }
    }

    /// A far outlier loses its weight; with f = 0 the rule is the mean.
    #[test]
    fn down_weights_the_outlier() {
        let v = [vec![0.0f32, 0.0], vec![0.2, 0.1], vec![-0.1, 0.2], vec![0.1, -0.2], vec![20.0, 20.0]];
        let c = caf_weights(&v, 1);
        assert_eq!(c[4], 0.0, "{c:?}");
        let out = caf(&v, 1);
        assert!(out[0].abs() < 0.2 && out[1].abs() < 0.2, "{out:?}");
        let mean = super::super::mean::mean(&v);
        assert!(caf(&v, 0).iter().zip(&mean).all(|(a, b)| (a - b).abs() < 1e-6), "f = 0 is the mean");
    }

    #[test]
    fn non_finite_vectors_weigh_nothing() {
        let v = [vec![0.0f32], vec![f32::INFINITY], vec![1.0], vec![0.5]];
        assert_eq!(caf_weights(&v, 1)[1], 0.0);
        assert!(caf(&v, 1)[0].is_finite());
    }
}
