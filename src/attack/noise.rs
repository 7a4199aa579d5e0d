//! Attacks that send noise or infinities rather than shifted gradients.
//! `gaussian(sigma)`: each Byzantine worker sends its own N(0, σ² I) draw,
//! from the (seed, attack, step, worker) stream. `inf`: every coordinate +∞
//! (as ByzFL's Inf); the rule decides what to make of it, and a model that
//! becomes non-finite ends the run as a divergence.

use rand_distr::{Distribution, Normal};

use super::{Attack, AttackEntry, AttackMemory, View};
use crate::dynamics::SimError;
use crate::rng::{Purpose, stream};
use crate::spec::{Default, Kind, Param, ParamType, Spec};

#[derive(Clone)]
struct Gaussian {
    sigma: f32,
}

impl Attack for Gaussian {
    fn vectors(&mut self, view: &View) -> Result<Vec<Vec<f32>>, SimError> {
        let d = view.state.theta.len();
        let normal = Normal::new(0.0f32, self.sigma).map_err(|e| SimError::Parameter(format!("gaussian: {e}")))?;
        Ok((0..view.f)
            .map(|w| {
                let mut rng = stream(view.dynamics.seed(), Purpose::Attack, view.state.step as u64, w as u64);
                (0..d).map(|_| normal.sample(&mut rng)).collect()
            })
            .collect())
    }
}

#[derive(Clone)]
struct Infinity;

impl Attack for Infinity {
    fn vectors(&mut self, view: &View) -> Result<Vec<Vec<f32>>, SimError> {
        Ok(view.collude(vec![f32::INFINITY; view.state.theta.len()]))
    }
}

/// The registry entry of Gaussian noise (`gaussian`).
pub const GAUSSIAN: AttackEntry = AttackEntry {
    memory: AttackMemory::Nothing,
    spec: Spec {
        name: "gaussian",
        kind: Kind::Attack,
        aliases: &["noise"],
        summary: "independent Gaussian noise from each Byzantine worker",
        doc: "a^(i) ~ N(0, σ² I), a fresh draw per worker and step from the run's seeded streams.",
        params: &[Param {
            name: "sigma",
            ty: ParamType::Float { min: 0.0, inclusive: true },
            default: Default::Float(1.0),
            doc: "the standard deviation σ",
        }],
        requires: None,
        degenerate: None,
        needs_labels: false,
    },
    build: |c| Box::new(Gaussian { sigma: c.float("sigma") as f32 }),
};

/// The registry entry of `inf`: +∞ in every coordinate.
pub const INF: AttackEntry = AttackEntry {
    memory: AttackMemory::Nothing,
    spec: Spec {
        name: "inf",
        kind: Kind::Attack,
        aliases: &[],
        summary: "send +∞ in every coordinate",
        doc: "a = (+∞, ..., +∞): a test of how a rule copes with non-finite inputs.",
        params: &[],
        requires: None,
        degenerate: None,
        needs_labels: false,
    },
    build: |_| Box::new(Infinity),
};
