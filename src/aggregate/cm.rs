//! Coordinate-wise median (CM).
//!
//! `cm(v)_j = median{v_1[j], …, v_n[j]}`; for even `n` the median is the mean
//! of the two middle values. Source: Yin, Chen, Ramchandran & Bartlett,
//! "Byzantine-Robust Distributed Learning: Towards Optimal Statistical Rates",
//! ICML 2018.
//!
//! Each coordinate's values are sorted by `sortnet` (a sorting network on
//! `total_cmp` keys, 16 coordinates at a time, blocks in parallel; no n×d copy). Under `total_cmp` a positive NaN sorts above `+inf` and a negative NaN
//! below `-inf`, so non-finite inputs never panic; they are simply extreme values.
//! Inputs that are a few runs of copies (NNM's outputs, often) are not sorted
//! n wide: each run counts as its length (`median_of_runs`, same bits).
//! Vectors of unequal length are read up to the shortest.
//! `n = 0` yields an empty vector.

use super::Vectors;
use super::copies::{MedianWithCopies, WithCopies};
use super::kernels::{BLOCK, blocks_per_task, dim, runs_of_copies};
use super::sortnet::{key, sorted_rows_coordinatewise, value};
use super::{Capabilities, RuleEntry};
use crate::spec::{Kind, Spec};

/// Coordinate-wise median; for even `n`, the mean of the two middle values.
pub(crate) fn coordinate_median(v: &Vectors) -> Vec<f32> {
    let n = v.len();
    match runs_of_copies(v, dim(v), MOST_RUNS) {
        Some(runs) if runs.len() * MOST_RUNS <= n => median_of_runs(&runs, n),
        _ => median_by_sorting(v),
    }
}

/// The median from at most this many runs of copies, when they hold at
/// least this many vectors each on average: NNM's outputs, when its
/// neighbour sets coincide (under `sf` at n = 120, every honest worker's set
/// is the honest workers and every Byzantine one's the same: two runs). A
/// run then counts as its length in the order of its values, and nothing is
/// sorted n wide.
const MOST_RUNS: usize = 4;

fn median_by_sorting(v: &Vectors) -> Vec<f32> {
    let n = v.len();
    let mid = n / 2;
    // Only the middle row (two for even n) is read.
    sorted_rows_coordinatewise(v, n.saturating_sub(1) / 2..mid + 1, |rows, out| {
        for (l, o) in out.iter_mut().enumerate() {
            let upper = value(rows[mid][l]);
            *o =
                if n % 2 == 1 { upper } else { ((f64::from(value(rows[mid - 1][l])) + f64::from(upper)) / 2.0) as f32 };
        }
    })
}

/// [`median_by_sorting`] of the n vectors that `runs` (each vector and its
/// number of copies, at most [`MOST_RUNS`]) stand for, bit for bit: the same
/// `total_cmp` order picks the same values (equal keys are equal bits).
fn median_of_runs(runs: &[(&[f32], usize)], n: usize) -> Vec<f32> {
    use rayon::prelude::*;
    let (lo, mid) = (n.saturating_sub(1) / 2, n / 2);
    let d = runs.iter().map(|(r, _)| r.len()).min().unwrap_or(0);
    let mut out = crate::alloc::zeroed(d);
    out.par_chunks_mut(BLOCK).with_min_len(blocks_per_task(BLOCK * runs.len())).enumerate().for_each(|(b, out)| {
        let mut at = [(0i32, 0usize); MOST_RUNS];
        for (l, o) in out.iter_mut().enumerate() {
            let j = b * BLOCK + l;
            let at = &mut at[..runs.len()];
            at.iter_mut().zip(runs).for_each(|(a, (row, count))| *a = (key(row[j]), *count));
            at.sort_unstable_by_key(|a| a.0);
            // The value at position r of the n sorted values.
            let pick = |r: usize| {
                let mut seen = 0;
                at.iter().find(|(_, count)| {
                    seen += count;
                    r < seen
                })
            };
            let (Some(&(upper, _)), Some(&(lower, _))) = (pick(mid), pick(lo)) else { continue };
            let upper = value(upper);
            *o = if n % 2 == 1 { upper } else { ((f64::from(value(lower)) + f64::from(upper)) / 2.0) as f32 };
        }
    });
    out
}

/// The registry entry of the coordinate-wise median (`cm`), the rule with an O(d) aggregation with copies.
pub const ENTRY: RuleEntry = RuleEntry {
    spec: Spec {
        name: "cm",
        kind: Kind::Rule,
        aliases: &["median"],
        summary: "coordinate-wise median",
        doc: "Each coordinate is the median of the n values (Yin et al. 2018; 002 §4); \
              an even count takes the mean of the two middle values.",
        params: &[],
        requires: None,
        degenerate: None,
        needs_labels: false,
    },
    build: |_| Box::new(|v, _| coordinate_median(v)),
    capabilities: Capabilities {
        with_copies: Some(|_| Box::new(|h, f| WithCopies::Median(MedianWithCopies::new(h, f)))),
        ..Capabilities::NONE
    },
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_and_single() {
        assert!(coordinate_median(&[]).is_empty());
        assert_eq!(coordinate_median(&[vec![1.0, -3.0]]), vec![1.0, -3.0]);
    }

    #[test]
    fn odd_count() {
        let v = [vec![1.0, 5.0], vec![3.0, 2.0], vec![2.0, 9.0]];
        assert_eq!(coordinate_median(&v), vec![2.0, 5.0]);
    }

    #[test]
    fn even_count_averages_middle_pair() {
        // coord 0 sorted: 1 2 3 10 -> 2.5; coord 1 sorted: -1 0 3 4 -> 1.5
        let v = [vec![1.0, 4.0], vec![2.0, 3.0], vec![10.0, -1.0], vec![3.0, 0.0]];
        assert_eq!(coordinate_median(&v), vec![2.5, 1.5]);
        // two values: their mean (no overflow thanks to f64)
        let v = [vec![f32::MAX], vec![f32::MAX]];
        assert_eq!(coordinate_median(&v), vec![f32::MAX]);
    }

    #[test]
    fn non_finite_are_extremes() {
        let nan = f32::NAN.abs(); // positive NaN: above +inf under total_cmp
        let v = [vec![nan, f32::NEG_INFINITY], vec![1.0, 7.0], vec![2.0, 8.0]];
        assert_eq!(coordinate_median(&v), vec![2.0, 7.0]);
        let v = [vec![-nan], vec![1.0], vec![2.0]]; // negative NaN: below -inf
        assert_eq!(coordinate_median(&v), vec![1.0]);
        let v = [vec![nan], vec![nan], vec![2.0]];
        assert!(coordinate_median(&v)[0].is_nan());
    }

    /// NNM's outputs come in runs of copies; their median must be the one
    /// sorting gives, bit for bit, wherever the middle falls.
    #[test]
    fn runs_of_copies_give_the_bits_of_sorting() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        let special = [0.0, -0.0, 1e-45, -1e-45, f32::MAX, -f32::MAX, 1.0, 1.0 + f32::EPSILON];
        let d = 4100; // more than one block
        let row =
            |rng: &mut rand_chacha::ChaCha8Rng| -> Vec<f32> {
                (0..d)
                    .map(|_| {
                        if rng.random_bool(0.3) { special[rng.random_range(0..8)] } else { rng.random_range(-2.0..2.0) }
                    })
                    .collect()
            };
        for lengths in [&[4, 4][..], &[6, 3], &[1, 7], &[5, 4, 3], &[4, 4, 4, 4], &[2, 9, 1, 8], &[40, 40]] {
            let runs: Vec<Vec<f32>> = lengths.iter().map(|_| row(&mut rng)).collect();
            let v: Vec<Vec<f32>> =
                runs.iter().zip(lengths.iter()).flat_map(|(r, &k)| std::iter::repeat_n(r.clone(), k)).collect();
            // Each case takes `median_of_runs`: at most `MOST_RUNS` runs, as many vectors on average.
            assert!(runs_of_copies(&v, d, MOST_RUNS).is_some_and(|r| r.len() == lengths.len()));
            assert!(lengths.len() * MOST_RUNS <= v.len(), "{lengths:?}");
            let (fast, sorted) = (coordinate_median(&v), median_by_sorting(&v));
            assert!(fast.iter().zip(&sorted).all(|(a, b)| a.to_bits() == b.to_bits()), "runs {lengths:?}");
        }
    }

    #[test]
    fn only_finite_copies_in_few_runs_count_as_runs() {
        let v = [vec![1.0, 2.0], vec![1.0, 2.0], vec![f32::NAN, 0.0], vec![f32::NAN, 0.0]];
        // A NaN vector is never a copy: three runs.
        assert_eq!(runs_of_copies(&v, 2, 4).map(|r| r.len()), Some(3));
        assert!(runs_of_copies(&v, 2, 2).is_none());
        // Copies of -0.0 are not copies of +0.0.
        let v = [vec![0.0], vec![-0.0], vec![-0.0]];
        assert_eq!(runs_of_copies(&v, 1, 4).map(|r| r.iter().map(|r| r.1).collect::<Vec<_>>()), Some(vec![1, 2]));
    }

    #[test]
    fn permutation_invariant() {
        let (v, w) = crate::aggregate::testing::reordered(8, (0, 5));
        assert_eq!(coordinate_median(&v), coordinate_median(&w));
        assert_eq!(coordinate_median(&v[1..]), coordinate_median(&w[..7]));
    }
}
