//! The resolved experiment: plain data that the simulator runs and that can
//! be printed, hashed and snapshotted. Every default has been filled in and
//! every name checked, so nothing here can fail to run for a reason the
//! checker could have seen.

mod component;
mod data;
mod expect;
mod expr;
pub mod memory;
mod model;
mod table;

pub use component::{ArgValue, Args, ComponentPlan};
pub use expect::{Expect, Metric, Stat, Statistic};
pub use expr::{BinOp, Expr, Func};
pub use model::{Layer, ModelPlan, Shape};
pub use table::TablePlan;

pub use data::{DataKind, Heterogeneity, RootData};

use serde::Serialize;

/// One scenario with its runs (sweep points × seeds).
#[derive(Debug, Clone, Serialize)]
pub struct ScenarioPlan {
    pub name: String,
    pub file: String,
    pub runs: Vec<RunPlan>,
    /// What every run must show (`byz test`).
    pub expect: Vec<Expect>,
    /// The summary table over seeds, if the scenario asks for one.
    pub table: Option<TablePlan>,
}

/// Everything one run needs.
#[derive(Debug, Clone, Serialize)]
pub struct RunPlan {
    pub scenario: String,
    /// The swept values that distinguish this run, as `field = value`.
    pub label: Vec<(String, String)>,
    pub seed: u64,
    pub task: TaskPlan,
    pub workers: Workers,
    pub train: Train,
    pub aggregate: Pipeline,
    pub attack: Schedule,
    pub report: Report,
}

/// How a run is named in reports: its swept values (`aggregate cm, attack sf`),
/// or its attack when nothing is swept.
pub(crate) fn label_text(label: &[(String, String)], attack: &str) -> String {
    if label.is_empty() {
        format!("attack {attack}")
    } else {
        label.iter().map(|(k, v)| format!("{k} {v}")).collect::<Vec<_>>().join(", ")
    }
}

/// What the honest workers learn: a landscape, mean estimation or image classification.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TaskPlan {
    /// Honest losses given as expressions of `theta` (001 §4).
    Landscape { init: Vec<f64>, losses: Vec<(String, Expr)> },
    /// Estimate a Gaussian's mean from one fresh point per honest worker per step (000 §5.2).
    MeanEstimation { dim: usize, mean: Vec<f64>, std: f64, init: Vec<f64> },
    /// Image classification with cross-entropy (001 §5.1, App. B.1).
    Classification {
        data: DataKind,
        /// The data directory, relative to where `byz` runs.
        dir: String,
        model: ModelPlan,
        batch: usize,
        /// ℓ2 regularisation: λ/2 ‖θ‖² added to each honest loss.
        l2: f64,
        heterogeneity: Heterogeneity,
    },
}

impl TaskPlan {
    /// d, the number of model parameters.
    pub fn dim(&self) -> usize {
        match self {
            TaskPlan::Landscape { init, .. } => init.len(),
            TaskPlan::MeanEstimation { dim, .. } => *dim,
            TaskPlan::Classification { model, .. } => model.params(),
        }
    }
}

/// How many workers are honest and how many Byzantine.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Workers {
    pub honest: usize,
    /// f, the Byzantine workers that attack.
    pub byzantine: usize,
    /// The f the server's rules are told when it differs from the real one
    /// (`workers { byzantine 1; declared 3 }`, ByzFL's `declared_nb_byz`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub declared: Option<usize>,
}

impl Workers {
    /// n, all the workers, honest and Byzantine.
    pub fn n(&self) -> usize {
        self.honest + self.byzantine
    }

    /// The f every f-dependent rule, pre-aggregator and requirement uses:
    /// the declared one if given, else the real one. Attacks use `byzantine`.
    pub fn declared_f(&self) -> usize {
        self.declared.unwrap_or(self.byzantine)
    }
}

/// Training settings: steps, learning-rate schedule, worker momentum and clipping.
#[derive(Debug, Clone, Serialize)]
pub struct Train {
    pub steps: usize,
    /// (learning rate, first step it no longer applies to); the last piece is open.
    pub lr: Vec<(f64, Option<usize>)>,
    /// Worker-side momentum β: m_t = β m_{t-1} + (1 − β) g_t (D-SHB, Allouah et al. 2023).
    pub momentum: f64,
    /// Per-worker gradient norm clipping, applied before momentum.
    pub clip: Option<f64>,
    /// σ of the Gaussian noise each honest worker adds to its clipped gradient
    /// (`train.noise`); left out of the plan's JSON when unset, so that the
    /// store keys of runs without it do not change.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub noise: Option<f64>,
}

/// Pre-aggregators in order, then the rule.
#[derive(Debug, Clone, Serialize)]
pub struct Pipeline {
    pub pre: Vec<ComponentPlan>,
    pub rule: ComponentPlan,
}

impl std::fmt::Display for Pipeline {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for p in &self.pre {
            write!(f, "{} |> ", p.display)?;
        }
        write!(f, "{}", self.rule.display)
    }
}

/// Which attack plays at which step; the phases cover every step exactly once.
#[derive(Debug, Clone, Serialize)]
pub struct Schedule {
    pub phases: Vec<Phase>,
}

/// One phase of an attack schedule: the attack played on steps `start..end`.
#[derive(Debug, Clone, Serialize)]
pub struct Phase {
    pub start: usize,
    /// Exclusive; `None` runs to the end of training.
    pub end: Option<usize>,
    pub attack: ComponentPlan,
}

impl Schedule {
    /// The index of the phase playing at `step` (0-based).
    pub(crate) fn phase_at(&self, step: usize) -> Option<usize> {
        self.phases.iter().position(|p| p.start <= step && p.end.is_none_or(|e| step < e))
    }
}

impl std::fmt::Display for Schedule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.phases.as_slice() {
            [only] if only.start == 0 && only.end.is_none() => write!(f, "{}", only.attack.display),
            phases => {
                let parts: Vec<String> = phases
                    .iter()
                    .map(|p| match p.end {
                        Some(e) => format!("{}..{} {}", p.start, e, p.attack.display),
                        None => format!("{}.. {}", p.start, p.attack.display),
                    })
                    .collect();
                write!(f, "{}", parts.join("; "))
            }
        }
    }
}

impl Train {
    /// γ_t for step t (0-based).
    pub(crate) fn lr_at(&self, step: usize) -> f64 {
        self.lr.iter().find(|(_, until)| until.is_none_or(|u| step < u)).or(self.lr.last()).map_or(0.0, |(lr, _)| *lr)
    }
}

/// What a run records besides the loss: θ's trajectory, inner products, and test accuracy every `every` steps.
#[derive(Debug, Clone, Serialize, Default)]
pub struct Report {
    pub trajectory: bool,
    /// Record ⟨honest mean, aggregate⟩ per step (002 Definition 4).
    pub inner_product: bool,
    /// Test accuracy and loss every `every` steps (classification).
    pub accuracy: bool,
    pub every: usize,
}
