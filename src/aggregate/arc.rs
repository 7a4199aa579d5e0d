//! Adaptive robust clipping (ARC).
//!
//! With `k = ⌊2 (f/n) (n − f)⌋`, clip the `k` vectors of largest norm to the
//! norm of the largest remaining one, `‖x_π(k+1)‖` for π ordering the norms
//! non-increasingly; the other vectors are unchanged. Source: Allouah,
//! Guerraoui, Gupta, Jellouli, Rizk & Stephan, "The Vital Role of Gradient
//! Clipping in Byzantine-Resilient Distributed Learning", arXiv:2405.14432
//! (2024), Algorithm 1 (ARC); same as ByzFL's `ARC(f)`. Since
//! f(n − f) ≤ n²/4, k ≤ n/2 and the threshold always exists.
//!
//! Norms are in `f64` and ordered with `total_cmp`, ties by lower index (which
//! of two equal norms is clipped does not matter: both end with that norm).
//! A NaN or infinite norm orders as the largest, so a non-finite vector is
//! among the first to be clipped; being non-finite it cannot be scaled and is
//! passed on unchanged (see `clip`), for the rule after ARC to handle.

use super::kernels::{clipped, norm};
use super::{PreEntry, Vectors};
use crate::spec::{Kind, Spec};

/// The number of vectors ARC clips: ⌊2 (f/n) (n − f)⌋ (0 when n = 0).
pub(crate) fn arc_clipped_count(n: usize, f: usize) -> usize {
    if n == 0 || f >= n {
        return 0;
    }
    2 * f * (n - f) / n
}

/// ARC: the `k` largest vectors clipped to the `(k+1)`-th largest norm.
pub(crate) fn adaptive_robust_clipping(v: &Vectors, f: usize) -> Vec<Vec<f32>> {
    let n = v.len();
    let k = arc_clipped_count(n, f);
    let norms: Vec<f64> = v.iter().map(|x| norm(x)).map(|x| if x.is_nan() { f64::INFINITY } else { x }).collect();
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_unstable_by(|&a, &b| norms[b].total_cmp(&norms[a]).then(a.cmp(&b)));
    let Some(&threshold_at) = order.get(k) else {
        return v.to_vec();
    };
    let threshold = norms[threshold_at];
    let mut out = v.to_vec();
    for &i in &order[..k] {
        out[i] = clipped(&v[i], threshold);
    }
    out
}

/// The registry entry of adaptive robust clipping (`arc`).
pub const ENTRY: PreEntry = PreEntry {
    spec: Spec {
        name: "arc",
        kind: Kind::PreAggregator,
        aliases: &["adaptive_robust_clipping"],
        summary: "clip the ⌊2(f/n)(n − f)⌋ largest vectors to the next largest norm",
        doc: "With k = ⌊2(f/n)(n − f)⌋, the k vectors of largest norm are clipped to the norm of the \
              (k+1)-th largest (Allouah et al. 2024, Alg. 1).",
        params: &[],
        requires: None,
        degenerate: None,
        needs_labels: false,
    },
    build: |_| Box::new(|v, ctx| adaptive_robust_clipping(v, ctx.f)),
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clipped_count() {
        // n = 3, f = 1: ⌊2·(1/3)·2⌋ = 1; n = 15, f = 3: ⌊2·3·12/15⌋ = 4; f = 0: none.
        assert_eq!(arc_clipped_count(3, 1), 1);
        assert_eq!(arc_clipped_count(15, 3), 4);
        assert_eq!(arc_clipped_count(10, 5), 5);
        assert_eq!(arc_clipped_count(10, 0), 0);
        assert_eq!(arc_clipped_count(0, 0), 0);
    }

    #[test]
    fn hand_computed() {
        // ByzFL's example: norms √14, √77, √194; k = 1: the largest is clipped to √77.
        let v = [vec![1.0, 2.0, 3.0], vec![4.0, 5.0, 6.0], vec![7.0, 8.0, 9.0]];
        let out = adaptive_robust_clipping(&v, 1);
        assert_eq!(out[..2], v[..2]);
        let s = (77.0f64 / 194.0).sqrt();
        let expected: Vec<f32> = [7.0, 8.0, 9.0].iter().map(|x| (x * s) as f32).collect();
        assert_eq!(out[2], expected);
        assert!((expected[0] - 4.41004).abs() < 1e-5);
        assert!(adaptive_robust_clipping(&[], 1).is_empty());
        assert_eq!(adaptive_robust_clipping(&v, 0), v.to_vec());
    }

    #[test]
    fn non_finite_is_clipped_first_and_passed_on() {
        // n = 4, f = 1: k = ⌊2·3/4⌋ = 1; the NaN vector takes the clipped slot.
        let v = [vec![3.0, 4.0], vec![f32::NAN, 0.0], vec![1.0, 0.0], vec![0.0, 2.0]];
        let out = adaptive_robust_clipping(&v, 1);
        assert_eq!(out[0], vec![3.0, 4.0]);
        assert!(out[1][0].is_nan());
    }
}
