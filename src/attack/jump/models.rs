//! The scores of the models one step's candidates lead to, kept by the
//! models' bits: candidates whose aggregates give the same model are scored
//! once. This happens often: once a model has blown up (weights near 1e32
//! under GM on MNIST), γ times any aggregate is below half a unit in the last
//! place of every weight and each step leaves the model as it is, so every
//! candidate gives the same model; a median clamped at the same honest values
//! gives the same aggregate. Equal bits give equal scores, so results do not
//! change (the score is a function of the model and the step).

use rustc_hash::{FxHashMap, FxHasher};

use super::{Measure, score};
use crate::dynamics::{Dynamics, SimError, State};

/// Scores by model, for one step's candidates.
#[derive(Default)]
pub(super) struct ModelScores {
    /// Models by a hash of their bits, each with its score (hashes may collide: equality is checked).
    seen: FxHashMap<u64, Vec<Scored>>,
    /// Numbers kept in `seen`, at most `KEPT`.
    kept: usize,
}

/// A model and its score.
struct Scored {
    theta: Vec<f32>,
    score: f64,
}

/// At most 64 MB of models per step: all of a logistic regression's
/// (31 KB each), a dozen of the MNIST CNN's (4.8 MB each, 0.1 s to score).
const KEPT: usize = 16 << 20;

impl ModelScores {
    /// The score of the model the server's step from `state` makes of `agg`.
    pub(super) fn score_next(
        &mut self,
        dynamics: &Dynamics,
        state: &State,
        agg: Vec<f32>,
        measure: Measure,
    ) -> Result<f64, SimError> {
        let theta = dynamics.descend(state, agg)?.0;
        self.score(dynamics, state, theta, measure)
    }

    /// The score of `theta`, a model the server's step from `state` makes.
    pub(super) fn score(
        &mut self,
        dynamics: &Dynamics,
        state: &State,
        theta: Vec<f32>,
        measure: Measure,
    ) -> Result<f64, SimError> {
        let key = bits_hash(&theta);
        let same = |model: &&Scored| same_bits(&model.theta, &theta);
        if let Some(known) = self.seen.get(&key).and_then(|models| models.iter().find(same)) {
            return Ok(known.score);
        }
        let value = score(dynamics, &theta, state.step + 1, measure)?;
        if self.kept + theta.len() <= KEPT {
            self.kept += theta.len();
            self.seen.entry(key).or_default().push(Scored { theta, score: value });
        }
        Ok(value)
    }
}

/// A hash of the numbers' bits (FxHash over the bytes: a few µs for MNIST's 7,850).
fn bits_hash(x: &[f32]) -> u64 {
    use std::hash::Hasher;
    let mut h = FxHasher::default();
    for chunk in x.chunks(2) {
        let pair = chunk.iter().fold(0u64, |p, v| (p << 32) | u64::from(v.to_bits()));
        h.write_u64(pair);
    }
    h.write_usize(x.len());
    h.finish()
}

/// The same numbers bit for bit (−0 and +0 differ; a model is finite here).
fn same_bits(a: &[f32], b: &[f32]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.to_bits() == y.to_bits())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bits_decide() {
        let a = vec![1.0f32, -0.0, 3.5];
        assert_eq!(bits_hash(&a), bits_hash(&a.clone()));
        assert!(same_bits(&a, &a.clone()));
        assert!(!same_bits(&a, &[1.0, 0.0, 3.5]), "−0 and +0 are different models' bits");
        assert!(!same_bits(&a, &a[..2]));
        assert_ne!(bits_hash(&a), bits_hash(&[1.0, 0.0, 3.5]));
    }
}
