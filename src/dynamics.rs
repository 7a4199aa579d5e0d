//! One step of robust D-SGD as a pure function of the state (001 eq. (3)):
//! honest workers compute, clip and average their gradients into momentum,
//! the server aggregates all n vectors and takes a step. Pure, so that the
//! adversary can simulate the future exactly.

use rayon::prelude::*;

use crate::aggregate::copies::WithCopies;
use crate::aggregate::{Aggregator, Ctx, kernels, rule_entry};
use crate::plan::{RunPlan, Train};
use crate::rng::{Purpose, stream};
use crate::task::{self, LossLine, Task, TaskError};

/// A failure that ends a run: numbers that blew up, or a task that broke.
#[derive(Debug, Clone, thiserror::Error)]
pub enum SimError {
    /// The numbers blew up: recorded as a diverged run with its series so far.
    #[error("diverged at step {step}: {cause}")]
    Diverged { step: usize, cause: Divergence },
    /// A task failure before the loop (or not yet placed at a step).
    #[error(transparent)]
    Task(#[from] TaskError),
    /// A task failure inside the loop, with the step it happened at.
    #[error("step {step}: {cause}")]
    AtStep {
        step: usize,
        #[source]
        cause: TaskError,
    },
    /// A parameter the checker should have refused reached the simulator.
    #[error("{0}")]
    Parameter(String),
    /// A run panicked: a bug in byz, caught so that the other runs go on.
    #[error("byz panicked ({0}); this is a bug in byz, please report it")]
    Panicked(String),
    /// Preparing a run failed outside the simulation (the estimate's stand-in data).
    #[error("cannot write {path}: {cause}")]
    Io { path: std::path::PathBuf, cause: std::sync::Arc<std::io::Error> },
}

/// What blew up when a run diverged.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Divergence {
    #[error("the honest loss is {0}")]
    HonestLoss(f64),
    #[error("the model has a non-finite coordinate")]
    Model,
    #[error("the server's own vector on its root set is not finite")]
    ServerVector,
    /// The planning attack found no candidate whose future stayed finite.
    #[error("every planned candidate blew up")]
    EveryPlan,
}

impl SimError {
    /// The step the run ended at, when it ended inside the loop.
    pub fn step(&self) -> Option<usize> {
        match self {
            SimError::Diverged { step, .. } | SimError::AtStep { step, .. } => Some(*step),
            _ => None,
        }
    }

    /// This error, placed at `step` unless it already has a step.
    pub(crate) fn at(self, step: usize) -> Self {
        match self {
            SimError::Task(cause) => SimError::AtStep { step, cause },
            placed => placed,
        }
    }
}

/// A run's state after `step` steps: the model θ, the honest workers' momenta and the last aggregate.
#[derive(Debug, Clone, PartialEq)]
pub struct State {
    /// Steps taken so far.
    pub step: usize,
    pub theta: Vec<f32>,
    /// Each honest worker's momentum, m_0 = 0.
    pub momenta: Vec<Vec<f32>>,
    /// The server's aggregate F(...) of the step that led here (empty at the start).
    pub aggregate: Vec<f32>,
    /// The norms of every vector the server received so far, for rules that
    /// clip at their median (`clipped_clustering`); empty for the others.
    pub norms: Vec<f32>,
    /// The server's own vector for this step, from its root data set with the
    /// workers' clipping and momentum (`fltrust`); empty for other rules.
    pub server: Vec<f32>,
}

/// One run's robust D-SGD: its task, aggregation pipeline, training settings, f and seed.
pub struct Dynamics {
    task: Box<dyn Task>,
    aggregator: Aggregator,
    train: Train,
    /// The real f: how many vectors the attack adds.
    f: usize,
    /// The f the rules are told (`Workers::declared_f`).
    declared_f: usize,
    seed: u64,
    /// The server computes its own vector on a root data set (`Capabilities::root_data`).
    serves: bool,
}

impl Dynamics {
    /// The dynamics of `plan`'s run; building its task may load a data set, which may fail.
    pub fn build(plan: &RunPlan) -> Result<Self, SimError> {
        let rule = &plan.aggregate.rule;
        let root = rule_entry(&rule.name).capabilities.root_data.map(|data| data(rule));
        Ok(Dynamics {
            task: task::build(&plan.task, plan.workers.honest, plan.seed, root.as_ref())?,
            aggregator: Aggregator::build(&plan.aggregate),
            train: plan.train.clone(),
            f: plan.workers.byzantine,
            declared_f: plan.workers.declared_f(),
            seed: plan.seed,
            serves: root.is_some(),
        })
    }

    /// The state before the first step: θ_0 from the task, zero momenta, no
    /// aggregate yet, and the server's first vector when it computes one.
    pub fn initial(&self) -> Result<State, SimError> {
        let d = self.task.dim();
        let theta = self.task.init();
        let server = self.server_vector(&theta, 0, &vec![0.0; d]).map_err(|e| e.at(0))?;
        Ok(State {
            step: 0,
            theta,
            momenta: vec![vec![0.0; d]; self.task.honest()],
            aggregate: vec![],
            norms: vec![],
            server,
        })
    }

    /// The server's own vector at `theta` in `step` after `previous`: its root
    /// gradient clipped and averaged into momentum as an honest worker's; empty
    /// when the rule does not ask for one.
    fn server_vector(&self, theta: &[f32], step: usize, previous: &[f32]) -> Result<Vec<f32>, SimError> {
        if !self.serves {
            return Ok(vec![]);
        }
        let Some(g) = self.task.server_gradient(theta, step) else {
            return Err(TaskError::Lacks("this task holds no root data set for the server").into());
        };
        let mut g = g?;
        let s = self.train.clip.map_or(1.0, |c| clip_scale(&g, c));
        self.momentum_step(&mut g, previous, s);
        // A non-finite server vector would make every later aggregate zero: a stall, not a run.
        if g.iter().any(|x| !x.is_finite()) {
            return Err(SimError::Diverged { step, cause: Divergence::ServerVector });
        }
        Ok(g)
    }

    /// What the honest workers send at `state`: clipped gradients averaged into
    /// momentum, m_t = β m_{t−1} + (1 − β) clip(g_t) (D-SHB of Allouah et al. 2023).
    pub fn honest_vectors(&self, state: &State) -> Result<Vec<Vec<f32>>, SimError> {
        Ok(self.send(self.task.honest_gradients(&state.theta, state.step)?, state))
    }

    /// `honest_vectors` and the training loss recorded for `state`, from one
    /// gradient pass; with `want_mean`, also the vectors' mean when momentum's
    /// pass can take it (long vectors, no `train.noise`).
    pub fn honest_vectors_and_loss(&self, state: &State, want_mean: bool) -> Result<Sent, SimError> {
        let (grads, loss) = self.task.gradients_and_training_loss(&state.theta, state.step)?;
        let (vectors, mean) = self.send_with_mean(grads, state, want_mean);
        Ok(Sent { vectors, mean, loss })
    }

    /// Clipping and momentum: what the honest workers send, given their gradients at `state`.
    fn send(&self, grads: Vec<Vec<f32>>, state: &State) -> Vec<Vec<f32>> {
        self.send_with_mean(grads, state, false).0
    }

    /// `send`, and with `want_mean` the vectors' mean taken in the same pass
    /// as momentum (`mean::mean_updating`) when the vectors are long enough
    /// for blocks of coordinates to keep both threads busy. Short vectors
    /// (logistic regression's 7,850 numbers) keep momentum over the workers.
    fn send_with_mean(
        &self,
        mut grads: Vec<Vec<f32>>,
        state: &State,
        want_mean: bool,
    ) -> (Vec<Vec<f32>>, Option<Vec<f32>>) {
        // Each worker's vector is its own, so workers run in parallel with the same numbers.
        let small = crate::task::min_len(grads.len() * state.theta.len(), grads.len());
        match self.train.noise {
            None => {
                let scales = match self.train.clip {
                    Some(c) => clip_scales(&grads, c),
                    None => vec![1.0; grads.len()],
                };
                if want_mean && state.theta.len() >= FUSED_MEAN_FROM {
                    let mean = crate::aggregate::mean::mean_updating(&mut grads, |w, start, g| {
                        // As the zip below: a worker without a momentum row is left as it is.
                        if let Some(m) = state.momenta.get(w) {
                            self.momentum_step(g, &m[start.min(m.len())..], scales[w]);
                        }
                    });
                    return (grads, Some(mean));
                }
                let workers = grads.par_iter_mut().zip(&state.momenta).zip(scales).with_min_len(small);
                workers.for_each(|((g, m), s)| self.momentum_step(g, m, s));
            }
            Some(sigma) => {
                grads.par_iter_mut().zip(&state.momenta).enumerate().with_min_len(small).for_each(|(w, (g, m))| {
                    // Clip, add N(0, σ² I), then momentum: the noise must not be clipped.
                    if let Some(c) = self.train.clip {
                        clip(g, c);
                    }
                    let mut rng = stream(self.seed, Purpose::Noise, w as u64, state.step as u64);
                    // σ is finite and above 0 (the checker's), so the distribution exists.
                    if let Ok(normal) = rand_distr::Normal::new(0.0f32, sigma as f32) {
                        g.iter_mut().for_each(|x| *x += rand_distr::Distribution::sample(&normal, &mut rng));
                    }
                    self.momentum_step(g, m, 1.0);
                })
            }
        }
        (grads, None)
    }

    /// g ← β m + (1 − β) s·g, s being clipping's scale (`clip_scale`; 1 for
    /// no clipping, or a gradient already clipped before `train.noise` was
    /// added to it): the scale and the momentum in one pass (the same numbers
    /// as two).
    fn momentum_step(&self, g: &mut [f32], m: &[f32], s: f32) {
        let beta = self.train.momentum as f32;
        match (beta != 0.0, s != 1.0) {
            (true, _) => g.iter_mut().zip(m).for_each(|(g, m)| *g = beta * m + (1.0 - beta) * (*g * s)),
            (false, true) => g.iter_mut().for_each(|g| *g *= s),
            (false, false) => {}
        }
    }

    /// What the honest workers would compute on flipped labels, clipped like their gradients
    /// (for label flipping); `None` for tasks without labels.
    pub fn flipped_gradients(&self, state: &State) -> Result<Option<Vec<Vec<f32>>>, SimError> {
        let Some(grads) = self.task.flipped_label_gradients(&state.theta, state.step).transpose()? else {
            return Ok(None);
        };
        Ok(Some(
            grads
                .into_iter()
                .map(|mut g| {
                    if let Some(c) = self.train.clip {
                        clip(&mut g, c);
                    }
                    g
                })
                .collect(),
        ))
    }

    /// The mean logit gap at θ on the honest batches of `step` (data tasks), for STAB.
    pub fn logit_gap(&self, theta: &[f32], step: usize) -> Result<f64, SimError> {
        match self.task.logit_gap(theta, step) {
            Some(gap) => Ok(gap?),
            None => Err(TaskError::Lacks("STAB needs a model with logits").into()),
        }
    }

    /// Worker-side momentum β.
    pub fn momentum(&self) -> f32 {
        self.train.momentum as f32
    }

    /// Aggregates honest then Byzantine vectors and steps: θ_{t+1} = θ_t − γ F(...).
    pub fn advance(&self, state: &State, honest: Vec<Vec<f32>>, byzantine: Vec<Vec<f32>>) -> Result<State, SimError> {
        let h = honest.len();
        let mut all = honest;
        all.extend(byzantine);
        let (agg, seen) = self.server_aggregate_noting_norms(state, &all);
        let (theta, agg) = self.descend(state, agg)?;
        let mut norms = state.norms.clone();
        norms.extend(seen);
        all.truncate(h);
        let server = self.server_vector(&theta, state.step + 1, &state.server)?;
        Ok(State { step: state.step + 1, theta, momenta: all, aggregate: agg, norms, server })
    }

    /// F(...) of all n vectors (honest first) at `state`, as the server computes it
    /// this step (the same random stream, the declared f, the previous aggregate).
    pub(crate) fn server_aggregate(&self, state: &State, all: &[Vec<f32>]) -> Vec<f32> {
        self.server_aggregate_noting_norms(state, all).0
    }

    /// `server_aggregate`, and the norms the rule received when it keeps a
    /// history of them (`Capabilities::norm_history`; empty otherwise).
    fn server_aggregate_noting_norms(&self, state: &State, all: &[Vec<f32>]) -> (Vec<f32>, Vec<f32>) {
        let mut rng = stream(self.seed, Purpose::Aggregation, state.step as u64, 0);
        let ctx = &mut Ctx {
            f: self.declared_f,
            rng: &mut rng,
            previous: &state.aggregate,
            norms: &state.norms,
            server: &state.server,
        };
        self.aggregator.aggregate_noting_norms(all, ctx)
    }

    /// The aggregation of `honest` with f copies of one vector, prepared for many
    /// candidates, when the pipeline allows it (see `aggregate::copies`).
    pub(crate) fn with_copies<'a>(&self, honest: &'a [Vec<f32>]) -> Option<WithCopies<'a>> {
        self.aggregator.with_copies(honest, self.f)
    }

    /// θ_{t+1} = θ_t − γ_t F, or a divergence: the server's step from an aggregate F.
    pub fn descend(&self, state: &State, agg: Vec<f32>) -> Result<(Vec<f32>, Vec<f32>), SimError> {
        let lr = self.lr_at(state.step) as f32;
        // Entry by entry, so any split gives the same bits; over the threads
        // in pieces of at least CHUNK (the MNIST CNN's 1.2 M weights kept one
        // thread busy while the other waited), each written once.
        const CHUNK: usize = 1 << 16;
        let theta: Vec<f32> = state.theta.par_iter().zip(&agg).with_min_len(CHUNK).map(|(t, a)| t - lr * a).collect();
        if !theta.par_iter().with_min_len(CHUNK).all(|x| x.is_finite()) {
            return Err(SimError::Diverged { step: state.step + 1, cause: Divergence::Model });
        }
        Ok((theta, agg))
    }

    /// The largest aggregate the server's step from `state` surely ignores:
    /// if every |F_j| is below it, `descend` returns θ_t bit for bit. 0 if θ_t
    /// has a zero or non-finite weight. A model that has blown up (weights
    /// near 1e32) is left as it is by any step of ordinary size.
    ///
    /// Why: the f32 numbers next to a normal |θ_j| are at least |θ_j|·2⁻²⁴
    /// apart (the closer neighbour lies below a power of two), and
    /// round-to-nearest maps θ_j − δ back to θ_j when |δ| is at most half of
    /// that, |θ_j|·2⁻²⁵. Rounding is monotone, so γF_j rounded stays within
    /// γ·bound rounded; the bound min|θ_j|·2⁻²⁷ / γ leaves a factor 4 for the
    /// roundings of the product and of the aggregate's own inputs (tested at
    /// 3.5×). Subnormal weights are 2⁻¹⁴⁹ apart, further than this assumes.
    pub fn ignored_below(&self, state: &State) -> f64 {
        let lr = self.lr_at(state.step).abs();
        let smallest = state
            .theta
            .iter()
            .fold(f64::INFINITY, |m, &t| if t.is_finite() && t != 0.0 { m.min(f64::from(t.abs())) } else { 0.0 });
        if smallest == 0.0 || !smallest.is_finite() {
            return 0.0;
        }
        if lr == 0.0 { f64::INFINITY } else { smallest * 2f64.powi(-27) / lr }
    }

    /// L_H is convex in θ (`Task::loss_is_convex`).
    pub(crate) fn loss_is_convex(&self) -> bool {
        self.task.loss_is_convex()
    }

    /// L_H(θ), the global honest loss, as seen in `step`.
    pub fn loss(&self, theta: &[f32], step: usize) -> Result<f64, SimError> {
        Ok(self.task.loss(theta, step)?)
    }

    /// γ_t, the step size `descend` takes from `step`'s model (as the `f32` it multiplies by).
    pub(crate) fn lr_at(&self, step: usize) -> f64 {
        f64::from(self.train.lr_at(step) as f32)
    }

    /// L_H(θ − γ λ Δ) as a function of λ, seen in `step`, for the server's
    /// step from `state` with aggregate λΔ (`Task::loss_along`: equal to
    /// `loss` of `descend`'s model but for rounding); `None` where the task
    /// has no such form.
    pub(crate) fn loss_along_step(
        &self,
        state: &State,
        direction: &[f32],
        step: usize,
    ) -> Result<Option<LossLine>, SimError> {
        let lr = self.lr_at(state.step);
        let line = self.task.loss_along(&state.theta, direction, step)?;
        Ok(line.map(|line| -> LossLine { Box::new(move |lambda| line(lr * lambda)) }))
    }

    /// The honest training loss recorded for `step` (see `Task::training_loss`).
    pub fn training_loss(&self, theta: &[f32], step: usize) -> Result<f64, SimError> {
        Ok(self.task.training_loss(theta, step)?)
    }

    /// Held-out accuracy and loss, for data tasks.
    pub(crate) fn evaluate(&self, theta: &[f32]) -> Result<Option<crate::task::classify::Evaluation>, SimError> {
        Ok(self.task.evaluate(theta).transpose()?)
    }

    /// The run's seed, from which attacks derive their own streams.
    pub fn seed(&self) -> u64 {
        self.seed
    }
}

/// Scales `g` down to norm `c` if it is longer.
fn clip(g: &mut [f32], c: f64) {
    let s = clip_scale(g, c);
    if s != 1.0 {
        g.iter_mut().for_each(|x| *x *= s);
    }
}

/// The factor that brings ‖g‖ down to c, or 1 when it is within c.
fn clip_scale(g: &[f32], c: f64) -> f32 {
    scale_to(kernels::norm(g), c)
}

/// `clip_scale` of each row, the rows' norms taken together (`kernels::norms`:
/// the same bits, several times faster than one row after another).
fn clip_scales(rows: &[Vec<f32>], c: f64) -> Vec<f32> {
    let rows: Vec<&[f32]> = rows.iter().map(Vec::as_slice).collect();
    kernels::norms(&rows).into_iter().map(|norm| scale_to(norm, c)).collect()
}

/// What the honest workers send at a step, with what the same pass gave.
pub struct Sent {
    /// Each honest worker's vector (clipped, averaged into momentum).
    pub vectors: Vec<Vec<f32>>,
    /// Their mean, when momentum's pass took it (`None` otherwise: then
    /// `aggregate::mean::mean` of the vectors gives the same numbers).
    pub mean: Option<Vec<f32>>,
    /// The training loss at the step's θ.
    pub loss: f64,
}

/// The least dimension from which momentum's pass also takes the honest mean:
/// four of `mean`'s blocks, so that the blocks keep two threads busy.
pub const FUSED_MEAN_FROM: usize = 4 * crate::aggregate::mean::BLOCK;

/// The factor that brings a vector of this norm down to c.
fn scale_to(norm: f64, c: f64) -> f32 {
    if norm > c { (c / norm) as f32 } else { 1.0 }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::error::Error;

    /// Each worker's clipping scale taken with the others' is the one taken
    /// alone, bit for bit: long and short rows, a row within c, an empty one.
    #[test]
    fn clip_scales_are_each_rows_clip_scale() {
        let rows: Vec<Vec<f32>> = (0..13)
            .map(|w| (0..(w * 997) % 3001).map(|i| ((i * 7 + w) % 23) as f32 * 0.01 - 0.1).collect())
            .chain([vec![0.1, 0.2], vec![]])
            .collect();
        for c in [0.5, 2.0, 50.0] {
            let scales = clip_scales(&rows, c);
            assert_eq!(scales.len(), rows.len());
            for (row, s) in rows.iter().zip(&scales) {
                assert_eq!(s.to_bits(), clip_scale(row, c).to_bits(), "c = {c}");
            }
            assert!(c > 2.0 || scales.iter().any(|&s| s < 1.0), "some rows are clipped at c = {c}");
        }
    }

    /// Results files and the store record these messages: they stay as they were
    /// when the errors were strings, and a placed task error keeps its cause.
    #[test]
    fn errors_keep_their_messages_and_causes() {
        let diverged = SimError::Diverged { step: 14, cause: Divergence::HonestLoss(f64::INFINITY) };
        assert_eq!(diverged.to_string(), "diverged at step 14: the honest loss is inf");
        assert_eq!(diverged.clone().at(20).step(), Some(14), "a divergence keeps its own step");
        let placed = SimError::from(TaskError::NoGradient("theta")).at(3);
        assert_eq!((placed.to_string(), placed.step()), ("step 3: no gradient for theta".to_string(), Some(3)));
        assert!(matches!(placed.source().and_then(|s| s.downcast_ref::<TaskError>()), Some(TaskError::NoGradient(_))));
        assert_eq!(SimError::Panicked("boom".into()).step(), None);
    }
}
