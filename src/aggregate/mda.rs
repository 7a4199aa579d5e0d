//! Minimum-diameter averaging (MDA).
//!
//! `MDA(x_1..x_n) = (1/(n−f)) Σ_{i ∈ S*} x_i` with
//! `S* ∈ argmin_{S ⊂ [n], |S| = n−f} max_{i,j ∈ S} ‖x_i − x_j‖`. Source: El Mhamdi,
//! Guerraoui, Guirguis, Hoang & Rouault, "Genuinely Distributed Byzantine
//! Machine Learning", PODC 2020, §4 (MDA); also Allouah et al. 2023, "Fixing
//! by Mixing", Table 1.
//!
//! Ties: the diameter is set by a single pair, so many subsets often share
//! the minimum (ByzFL then takes the first it enumerates, which depends on
//! the order of the workers). Here ties are broken by the smaller sum of
//! squared pairwise distances within the subset, which keeps the rule
//! invariant under permutations of the inputs; only exact ties of both
//! criteria fall back to the first subset in lexicographic order of indices.
//!
//! Exact search: subsets are enumerated depth first in lexicographic order of
//! their indices; a branch is cut as soon as its partial (diameter, sum)
//! reaches the best found (both only grow as vectors are added). There are C(n, f) subsets; the checker refuses
//! scenarios where C(n, f) > [`MAX_SUBSETS`]. Distances come from
//! `kernels::pairwise_sq_distances`: a vector with a NaN or infinite coordinate
//! is at distance `+inf` from all others, so it is left out whenever a finite
//! subset exists.

use super::kernels::{mean_of, pairwise_sq_distances};
use super::{Capabilities, RuleEntry, Vectors};
use crate::plan::Args;
use crate::spec::{Kind, Setting, Spec, Unmet};

/// The most subsets the exact search may have to visit.
pub const MAX_SUBSETS: f64 = 1e6;

/// Indices (increasing) of a minimum-diameter subset of size `n − f` (at least 1).
pub(crate) fn mda_select(v: &Vectors, f: usize) -> Vec<usize> {
    let n = v.len();
    if n == 0 {
        return Vec::new();
    }
    let size = n.saturating_sub(f).max(1);
    let d = pairwise_sq_distances(v);
    let mut search = Search { n, size, d: &d, best: None, current: Vec::with_capacity(size) };
    search.visit(0, (0.0, 0.0));
    search.best.map(|(_, s)| s).unwrap_or_default()
}

/// MDA: the mean of a minimum-diameter subset of `n − f` vectors.
pub fn mda(v: &Vectors, f: usize) -> Vec<f32> {
    mean_of(v, &mda_select(v, f))
}

struct Search<'a> {
    n: usize,
    size: usize,
    d: &'a [f64],
    /// (squared diameter, sum of squared distances) and the subset.
    best: Option<((f64, f64), Vec<usize>)>,
    current: Vec<usize>,
}

impl Search<'_> {
    fn visit(&mut self, from: usize, key: (f64, f64)) {
        if self.current.len() == self.size {
            self.best = Some((key, self.current.clone()));
            return;
        }
        let missing = self.size - self.current.len();
        for i in from..=self.n - missing {
            let row = self.current.iter().map(|&j| self.d[i * self.n + j]);
            let grown = row.fold(key, |(diam, sum), x| (diam.max(x), sum + x));
            if matches!(&self.best, Some((b, _)) if grown.0.total_cmp(&b.0).then(grown.1.total_cmp(&b.1)).is_ge()) {
                continue;
            }
            self.current.push(i);
            self.visit(i + 1, grown);
            self.current.pop();
        }
    }
}

/// C(n, k) as a float (exact far beyond the limit that matters here).
pub(crate) fn binomial(n: usize, k: usize) -> f64 {
    let k = k.min(n.saturating_sub(k));
    (0..k).fold(1.0, |acc, i| acc * (n - i) as f64 / (i + 1) as f64)
}

fn mda_fits(s: &Setting, _: &Args) -> Result<(), Unmet> {
    let subsets = binomial(s.n, s.f);
    if s.f > s.n || subsets > MAX_SUBSETS {
        return Err(Unmet {
            message: format!("MDA would search C({}, {}) ≈ {subsets:.3e} subsets", s.n, s.f),
            label: format!("more than {MAX_SUBSETS:.0e} subsets of {} vectors", s.n - s.f.min(s.n)),
            help:
                "use fewer workers or Byzantine workers, or a rule that does not search subsets such as `krum` or `gm`"
                    .into(),
        });
    }
    Ok(())
}

/// The registry entry of minimum-diameter averaging (`mda`), refused when C(n, f) exceeds `MAX_SUBSETS`.
pub const ENTRY: RuleEntry = RuleEntry {
    spec: Spec {
        name: "mda",
        kind: Kind::Rule,
        aliases: &["minimum_diameter_averaging"],
        summary: "the average of the n − f vectors of smallest diameter",
        doc: "Average of a subset of n − f vectors whose largest pairwise distance is smallest, found by \
              exact search (El Mhamdi et al. 2020); needs C(n, f) ≤ 10⁶.",
        params: &[],
        requires: Some(mda_fits),
        degenerate: None,
        needs_labels: false,
    },
    build: |_| Box::new(|v, ctx| mda(v, ctx.f)),
    capabilities: Capabilities { select: Some(|_| Box::new(|v, ctx| mda_select(v, ctx.f))), ..Capabilities::NONE },
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_computed() {
        // Drop one of {0, 1, 2, 10}: {0, 1, 2} has diameter 2, every other subset ≥ 9.
        let v = [vec![10.0], vec![0.0], vec![1.0], vec![2.0]];
        assert_eq!(mda_select(&v, 1), vec![1, 2, 3]);
        assert_eq!(mda(&v, 1), vec![1.0]);
        // Ties: {0, 1} and {1, 2} both have diameter 1 (and sum 1); the first in index order wins.
        let v = [vec![0.0], vec![1.0], vec![2.0]];
        assert_eq!(mda_select(&v, 1), vec![0, 1]);
        // Diameter ties broken by the sum: {4, 3.9, 2} and {2, 0.5, 0} both span 2;
        // sums of squares 0.01 + 4 + 3.61 = 7.62 and 2.25 + 4 + 0.25 = 6.5.
        let w = [vec![4.0], vec![3.9], vec![2.0], vec![0.5], vec![0.0]];
        assert_eq!(mda_select(&w, 2), vec![2, 3, 4]);
        // f = 0: everything; f ≥ n: one vector.
        assert_eq!(mda_select(&v, 0), vec![0, 1, 2]);
        assert_eq!(mda_select(&v, 5), vec![0]);
        assert!(mda(&[], 1).is_empty());
    }

    #[test]
    fn non_finite_is_left_out() {
        let v = [vec![f32::NAN], vec![0.0], vec![f32::INFINITY], vec![1.0], vec![3.0]];
        assert_eq!(mda_select(&v, 2), vec![1, 3, 4]);
        // Only non-finite vectors: every diameter is +inf; the first subset is kept.
        let v = [vec![f32::NAN], vec![f32::NAN], vec![f32::NAN]];
        assert_eq!(mda_select(&v, 1), vec![0, 1]);
    }

    #[test]
    fn requirement() {
        assert_eq!(binomial(15, 3), 455.0);
        assert_eq!(binomial(5, 0), 1.0);
        let args = Args::new();
        assert!(mda_fits(&Setting { n: 15, f: 3, declared: false }, &args).is_ok());
        assert!(mda_fits(&Setting { n: 40, f: 10, declared: false }, &args).is_err());
    }
}
