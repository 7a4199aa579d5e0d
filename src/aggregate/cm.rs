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
//! Vectors of unequal length are read up to the shortest.
//! `n = 0` yields an empty vector.

use super::Vectors;
use super::copies::{MedianWithCopies, WithCopies};
use super::sortnet::{sorted_rows_coordinatewise, value};
use super::{Capabilities, RuleEntry};
use crate::spec::{Kind, Spec};

/// Coordinate-wise median; for even `n`, the mean of the two middle values.
pub(crate) fn coordinate_median(v: &Vectors) -> Vec<f32> {
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

    #[test]
    fn permutation_invariant() {
        let (v, w) = crate::aggregate::testing::reordered(8, (0, 5));
        assert_eq!(coordinate_median(&v), coordinate_median(&w));
        assert_eq!(coordinate_median(&v[1..]), coordinate_median(&w[..7]));
    }
}
