//! A step's two halves timed apart, for `byz plan --estimate`: the honest
//! workers' gradients (which depend only on the task and the honest workers)
//! and the server's side (the attack and the aggregation, on given honest
//! vectors). Runs that share a task share the first measurement, so a sweep
//! of rules × attacks pays for the gradients once.

use std::time::{Duration, Instant};

use super::{Dynamics, SimError, step};
use crate::attack;
use crate::plan::RunPlan;

/// What the honest side of a step costs, and the vectors it sent.
pub struct HonestCost {
    /// Building the run: data split, model, graphs.
    pub setup: Duration,
    /// The honest gradients, clipping and momentum of one step.
    pub per_step: Duration,
    /// The first step's honest vectors, for timing the server on them.
    pub honest: Vec<Vec<f32>>,
}

/// Times the honest gradients of `plan`'s first step: one warm pass, then `steps` timed ones.
pub fn honest(plan: &RunPlan, steps: usize) -> Result<HonestCost, SimError> {
    let start = Instant::now();
    let dynamics = Dynamics::build(plan)?;
    let state = dynamics.initial()?;
    let setup = start.elapsed();
    let mut honest = dynamics.honest_vectors_and_loss(&state, false)?.vectors;
    let timed = Instant::now();
    for _ in 0..steps.max(1) {
        honest = dynamics.honest_vectors_and_loss(&state, false)?.vectors;
    }
    Ok(HonestCost { setup, per_step: timed.elapsed() / steps.max(1) as u32, honest })
}

/// Times the server's side of `plan`'s first step (the Byzantine vectors and
/// the aggregation) on the given honest vectors.
pub fn server(plan: &RunPlan, honest: &[Vec<f32>]) -> Result<Duration, SimError> {
    let dynamics = Dynamics::build(plan)?;
    let mut attacks: Vec<_> = plan.attack.phases.iter().map(|p| attack::build(&p.attack)).collect();
    let state = dynamics.initial()?;
    let start = Instant::now();
    step(plan, &dynamics, &mut attacks, &state, honest.to_vec(), None)?;
    Ok(start.elapsed())
}
