//! The robust D-SGD loop: schedules attacks over steps, records metrics.

pub mod profile;
mod result;

pub use crate::dynamics::{Divergence, Dynamics, SimError, State};
pub use result::{Metrics, RunResult, Series};

use crate::aggregate::kernels;
use crate::attack::{self, View};
use crate::plan::RunPlan;

/// Runs one configuration with one seed. A numerical blow-up ends the run
/// early and is recorded as a divergence; other failures are errors.
pub fn run(plan: &RunPlan) -> Result<RunResult, SimError> {
    run_observed(plan, &|| {})
}

/// `run`, calling `on_step` after each training step (for progress).
pub(crate) fn run_observed(plan: &RunPlan, on_step: &dyn Fn()) -> Result<RunResult, SimError> {
    let dynamics = Dynamics::build(plan)?;
    let mut attacks: Vec<_> = plan.attack.phases.iter().map(|p| attack::build(&p.attack)).collect();
    let steps = plan.train.steps;
    let mut state = dynamics.initial()?;
    let mut series = Series::default();
    let mut diverged = None;
    // The last state whose loss was finite, reported when a later one's is not.
    let mut last_finite: Option<State> = None;
    loop {
        // The step's honest vectors come first: their gradient pass also gives
        // the training loss recorded for this step.
        let (honest, loss) = if state.step < steps {
            let want_mean = plan.report.inner_product || attack_phase(plan, state.step).is_some();
            let sent = dynamics.honest_vectors_and_loss(&state, want_mean).map_err(|e| e.at(state.step))?;
            (Some((sent.vectors, sent.mean)), sent.loss)
        } else {
            (None, dynamics.training_loss(&state.theta, state.step).map_err(|e| e.at(state.step))?)
        };
        if !loss.is_finite() {
            diverged = Some(SimError::Diverged { step: state.step, cause: Divergence::HonestLoss(loss) });
            state = last_finite.unwrap_or(state);
            break;
        }
        series.record(state.step, loss, &state.theta, plan.report.trajectory);
        evaluate(plan, &dynamics, &state, &mut series).map_err(|e| e.at(state.step))?;
        let Some((honest, mean)) = honest else { break };
        match step(plan, &dynamics, &mut attacks, &state, honest, mean) {
            Ok((next, (inner, cosine))) => {
                if plan.report.inner_product {
                    series.inner_product.push(inner);
                    series.cosine.push(cosine);
                }
                last_finite = Some(std::mem::replace(&mut state, next));
                on_step();
            }
            Err(e @ SimError::Diverged { .. }) => {
                diverged = Some(e);
                break;
            }
            Err(e) => return Err(e.at(state.step)),
        }
    }
    Ok(RunResult::new(plan, series, state.theta, diverged))
}

/// Held-out accuracy every `report.every` steps and at the end, when asked for.
fn evaluate(plan: &RunPlan, dynamics: &Dynamics, state: &State, series: &mut Series) -> Result<(), SimError> {
    let due = state.step.is_multiple_of(plan.report.every.max(1)) || state.step == plan.train.steps;
    if plan.report.accuracy
        && due
        && let Some(e) = dynamics.evaluate(&state.theta)?
    {
        series.eval_step.push(state.step);
        series.accuracy.push(e.accuracy);
        series.test_loss.push(e.loss);
    }
    Ok(())
}

/// The attack phase that sends vectors at `step`, if any (there are
/// Byzantine workers and a phase covers the step): where `step` builds the
/// attack's view. Not every attack reads the honest mean (LF, JUMP, noise do
/// not); for them the mean taken with momentum is dropped: it costs
/// momentum's pass its additions, not a pass of its own.
fn attack_phase(plan: &RunPlan, step: usize) -> Option<usize> {
    plan.attack.phase_at(step).filter(|_| plan.workers.byzantine > 0)
}

/// One step from `state`: the attack's vectors, the aggregate, θ's update and
/// ⟨ḡ, F⟩. `mean` is the honest vectors' mean when momentum's pass took it.
fn step(
    plan: &RunPlan,
    dynamics: &Dynamics,
    attacks: &mut [Box<dyn attack::Attack>],
    state: &State,
    honest: Vec<Vec<f32>>,
    mean: Option<Vec<f32>>,
) -> Result<(State, (f64, f64)), SimError> {
    // ḡ only when ⟨ḡ, F⟩ is reported: it costs a pass over the honest vectors
    // unless momentum's pass took it. The attack, which may change its mean
    // in place, gets that one; ⟨ḡ, F⟩ a copy, or the mean itself when no
    // attack sends this step.
    let phase = attack_phase(plan, state.step);
    let (honest_mean, mean) = match (mean, plan.report.inner_product) {
        (mean, false) => (vec![], mean),
        (Some(m), true) if phase.is_some() => (m.clone(), Some(m)),
        (Some(m), true) => (m, None),
        (None, true) => (crate::aggregate::mean::mean(&honest), None),
    };
    let f = plan.workers.byzantine;
    let byzantine = match phase {
        Some(i) => {
            let phase_end = plan.attack.phases[i].end.unwrap_or(usize::MAX).min(plan.train.steps);
            let mean = std::sync::Mutex::new(mean);
            let view = View { dynamics, state, honest: &honest, f, n: plan.workers.n(), phase_end, mean };
            // Non-finite Byzantine vectors are the rule's problem (see `inf`);
            // a non-finite model ends the run in `advance`.
            attacks[i].vectors(&view)?
        }
        _ => vec![],
    };
    let next = dynamics.advance(state, honest, byzantine)?;
    // ⟨ḡ, F⟩ < 0 means the step ascends the honest loss to first order (002 Definition 4).
    let (inner, cosine) = if honest_mean.is_empty() {
        // Not reported: no pass over the aggregate.
        (0.0, 0.0)
    } else {
        let inner = kernels::dot(&honest_mean, &next.aggregate);
        let norms = kernels::norm(&honest_mean) * kernels::norm(&next.aggregate);
        (inner, if norms > 0.0 { inner / norms } else { 0.0 })
    };
    Ok((next, (inner, cosine)))
}
