//! Clipped clustering.
//!
//! Li, Ngai & Voigt, "An Experimental Study of Byzantine-Robust Aggregation
//! Schemes in Federated Learning", IEEE Trans. Big Data 2023, as Blades
//! implements it (`ClippedClustering`, now in `fedlib`): clip every vector
//! to τ, the median of the norms of all vectors received so far (this step's
//! included; capped at `max_tau`); cluster the vectors into two by
//! agglomerative clustering with average linkage on the cosine distance
//! 1 − cos(x_i, x_j); average the clipped vectors of the larger cluster.
//!
//! The history holds the norms of the vectors this rule received (after any
//! pre-aggregators), as Blades' aggregator sees its inputs. It is part of the simulated state (`Ctx::norms`), so
//! planning attacks see the same τ as the run. Where Blades breaks a tie
//! between two clusters of n/2 by scikit-learn's label order, byz keeps the
//! cluster of the lowest index. A cosine with a zero or non-finite vector is
//! taken as distance 2 (Blades maps NaN distances to 2), and a non-finite
//! norm is left out of the median. Clipping is `kernels::clipped` (exactly
//! τ; Blades divides by ‖x‖ + 10⁻⁶).
//!
//! Average linkage is written here (Lance–Williams updates, O(n³) for n
//! vectors): the Rust clustering crates either lack it or pull in far more
//! than this small loop.

use super::kernels::{centered_gram, clipped, dim, norm};
use super::{Capabilities, Ctx, RuleEntry, Vectors};
use crate::spec::{Default, Kind, Param, ParamType, Spec};

/// The indices of the larger of the two average-linkage clusters, in increasing order.
pub(crate) fn larger_cluster(v: &Vectors) -> Vec<usize> {
    let n = v.len();
    if n <= 2 {
        return (0..n.min(1)).collect();
    }
    // The raw Gram matrix (centred on the origin), blockwise and in parallel.
    let origin = vec![0.0f32; dim(v)];
    let mut rows: Vec<&[f32]> = vec![&origin];
    rows.extend(v.iter().map(|x| x.as_slice()));
    let g = centered_gram(&rows);
    let gram = |i: usize, j: usize| g[(i + 1) * (n + 1) + j + 1];
    let cosine_distance = |i: usize, j: usize| {
        let d = 1.0 - gram(i, j) / (gram(i, i) * gram(j, j)).sqrt();
        if i == j {
            0.0
        } else if d.is_finite() {
            d
        } else {
            2.0
        }
    };
    let mut dist: Vec<Vec<f64>> = (0..n).map(|i| (0..n).map(|j| cosine_distance(i, j)).collect()).collect();
    // Each cluster: its members; merge the closest pair until two remain.
    let mut clusters: Vec<Vec<usize>> = (0..n).map(|i| vec![i]).collect();
    while clusters.len() > 2 {
        let m = clusters.len();
        let (mut a, mut b) = (0, 1);
        for i in 0..m {
            for j in i + 1..m {
                if dist[i][j] < dist[a][b] {
                    (a, b) = (i, j);
                }
            }
        }
        // Lance–Williams for average linkage: d(k, a∪b) = (|a| d(k,a) + |b| d(k,b)) / (|a| + |b|).
        let (sa, sb) = (clusters[a].len() as f64, clusters[b].len() as f64);
        let merged_row: Vec<f64> = dist.iter().map(|row| (sa * row[a] + sb * row[b]) / (sa + sb)).collect();
        for (row, &d) in dist.iter_mut().zip(&merged_row) {
            row[a] = d;
        }
        dist[a] = merged_row;
        dist[a][a] = 0.0;
        let merged = clusters.remove(b);
        clusters[a].extend(merged);
        dist.remove(b);
        for row in &mut dist {
            row.remove(b);
        }
    }
    let (mut first, mut second) = (clusters[0].clone(), clusters[1].clone());
    first.sort_unstable();
    second.sort_unstable();
    if second.len() > first.len() || (second.len() == first.len() && second[0] < first[0]) { second } else { first }
}

/// τ: the median of the earlier norms and this step's, capped at `max_tau`.
pub(crate) fn median_norm(history: &[f32], v: &Vectors, max_tau: f64) -> f64 {
    let mut all: Vec<f64> = history.iter().map(|&x| f64::from(x)).chain(v.iter().map(|x| norm(x))).collect();
    all.retain(|x| x.is_finite());
    if all.is_empty() {
        return max_tau;
    }
    all.sort_unstable_by(f64::total_cmp);
    let m = all.len();
    let median = if m % 2 == 1 { all[m / 2] } else { 0.5 * (all[m / 2 - 1] + all[m / 2]) };
    median.min(max_tau)
}

/// The aggregate: the mean of the larger cluster's vectors, each clipped to τ.
pub fn clipped_clustering(v: &Vectors, ctx: &Ctx, max_tau: f64) -> Vec<f32> {
    let tau = median_norm(ctx.norms, v, max_tau);
    // Only the kept cluster's vectors are clipped and averaged.
    let kept: Vec<Vec<f32>> = larger_cluster(v).iter().map(|&i| clipped(&v[i], tau)).collect();
    super::mean::mean(&kept)
}

/// The registry entry of clipped clustering (`clipped_clustering`).
pub const ENTRY: RuleEntry = RuleEntry {
    spec: Spec {
        name: "clipped_clustering",
        kind: Kind::Rule,
        aliases: &[],
        summary: "clip to the median of all norms so far, keep the larger of two cosine clusters",
        doc: "Li, Ngai & Voigt 2023 (Blades' ClippedClustering): clip every vector to τ, the median norm of \
              all vectors received so far (capped at `max_tau`); cluster the vectors in two by average \
              linkage on 1 − cosine similarity; average the larger cluster's clipped vectors.",
        params: &[Param {
            name: "max_tau",
            ty: ParamType::Float { min: 0.0, inclusive: false },
            default: Default::Float(1e5),
            doc: "the largest clipping radius (Blades' default 10⁵: no cap in practice)",
        }],
        requires: None,
        degenerate: None,
        needs_labels: false,
    },
    build: |c| {
        let max_tau = c.float("max_tau");
        Box::new(move |v, ctx| clipped_clustering(v, ctx, max_tau))
    },
    capabilities: Capabilities {
        select: Some(|_| Box::new(|v, _| larger_cluster(v))),
        norm_history: true,
        ..Capabilities::NONE
    },
};

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    /// Blades' (fedlib's) unit test: on a fresh state the four vectors give
    /// ≈ (1.9596, 1.6532, 2.9596): τ = 4.183 (the median norm) clips the
    /// second and fourth, and the cluster is {0, 2, 3}.
    #[test]
    fn blades_unit_test() {
        let v = [vec![1.0f32, 2.0, 3.0], vec![-1.0, 4.0, -1.0], vec![2.0, 2.0, 3.0], vec![3.0, 1.0, 3.0]];
        assert_eq!(larger_cluster(&v), vec![0, 2, 3]);
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0);
        let out = clipped_clustering(&v, &Ctx { f: 1, rng: &mut rng, previous: &[], norms: &[], server: &[] }, 1e5);
        for (o, e) in out.iter().zip([1.9596, 1.6532, 2.9596]) {
            assert!((o - e).abs() < 2e-4, "{out:?}");
        }
    }

    #[test]
    fn the_history_sets_tau() {
        let v = [vec![3.0f32, 4.0]];
        assert_eq!(median_norm(&[1.0, 1.0], &v, 1e5), 1.0);
        assert_eq!(median_norm(&[], &v, 2.0), 2.0);
        assert_eq!(median_norm(&[f32::NAN, 7.0], &v, 1e5), 6.0);
    }
}
