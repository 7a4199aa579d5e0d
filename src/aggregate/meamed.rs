//! Mean around median (MeaMed).
//!
//! For each coordinate `j`, with `m_j` the median of `x_1[j], …, x_n[j]`, the
//! mean of the `n − f` values closest to `m_j`. Source: Xie, Koyejo & Gupta,
//! "Generalized Byzantine-tolerant SGD", arXiv:1802.10116 (2018), Definition 5
//! ("mean around median", b = f); ByzFL's `Meamed`.
//!
//! The median is the one of `cm` (mean of the two middle values for even n;
//! ByzFL on PyTorch takes the lower middle instead). Ties in distance to the
//! median are broken towards the lower value, so the result does not depend on
//! the order of the vectors. Values are sorted with `f32::total_cmp`, so NaN
//! sorts beyond ±inf; a NaN distance counts as the farthest. Non-finite values
//! are therefore left out when at least `n − f` finite values are nearer the
//! median, and otherwise propagate into the mean. Sums are in `f64`.

use super::sortnet::{Rows, sorted_coordinatewise, value};
use super::{Capabilities, RuleEntry, Vectors};
use crate::spec::{Kind, Spec};

/// Per coordinate, the mean of the `n − f` (at least 1) values closest to the median.
pub fn meamed(v: &Vectors, f: usize) -> Vec<f32> {
    let keep = v.len().saturating_sub(f).max(1);
    sorted_coordinatewise(v, |rows, out| mean_around_median_rows(rows, out, keep))
}

/// `mean_around_median` of each lane of sorted rows (see `sortnet`).
pub(crate) fn mean_around_median_rows(rows: &Rows, out: &mut [f32], keep: usize) {
    let mut column = vec![0.0f32; rows.len()];
    for (l, o) in out.iter_mut().enumerate() {
        for (c, row) in column.iter_mut().zip(rows) {
            *c = value(row[l]);
        }
        *o = mean_around_median(&column, keep);
    }
}

/// The mean of the `keep` values of `sorted` (in `total_cmp` order) closest to its median.
pub(crate) fn mean_around_median(sorted: &[f32], keep: usize) -> f32 {
    let n = sorted.len();
    if n == 0 {
        return f32::NAN;
    }
    let keep = keep.clamp(1, n);
    let m = if n % 2 == 1 {
        f64::from(sorted[n / 2])
    } else {
        (f64::from(sorted[n / 2 - 1]) + f64::from(sorted[n / 2])) / 2.0
    };
    // In sorted order the `keep` nearest values form a window around the median;
    // grow it one value at a time from the lower middle, nearer side first, ties low.
    let dist = |x: f32| (f64::from(x) - m).abs();
    let (mut lo, mut hi) = ((n - 1) / 2, (n - 1) / 2 + 1);
    while hi - lo < keep {
        let take_low = lo > 0 && (hi == n || dist(sorted[lo - 1]).total_cmp(&dist(sorted[hi])).is_le());
        if take_low {
            lo -= 1;
        } else {
            hi += 1;
        }
    }
    let sum: f64 = sorted[lo..hi].iter().map(|&x| f64::from(x)).sum();
    (sum / keep as f64) as f32
}

/// The registry entry of the mean around the median (`meamed`).
pub const ENTRY: RuleEntry = RuleEntry {
    spec: Spec {
        name: "meamed",
        kind: Kind::Rule,
        aliases: &["mean_around_median"],
        summary: "per coordinate, the mean of the n − f values closest to the median",
        doc: "Per coordinate, average the n − f values nearest the coordinate-wise median \
              (Xie et al. 2018, Def. 5).",
        params: &[],
        requires: None,
        degenerate: None,
        needs_labels: false,
    },
    build: |_| Box::new(|v, ctx| meamed(v, ctx.f)),
    capabilities: Capabilities::NONE,
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_computed() {
        // ByzFL's example, f = 1: median 4, 5, 6; nearest two are {1,4} or {4,7}
        // at equal distance, ties low: mean(1, 4) = 2.5.
        let v = [vec![1.0, 2.0, 3.0], vec![4.0, 5.0, 6.0], vec![7.0, 8.0, 9.0]];
        assert_eq!(meamed(&v, 1), vec![2.5, 3.5, 4.5]);
        // coord: 0, 1, 2, 10, 11; median 2; three nearest: 1, 2, 0 (dist 1, 0, 2) -> 1
        let v: Vec<Vec<f32>> = [10.0, 0.0, 2.0, 11.0, 1.0].iter().map(|&x| vec![x]).collect();
        assert_eq!(meamed(&v, 2), vec![1.0]);
        // even n: 1, 2, 4, 100, median 3; nearest two: 2 and 4 -> 3; three: 1 -> 7/3
        let v: Vec<Vec<f32>> = [4.0, 100.0, 1.0, 2.0].iter().map(|&x| vec![x]).collect();
        assert_eq!(meamed(&v, 2), vec![3.0]);
        assert_eq!(meamed(&v, 1), vec![7.0 / 3.0]);
        // f = 0 is the mean; f ≥ n keeps the value nearest the median
        assert_eq!(meamed(&v, 0), vec![26.75]);
        assert_eq!(meamed(&v, 9), vec![2.0]);
        assert!(meamed(&[], 1).is_empty());
    }

    #[test]
    fn non_finite_are_farthest() {
        let nan = f32::NAN;
        let v: Vec<Vec<f32>> = [nan, 1.0, 2.0, f32::INFINITY, 3.0, -nan].iter().map(|&x| vec![x]).collect();
        // sorted: -NaN 1 2 3 inf NaN, median 2.5; four nearest: 2, 3, 1, inf -> inf
        assert_eq!(meamed(&v, 2), vec![f32::INFINITY]);
        assert_eq!(meamed(&v, 3), vec![2.0]);
        let v = [vec![nan], vec![nan], vec![1.0]];
        assert!(meamed(&v, 1)[0].is_nan());
    }

    #[test]
    fn permutation_invariant() {
        let (v, w) = crate::aggregate::testing::reordered(7, (1, 4));
        for f in 0..4 {
            assert_eq!(meamed(&v, f), meamed(&w, f));
        }
    }
}
