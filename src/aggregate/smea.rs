//! Smallest maximum eigenvalue averaging (SMEA).
//!
//! Allouah, Guerraoui, Gupta, Pinot & Stephan, "On the Privacy-Robustness-
//! Utility Trilemma in Distributed Learning", ICML 2023: among all subsets S
//! of n − f vectors, take the one whose empirical covariance
//! (1/|S|) Σ_{i∈S} (x_i − x̄_S)(x_i − x̄_S)ᵀ has the smallest largest
//! eigenvalue, and return its mean.
//!
//! Exact: every one of the C(n, f) subsets is scored with its true largest
//! eigenvalue, read off the |S| × |S| Gram matrix of the centred vectors (the
//! n × n Gram matrix is computed once, in one pass over the data). ByzFL
//! scores each subset with one power-iteration step from a random vector, so
//! its choice is random (on its own docstring example it returns the exact
//! answer about half the time). The search is exact only while C(n, f) is at
//! most `MAX_SUBSETS`; beyond, the checker refuses the setting rather than
//! approximating. Subsets are visited in lexicographic order and an earlier
//! one keeps its place unless a later one is smaller by more than a relative
//! 10⁻¹², so float noise does not decide ties. A subset holding a vector with
//! a non-finite coordinate is never chosen (unless every subset does).

use itertools::Itertools;

use super::kernels::mean_of;
use super::spectral::{centred, gram, top_eigen};
use super::{Capabilities, RuleEntry, Vectors};
use crate::plan::Args;
use crate::spec::{Kind, Setting, Spec, Unmet};

/// The most subsets SMEA scores (C(n, f)): C(20, 5) = 15,504 and C(25, 5) =
/// 53,130 fit; C(30, 6) = 593,775 does not.
pub const MAX_SUBSETS: u128 = 100_000;

/// The indices of the subset SMEA averages, in increasing order.
pub(crate) fn smea_select(v: &Vectors, f: usize) -> Vec<usize> {
    let n = v.len();
    let m = n.saturating_sub(f).max(1).min(n);
    let finite: Vec<usize> = (0..n).filter(|&i| v[i].iter().all(|x| x.is_finite())).collect();
    let rows: Vec<&[f32]> = finite.iter().map(|&i| v[i].as_slice()).collect();
    let g = gram(&rows);
    let mut position = vec![None; n];
    for (k, &i) in finite.iter().enumerate() {
        position[i] = Some(k);
    }
    let w = vec![1.0 / m as f64; m];
    let mut best: Option<(f64, Vec<usize>)> = None;
    for subset in (0..n).combinations(m) {
        let Some(at) = subset.iter().map(|&i| position[i]).collect::<Option<Vec<usize>>>() else { continue };
        let Some((lambda, _)) = top_eigen(centred(&g, &at, &w)) else { continue };
        let lambda = lambda / m as f64;
        if best.as_ref().is_none_or(|(b, _)| lambda < b - b.abs() * 1e-12) {
            best = Some((lambda, subset));
        }
    }
    best.map_or_else(|| (0..n).collect(), |(_, s)| s)
}

/// The aggregate: the mean of the subset `smea_select` picks.
pub fn smea(v: &Vectors, f: usize) -> Vec<f32> {
    mean_of(v, &smea_select(v, f))
}

/// C(n, k) without overflow, saturating at u128::MAX.
fn binomial(n: usize, k: usize) -> u128 {
    let k = k.min(n.saturating_sub(k));
    (0..k).fold(1u128, |acc, i| acc.saturating_mul((n - i) as u128) / (i as u128 + 1))
}

fn few_enough_subsets(s: &Setting, _: &Args) -> Result<(), Unmet> {
    let count = binomial(s.n, s.f);
    if count > MAX_SUBSETS {
        return Err(Unmet {
            message: format!("SMEA would score C({}, {}) = {count} subsets each step", s.n, s.f),
            label: format!("more than {MAX_SUBSETS} subsets"),
            help: "SMEA is exact only for small n and f: use fewer workers, or `caf`, its polynomial-time \
                   relative (ByzFL's approximation of SMEA is random, not exact)"
                .into(),
        });
    }
    Ok(())
}

/// The registry entry of smallest maximum eigenvalue averaging (`smea`).
pub const ENTRY: RuleEntry = RuleEntry {
    spec: Spec {
        name: "smea",
        kind: Kind::Rule,
        aliases: &[],
        summary: "smallest maximum eigenvalue averaging: the mean of the n − f vectors of least spread",
        doc: "Allouah et al., ICML 2023: the mean of the subset of n − f vectors whose empirical covariance \
              has the smallest largest eigenvalue, over all C(n, f) subsets, each scored exactly (ByzFL \
              scores them with one random power-iteration step). Exact only while C(n, f) ≤ 100,000.",
        params: &[],
        requires: Some(few_enough_subsets),
        degenerate: None,
        needs_labels: false,
    },
    build: |_| Box::new(|v, ctx| smea(v, ctx.f)),
    capabilities: Capabilities { select: Some(|_| Box::new(|v, ctx| smea_select(v, ctx.f))), ..Capabilities::NONE },
};

#[cfg(test)]
mod tests {
    use super::*;

    /// ByzFL's docstring example: the exact answer is the subset {0, 1}
    /// (its λ ties with {1, 2}; the earlier subset keeps its place).
    #[test]
    fn byzfl_docstring_example() {
        let v = [vec![1.0f32, 2.0, 3.0], vec![4.0, 5.0, 6.0], vec![7.0, 8.0, 9.0]];
        assert_eq!(smea_select(&v, 1), vec![0, 1]);
        assert_eq!(smea(&v, 1), vec![2.5, 3.5, 4.5]);
    }

    /// Two clusters: the n − f vectors of the tight one are chosen.
    #[test]
    fn picks_the_least_spread_subset() {
        let v = [vec![0.0f32, 0.0], vec![0.1, 0.0], vec![0.0, 0.1], vec![0.1, 0.1], vec![5.0, -3.0], vec![-4.0, 6.0]];
        assert_eq!(smea_select(&v, 2), vec![0, 1, 2, 3]);
    }

    #[test]
    fn non_finite_vectors_are_never_chosen() {
        let v = [vec![0.0f32], vec![f32::NAN], vec![1.0], vec![0.5]];
        assert_eq!(smea_select(&v, 1), vec![0, 2, 3]);
    }

    #[test]
    fn subset_counts() {
        assert_eq!(binomial(15, 3), 455);
        assert_eq!(binomial(30, 6), 593_775);
        assert!(few_enough_subsets(&Setting { n: 25, f: 5, declared: false }, &Args::new()).is_ok());
        assert!(few_enough_subsets(&Setting { n: 30, f: 6, declared: false }, &Args::new()).is_err());
    }
}
