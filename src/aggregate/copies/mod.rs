//! Aggregating the honest vectors together with f copies of one vector v,
//! for many v: what a planning adversary does when it searches over λ in
//! a = λ ḡ (JUMP, 001 Algorithm 1). What does not depend on v is computed
//! once per step; each candidate then costs a fraction of the rule. Every
//! form here gives the rule's own bits on the n vectors (tested).

mod gm;
mod krum;
mod median;

pub use gm::GmWithCopies;
pub use krum::{KrumLine, KrumWithCopies};
pub use median::MedianWithCopies;

use super::Vectors;

/// A rule prepared for the honest vectors and f copies of one vector.
///
/// Every rule here keeps each coordinate of its aggregate within the largest
/// magnitude of that coordinate among its inputs, |F_j| ≤ max_i |x_ij|, after
/// rounding to f32 (a median, a chosen vector, a mean of chosen vectors, a
/// mean with Weiszfeld's positive finite weights): a planner may bound the
/// aggregate by the inputs alone (JUMP, with `Dynamics::ignored_below`). A
/// rule added here must keep this.
pub enum WithCopies<'a> {
    /// The coordinate-wise median: a per-coordinate clamp.
    Median(MedianWithCopies),
    /// Krum and Multi-Krum: the honest vectors' distances to each other are kept.
    Krum(KrumWithCopies<'a>),
    /// The geometric median: the honest rows of its Gram matrix are kept.
    Gm(GmWithCopies<'a>),
}

/// The aggregate of the honest vectors and f copies of a candidate v.
pub enum Candidate {
    /// It depends on v.
    Vector(Vec<f32>),
    /// It is v itself (Krum picking a copy).
    Copy,
    /// The rule chose only honest vectors (these, in increasing order): every
    /// candidate that makes the same choice gives the same aggregate, so a
    /// planner need compute its consequences once.
    Honest(Vec<usize>),
}

/// How a rule prepares itself for many candidates (`Capabilities::with_copies`).
pub type PrepareFn = Box<dyn for<'a> Fn(&'a Vectors, usize) -> WithCopies<'a> + Send + Sync>;

impl WithCopies<'_> {
    /// The rule's aggregate of the honest vectors and f copies of `v`.
    pub fn candidate(&self, v: &[f32]) -> Candidate {
        match self {
            WithCopies::Median(m) => Candidate::Vector(m.aggregate(v)),
            WithCopies::Krum(k) => k.candidate(v),
            WithCopies::Gm(g) => Candidate::Vector(g.aggregate(v)),
        }
    }

    /// Whether Krum picks a copy of (1 − η) ḡ (its aggregate is then that vector), for
    /// many η, from three numbers per honest vector (`KrumWithCopies::krum_picks_along`); `None` but for Krum.
    pub fn krum_picks_along(&self, mean: &[f32]) -> Option<impl Fn(f64) -> bool + '_> {
        match self {
            WithCopies::Krum(k) => k.krum_picks_along(mean),
            _ => None,
        }
    }

    /// Krum's (not Multi-Krum's) line of copies of (1 − η) ḡ (`KrumWithCopies::line`); `None` but for Krum.
    pub fn krum_line(&self, mean: &[f32]) -> Option<KrumLine> {
        match self {
            WithCopies::Krum(k) => k.line(mean),
            _ => None,
        }
    }

    /// The candidate (1 − η) ḡ on Krum's `line`, from its choice: `Copy`, or the honest rows.
    pub fn krum_candidate_on_line(&self, line: &KrumLine, eta: f64) -> Candidate {
        match self {
            WithCopies::Krum(k) => k.candidate_on_line(line, eta),
            _ => unreachable!("a Krum line comes from Krum"),
        }
    }

    /// The aggregate of a `Candidate::Honest` choice.
    pub fn honest_aggregate(&self, rows: &[usize]) -> Vec<f32> {
        match self {
            WithCopies::Median(_) | WithCopies::Gm(_) => unreachable!("only Krum chooses honest rows alone"),
            WithCopies::Krum(k) => k.honest_aggregate(rows),
        }
    }

    /// The aggregate of the honest vectors and f copies of `v`, whatever its form.
    #[cfg(test)]
    pub fn aggregate(&self, v: &[f32]) -> Vec<f32> {
        match self.candidate(v) {
            Candidate::Vector(a) => a,
            Candidate::Copy => v.to_vec(),
            Candidate::Honest(rows) => self.honest_aggregate(&rows),
        }
    }
}
