//! Nearest-neighbour mixing (NNM).
//!
//! Every vector `v_i` is replaced by the mean of its `n − f` nearest neighbours
//! by Euclidean distance, itself included: `NNM(v)_i = (1/(n−f)) Σ_{j ∈ N_i} v_j`.
//! Source: Allouah, Farhadkhani, Guerraoui, Gupta, Pinot & Stephan, "Fixing by
//! Mixing: A Recipe for Optimal Byzantine ML under Heterogeneity", AISTATS 2023.
//! NNM is a pre-aggregation step: apply any rule (CM, TM, GM, Krum, …) to its output.
//!
//! `v_i` itself is always one of its neighbours; the other `n − f − 1` are the
//! closest, ties broken by lower index. They are screened in single precision
//! first (`aggregate::screen`), which settles most rows; otherwise squared
//! distances are computed once (n×n, `f64`); a non-finite distance (NaN/inf input) is treated as `+inf`, so
//! such a vector is maximally far and is only picked when nothing finite is left.
//! Each mean is accumulated in `f64` over the chosen indices in increasing order.
//! Preconditions (caller guarantees): all vectors have the same length. The
//! neighbour count `n − f` is clamped to at least 1. `n = 0` yields an empty vector.

use super::PreEntry;
use super::Vectors;
use super::kernels::{means_of, pairwise_sq_distances};
use crate::spec::{Kind, Spec};

/// Replaces each vector by the mean of its `n − f` nearest neighbours (itself included).
pub(crate) fn nearest_neighbor_mixing(v: &Vectors, f: usize) -> Vec<Vec<f32>> {
    let n = v.len();
    let k = n.saturating_sub(f).max(1);
    // Screened in single precision first (`aggregate::screen`): the same sets.
    let sets = super::screen::nearest_sets(v, k, neighbours).unwrap_or_else(|| {
        let d = pairwise_sq_distances(v);
        (0..n).map(|i| neighbours(&d[i * n..(i + 1) * n], i, k)).collect()
    });
    means_of(v, &sets)
}

/// Vector i and its `k − 1` nearest others by the distances in `row` (ties by
/// lower index), in increasing index order.
pub(super) fn neighbours(row: &[f64], i: usize, k: usize) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..row.len()).filter(|&j| j != i).collect();
    if k - 1 < idx.len() {
        idx.select_nth_unstable_by(k - 1, |&a, &b| row[a].total_cmp(&row[b]).then(a.cmp(&b)));
    }
    idx.truncate(k - 1);
    idx.push(i);
    idx.sort_unstable();
    idx
}

/// The registry entry of nearest-neighbour mixing (`nnm`).
pub const ENTRY: PreEntry = PreEntry {
    spec: Spec {
        name: "nnm",
        kind: Kind::PreAggregator,
        aliases: &[],
        summary: "nearest-neighbour mixing",
        doc: "Each vector is replaced by the mean of its n − f nearest neighbours, itself included \
              (Allouah et al. 2023); 001 uses it before every rule (App. B.2).",
        params: &[],
        requires: None,
        degenerate: None,
        needs_labels: false,
    },
    build: |_| Box::new(|v, ctx| nearest_neighbor_mixing(v, ctx.f)),
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_and_single() {
        assert!(nearest_neighbor_mixing(&[], 1).is_empty());
        assert_eq!(nearest_neighbor_mixing(&[vec![1.0, 2.0]], 0), vec![vec![1.0, 2.0]]);
        assert_eq!(nearest_neighbor_mixing(&[vec![1.0, 2.0]], 5), vec![vec![1.0, 2.0]]);
    }

    #[test]
    fn hand_computed() {
        // n = 4, f = 1: three neighbours. a, b, c all pick {a, b, c};
        // d is at squared distance 200, 149, 149 from a, b, c and picks {b, c, d}.
        let v = [vec![0.0, 0.0], vec![3.0, 0.0], vec![0.0, 3.0], vec![10.0, 10.0]];
        let out = nearest_neighbor_mixing(&v, 1);
        assert_eq!(out, vec![vec![1.0, 1.0], vec![1.0, 1.0], vec![1.0, 1.0], vec![13.0 / 3.0, 13.0 / 3.0]]);
    }

    #[test]
    fn ties_by_lower_index_and_extreme_f() {
        // n = 3, f = 1: two neighbours. For 0, both -1 (index 1) and 1 are at distance 1.
        let v = [vec![0.0], vec![-1.0], vec![1.0]];
        assert_eq!(nearest_neighbor_mixing(&v, 1), vec![vec![-0.5], vec![-0.5], vec![0.5]]);
        // f = 0: everybody becomes the mean; f >= n: identity
        assert_eq!(nearest_neighbor_mixing(&v, 0), vec![vec![0.0]; 3]);
        assert_eq!(nearest_neighbor_mixing(&v, 3), v.to_vec());
    }

    #[test]
    fn non_finite_is_maximally_far() {
        // n = 4, f = 1: the NaN vector is never a neighbour of a finite one;
        // its own neighbours are itself plus the two lowest indices.
        let v = [vec![0.0], vec![1.0], vec![2.0], vec![-f32::NAN.abs()]];
        let out = nearest_neighbor_mixing(&v, 1);
        assert_eq!(out[..3], [vec![1.0], vec![1.0], vec![1.0]]);
        assert!(out[3][0].is_nan());
        let v = [vec![f32::INFINITY], vec![1.0], vec![f32::INFINITY], vec![3.0]];
        let out = nearest_neighbor_mixing(&v, 2);
        assert_eq!(out[1], vec![2.0]);
        assert_eq!(out[3], vec![2.0]);
    }
}
