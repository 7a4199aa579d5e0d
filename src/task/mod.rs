//! Learning tasks: what the honest workers' losses are, and their gradients.

pub mod classify;
pub mod data;
mod landscape;
pub mod layers;
mod mean_estimation;
pub mod split;

pub use landscape::Landscape;
pub(crate) use layers::min_len;
pub use mean_estimation::MeanEstimation;

use crate::plan::{RootData, TaskPlan};

/// Why a task could not compute what a run asked of it (reported as a failed run).
#[derive(Debug, Clone, thiserror::Error)]
pub enum TaskError {
    /// A tensor operation failed (shared: a run's error is cloned into its record).
    #[error("candle: {0}")]
    Candle(std::sync::Arc<candle_core::Error>),
    /// The data set could not be read.
    #[error("{0}; {help}", help = .0.help)]
    Data(#[source] data::DataError),
    /// Autograd gave no gradient for these parameters.
    #[error("no gradient for {0}")]
    NoGradient(&'static str),
    /// Another thread panicked while holding the batch cache.
    #[error("a batch cache lock was poisoned")]
    Poisoned,
    /// The run needs something this task does not have (labels, logits, a
    /// root set); the checker refuses such files, so this is a safeguard.
    #[error("{0}")]
    Lacks(&'static str),
}

impl From<candle_core::Error> for TaskError {
    fn from(e: candle_core::Error) -> Self {
        TaskError::Candle(std::sync::Arc::new(e))
    }
}

/// L_H at θ − tΔ as a function of t (`Task::loss_along`).
pub type LossLine = Box<dyn Fn(f64) -> f64 + Send + Sync>;

/// The honest workers' side of a learning problem.
pub trait Task: Send + Sync {
    /// The model's dimension d.
    fn dim(&self) -> usize;
    /// The starting point θ_0.
    fn init(&self) -> Vec<f32>;
    /// How many honest workers compute gradients.
    fn honest(&self) -> usize;
    /// Each honest worker's stochastic gradient at `theta` in `step`. Any
    /// randomness comes from a stream derived from (seed, worker, step), so
    /// the same call always returns the same vectors: the omniscient
    /// adversary can simulate the future exactly.
    fn honest_gradients(&self, theta: &[f32], step: usize) -> Result<Vec<Vec<f32>>, TaskError>;
    /// The global honest loss L_H(θ) (001 eq. (2)) at `theta`, as the honest
    /// workers see it in `step` (their batches of that step, for data tasks).
    fn loss(&self, theta: &[f32], step: usize) -> Result<f64, TaskError>;

    /// L_H along the line θ − tΔ, for many t, where the task has a form much
    /// cheaper than `loss` at each point: a linear model's logits are linear
    /// in θ, so the logits of θ and of Δ are computed once and each t costs
    /// the cross-entropy alone. Equal to `loss(θ − tΔ, step)` but for
    /// rounding (θ − tΔ is not rounded to `f32`, and the logits are combined
    /// instead of recomputed). `None` where the task has no such form.
    fn loss_along(&self, _theta: &[f32], _direction: &[f32], _step: usize) -> Result<Option<LossLine>, TaskError> {
        Ok(None)
    }

    /// L_H is convex in θ (a linear model's cross-entropy, a squared
    /// distance): along a line in θ its maximum over an interval is at an
    /// end, which a planning adversary may use (JUMP under Krum).
    fn loss_is_convex(&self) -> bool {
        false
    }

    /// The honest training loss recorded for `step`: the mean loss the honest
    /// workers' gradients at `theta` come from. It differs from `loss` only
    /// where training is random beyond the batches (dropout).
    fn training_loss(&self, theta: &[f32], step: usize) -> Result<f64, TaskError> {
        self.loss(theta, step)
    }

    /// `honest_gradients` and `training_loss` together; a task whose gradient
    /// pass computes the loss anyway returns it from that pass.
    fn gradients_and_training_loss(&self, theta: &[f32], step: usize) -> Result<(Vec<Vec<f32>>, f64), TaskError> {
        Ok((self.honest_gradients(theta, step)?, self.training_loss(theta, step)?))
    }

    /// Each honest worker's gradient on its batch with flipped labels, for tasks with labels.
    fn flipped_label_gradients(&self, _theta: &[f32], _step: usize) -> Option<Result<Vec<Vec<f32>>, TaskError>> {
        None
    }

    /// The mean gap between the largest and smallest logit on the honest batches of `step`.
    fn logit_gap(&self, _theta: &[f32], _step: usize) -> Option<Result<f64, TaskError>> {
        None
    }

    /// Held-out accuracy and loss, for tasks that have a test set.
    fn evaluate(&self, _theta: &[f32]) -> Option<Result<classify::Evaluation, TaskError>> {
        None
    }

    /// The server's own stochastic gradient at `theta` in `step`, on its clean
    /// root data set, drawn like an honest worker's (FLTrust, Cao et al. NDSS
    /// 2021); `None` for a task built without one (see `build`).
    fn server_gradient(&self, _theta: &[f32], _step: usize) -> Option<Result<Vec<f32>, TaskError>> {
        None
    }
}

/// The worker index of the server's own draws (its root set, batches and
/// dropout masks): a stream no honest worker uses.
pub(crate) const SERVER: u64 = u32::MAX as u64;

/// The task of `plan` for `honest` workers, its draws derived from `seed`; a
/// data task loads its data here. With `root`, the server also holds a clean
/// root set for its own gradient (`server_gradient`); a landscape has none to
/// draw (the checker refuses such a rule there).
pub fn build(plan: &TaskPlan, honest: usize, seed: u64, root: Option<&RootData>) -> Result<Box<dyn Task>, TaskError> {
    Ok(match plan {
        TaskPlan::Landscape { init, losses } => Box::new(Landscape::new(init, losses)?),
        TaskPlan::MeanEstimation { dim, mean, std, init } => {
            let task = MeanEstimation::new(*dim, mean, *std, init, honest, seed);
            Box::new(match root {
                Some(r) => task.with_root(r.size),
                None => task,
            })
        }
        TaskPlan::Classification { data, dir, model, batch, l2, heterogeneity } => {
            let task = classify::Classification::new(*data, dir, model, *batch, *l2, *heterogeneity, honest, seed)?;
            Box::new(match root {
                Some(r) => task.with_root(r.size, split::heterogeneity(&r.split)),
                None => task,
            })
        }
    })
}
