//! SignGuard.
//!
//! Xu, Huang, Song & Lan, "Byzantine-robust Federated Learning through
//! Collaborative Malicious Gradient Filtering", ICDCS 2022 (arXiv 2109.05872),
//! §IV and Algorithm 1, as the authors' code runs it (`signguard_multiclass`,
//! the variant without the similarity feature):
//! 1. norm filter: keep x_i with `low`·M < ‖x_i‖ < `high`·M, M the median norm;
//! 2. sign filter: on one random block of s = ⌊`share`·d⌋ consecutive
//!    coordinates, each vector's shares of positive, zero and negative
//!    coordinates, each share divided by its largest value over the vectors
//!    (+10⁻⁸), are clustered by mean shift (`mean_shift`); the largest
//!    cluster is kept;
//! 3. the mean of the vectors both filters keep, each clipped to the median norm.
//!
//! As the authors' code: NaN coordinates read as 0, and an infinite norm fails
//! the norm filter; the filter's M is numpy's median (the mean of the two
//! middle norms for even n) and the clipping radius torch's (the lower one).
//! Where it differs: a zero bandwidth (n ≤ 3, or every vector's shares
//! equal to those of half the others), which scikit-learn refuses, skips
//! the sign filter; the block's start is uniform over all d − s + 1 places
//! (torch's `randint` leaves out the last), s is at least 1; when the two
//! filters keep no vector the aggregate is zero (the code's mean of nothing is
//! NaN); the largest cluster is chosen among all centres (the code counts
//! labels 0..k−1 for k distinct labels, which skips a centre if one attracts
//! no point).

use std::borrow::Cow;

use rand::Rng;

use rayon::prelude::*;

use super::kernels::{combination, norm};
use super::{Capabilities, Ctx, RuleEntry, Vectors, mean_shift};
use crate::plan::ArgValue;
use crate::spec::{Default, Kind, Param, ParamType, Setting, Spec, Unmet};

/// SignGuard's settings: the norm filter's bounds and the share of coordinates the sign filter reads.
#[derive(Debug, Clone, Copy)]
pub struct SignGuard {
    pub low: f64,
    pub high: f64,
    pub share: f64,
}

impl SignGuard {
    /// The settings a resolved `signguard(...)` names.
    fn of(c: &crate::plan::ComponentPlan) -> Self {
        SignGuard { low: c.float("low"), high: c.float("high"), share: c.float("share") }
    }

    /// The indices both filters keep, in increasing order.
    pub fn kept(&self, v: &Vectors, ctx: &mut Ctx) -> Vec<usize> {
        self.filter(&without_nan(v), ctx).0
    }

    /// The kept indices and every vector's norm.
    fn filter(&self, v: &[Cow<[f32]>], ctx: &mut Ctx) -> (Vec<usize>, Vec<f64>) {
        let norms: Vec<f64> = v.par_iter().map(|x| norm(x)).collect();
        let m = median(&norms, false);
        let by_norm = |i: usize| norms[i] > self.low * m && norms[i] < self.high * m;
        let by_sign = self.sign_cluster(v, ctx);
        ((0..v.len()).filter(|&i| by_norm(i) && by_sign.contains(&i)).collect(), norms)
    }

    /// The members of the largest mean-shift cluster of the sign shares of one random block.
    fn sign_cluster(&self, v: &[Cow<[f32]>], ctx: &mut Ctx) -> Vec<usize> {
        let d = v.first().map_or(0, |x| x.len());
        let s = ((self.share * d as f64) as usize).clamp(1, d.max(1));
        let start = ctx.rng.random_range(0..=d.saturating_sub(s));
        let counts: Vec<[u32; 3]> = v
            .iter()
            .map(|x| {
                x[start.min(x.len())..(start + s).min(x.len())].iter().fold([0; 3], |mut c, &y| {
                    c[if y > 0.0 {
                        0
                    } else if y < 0.0 {
                        2
                    } else {
                        1
                    }] += 1;
                    c
                })
            })
            .collect();
        // The shares in f32, each divided by its largest (+10⁻⁸), as the authors' code.
        let shares: Vec<[f32; 3]> = counts.iter().map(|c| c.map(|k| k as f32 / s as f32)).collect();
        let largest: [f32; 3] = std::array::from_fn(|j| shares.iter().map(|x| x[j]).fold(0.0, f32::max));
        let points: Vec<Vec<f64>> =
            shares.iter().map(|x| (0..3).map(|j| f64::from(x[j] / (largest[j] + 1e-8))).collect()).collect();
        let h = mean_shift::bandwidth(&points, 0.5);
        if h == 0.0 {
            // scikit-learn refuses a zero bandwidth (always so for n ≤ 3, where each
            // point is its own median neighbour): the sign filter keeps everyone.
            return (0..v.len()).collect();
        }
        let labels = mean_shift::labels(&points, h);
        let mut sizes = vec![0usize; labels.iter().flatten().max().map_or(0, |m| m + 1)];
        labels.iter().flatten().for_each(|&l| sizes[l] += 1);
        // The first of the largest: the centre that attracted the most points while shifting.
        let Some(biggest) = (0..sizes.len()).rev().max_by_key(|&l| sizes[l]) else {
            // No cluster (no vectors, or a NaN bandwidth): the sign filter keeps everyone.
            return (0..v.len()).collect();
        };
        (0..v.len()).filter(|&i| labels[i] == Some(biggest)).collect()
    }

    /// The aggregate: the mean of the kept vectors, each clipped to the median norm.
    pub fn aggregate(&self, v: &Vectors, ctx: &mut Ctx) -> Vec<f32> {
        let v = without_nan(v);
        let (kept, norms) = self.filter(&v, ctx);
        if kept.is_empty() {
            return vec![0.0; v.first().map_or(0, |x| x.len())];
        }
        let radius = median(&norms, true);
        // clip_r(x) = min(1, r/‖x‖)·x; kept norms are finite and positive (the norm filter).
        let rows: Vec<&[f32]> = kept.iter().map(|&i| &*v[i]).collect();
        let scales: Vec<f64> = kept.iter().map(|&i| (radius / norms[i]).min(1.0)).collect();
        combination(&rows, &scales, kept.len() as f64)
    }
}

/// The vectors with NaN coordinates read as 0 (copied only where there are some).
fn without_nan(v: &Vectors) -> Vec<Cow<'_, [f32]>> {
    v.par_iter()
        .map(|x| {
            if x.iter().any(|y| y.is_nan()) {
                Cow::Owned(x.iter().map(|&y| if y.is_nan() { 0.0 } else { y }).collect())
            } else {
                Cow::Borrowed(x.as_slice())
            }
        })
        .collect()
}

/// The median of `x`: for even n the mean of the two middle values (numpy),
/// or the lower one when `lower` (torch).
fn median(x: &[f64], lower: bool) -> f64 {
    let mut s = x.to_vec();
    s.sort_unstable_by(f64::total_cmp);
    match s.len() {
        0 => 0.0,
        n if n % 2 == 1 || lower => s[(n - 1) / 2],
        n => 0.5 * (s[n / 2 - 1] + s[n / 2]),
    }
}

/// The norm filter keeps nothing when its lower bound is not below its upper one.
fn bounds_ordered(_: &Setting, args: &crate::plan::Args) -> Result<(), Unmet> {
    let bound = |k| args.get(k).and_then(ArgValue::number).unwrap_or(f64::NAN);
    let (low, high) = (bound("low"), bound("high"));
    if low < high {
        return Ok(());
    }
    Err(Unmet {
        message: format!("signguard's norm filter keeps no vector: low = {low} is not below high = {high}"),
        label: "low ≥ high".into(),
        help: "keep ‖x‖ between low·M and high·M with low < high (the paper's 0.1 and 3)".into(),
    })
}

/// The registry entry of SignGuard (`signguard`).
pub const ENTRY: RuleEntry = RuleEntry {
    spec: Spec {
        name: "signguard",
        kind: Kind::Rule,
        aliases: &[],
        summary: "norm filter and sign-statistics clustering, then the clipped mean of what both keep",
        doc: "Xu, Huang, Song & Lan, ICDCS 2022, Algorithm 1 (the authors' code): keep x_i with \
              low·M < ‖x_i‖ < high·M (M the median norm) that also fall in the largest mean-shift \
              cluster of the shares of positive, zero and negative coordinates in one random block of \
              ⌊share·d⌋ coordinates; average those, each clipped to the median norm.",
        params: &[
            Param {
                name: "low",
                ty: ParamType::Float { min: 0.0, inclusive: true },
                default: Default::Float(0.1),
                doc: "the norm filter's lower bound, as a multiple of the median norm (the paper's L = 0.1)",
            },
            Param {
                name: "high",
                ty: ParamType::Float { min: 0.0, inclusive: false },
                default: Default::Float(3.0),
                doc: "the norm filter's upper bound, as a multiple of the median norm (the paper's R = 3)",
            },
            Param {
                name: "share",
                ty: ParamType::Share { zero: false },
                default: Default::Float(0.1),
                doc: "the share of coordinates the sign statistics read (the authors' code: 10%)",
            },
        ],
        requires: Some(bounds_ordered),
        degenerate: None,
        needs_labels: false,
    },
    build: |c| {
        let sg = SignGuard::of(c);
        Box::new(move |v, ctx| sg.aggregate(v, ctx))
    },
    capabilities: Capabilities {
        select: Some(|c| {
            let sg = SignGuard::of(c);
            Box::new(move |v, ctx| sg.kept(v, ctx))
        }),
        ..Capabilities::NONE
    },
};

#[cfg(test)]
mod tests {
    use super::super::kernels::clipped;
    use super::*;
    use rand::SeedableRng;

    const SG: SignGuard = SignGuard { low: 0.1, high: 3.0, share: 1.0 };

    fn run(v: &[Vec<f32>], sg: SignGuard) -> (Vec<usize>, Vec<f32>) {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
        let ctx = &mut Ctx { f: 1, rng: &mut rng, previous: &[], norms: &[], server: &[] };
        let kept = sg.kept(v, ctx);
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
        let ctx = &mut Ctx { f: 1, rng: &mut rng, previous: &[], norms: &[], server: &[] };
        (kept, sg.aggregate(v, ctx))
    }

    #[test]
    fn a_flipped_sign_pattern_and_a_huge_norm_are_filtered() {
        // Five honest vectors, mostly positive; one all-negative (sign filter);
        // one positive but 10× longer (norm filter).
        let mut v: Vec<Vec<f32>> =
            (0..5).map(|i| vec![1.0 + 0.1 * i as f32, 1.0, 0.9, 1.1, -0.2 - 0.05 * i as f32, 1.0]).collect();
        v.push(vec![-1.0; 6]);
        v.push(vec![10.0; 6]);
        let (kept, agg) = run(&v, SG);
        assert_eq!(kept, [0, 1, 2, 3, 4]);
        // The honest vectors clipped to the median of all seven norms (an honest one's).
        let radius = median(&v.iter().map(|x| norm(x)).collect::<Vec<_>>(), true);
        assert!(v[..5].iter().any(|x| norm(x) > radius), "some honest vector is clipped");
        let expected = super::super::mean::mean(&v[..5].iter().map(|x| clipped(x, radius)).collect::<Vec<_>>());
        agg.iter().zip(&expected).for_each(|(a, e)| assert!((a - e).abs() < 1e-6, "{agg:?} vs {expected:?}"));
    }

    #[test]
    fn kept_vectors_longer_than_the_median_norm_are_clipped_to_it() {
        // Same signs everywhere; norms 1, 2, 3, 4, 5: the median 3 clips 4 and 5 (kept, < 3·3).
        let v: Vec<Vec<f32>> = (1..=5).map(|k| vec![k as f32, 0.0]).collect();
        let (kept, agg) = run(&v, SG);
        assert_eq!(kept, [0, 1, 2, 3, 4]);
        assert!((agg[0] - (1.0 + 2.0 + 3.0 + 3.0 + 3.0) / 5.0).abs() < 1e-6, "{agg:?}");
    }

    #[test]
    fn nan_reads_as_zero_and_an_infinite_norm_is_filtered() {
        let mut v: Vec<Vec<f32>> = (0..5).map(|i| vec![1.0, 1.0 + 0.1 * i as f32]).collect();
        v.push(vec![f32::INFINITY, 1.0]);
        v.push(vec![f32::NAN, 1.2]);
        let (kept, agg) = run(&v, SG);
        assert!(!kept.contains(&5), "{kept:?}");
        assert!(agg.iter().all(|x| x.is_finite()), "{agg:?}");
    }

    #[test]
    fn nothing_kept_gives_a_zero_update() {
        let v: Vec<Vec<f32>> = (1..=4).map(|k| vec![k as f32, 1.0]).collect();
        let (kept, agg) = run(&v, SignGuard { low: 100.0, high: 200.0, share: 1.0 });
        assert!(kept.is_empty());
        assert_eq!(agg, [0.0, 0.0]);
    }

    #[test]
    fn medians_follow_numpy_for_the_filter_and_torch_for_clipping() {
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0], false), 2.5);
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0], true), 2.0);
        assert_eq!(median(&[3.0, 1.0, 2.0], true), 2.0);
    }
}
