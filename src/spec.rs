//! What a name of the language declares: its kind, its parameters (type,
//! default, range), its requirements on n and f, when it degenerates, and its
//! documentation. A leaf module: components declare their `Spec` here, and the
//! registry gathers them.

use serde::Serialize;

use crate::plan::{ArgValue, Args};

/// What a name of the language stands for: a kind of component, or a word of `table`, `expect` or `allow`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Kind {
    /// `seeds`, `workers`, `attack`, ...: the sections of a scenario.
    Section,
    Rule,
    PreAggregator,
    Attack,
    Solver,
    Objective,
    /// `final`, `max`, `min`, `mean`: what a table or an expectation takes of a metric.
    Statistic,
    /// `loss`, `accuracy`: what a run records.
    Metric,
    /// `degenerate`, `single_seed`, ...: what `allow` accepts.
    Warning,
    /// `iid`, `dirichlet(alpha)`, ...: how the training data is divided among the honest workers.
    Split,
    /// `landscape`, `mean_estimation`: what a `task` section names.
    Task,
    /// `mnist`, `fashion`, `cifar10`: what a `data` section names.
    DataSet,
    /// `C(k)`, `R`, `M`, ...: the layers of a model's compact notation.
    Layer,
    /// `loss`, `accuracy`, `inner_product`, `trajectory`: what `report` records or draws.
    ReportItem,
    /// `honest`, `lr`, ...: the settings of `workers`, `train` and the tasks' blocks.
    Setting,
}

impl Kind {
    /// The noun with its article: "an aggregation rule".
    pub fn a(self) -> String {
        let noun = self.noun();
        if noun.starts_with(['a', 'e', 'i', 'o', 'u']) { format!("an {noun}") } else { format!("a {noun}") }
    }

    /// The kind's noun, for messages and `byz explain`: "aggregation rule".
    pub(crate) fn noun(self) -> &'static str {
        match self {
            Kind::Section => "section",
            Kind::Rule => "aggregation rule",
            Kind::PreAggregator => "pre-aggregator",
            Kind::Attack => "attack",
            Kind::Solver => "solver",
            Kind::Objective => "objective",
            Kind::Statistic => "statistic",
            Kind::Metric => "metric",
            Kind::Warning => "warning",
            Kind::Split => "data split",
            Kind::Task => "task",
            Kind::DataSet => "data set",
            Kind::Layer => "layer",
            Kind::ReportItem => "report item",
            Kind::Setting => "setting",
        }
    }

    /// Whether a name of this kind takes arguments (`krum(discard: 2)`,
    /// `C(32)`), which `byz explain` lists; the other kinds are words.
    pub(crate) fn takes_arguments(self) -> bool {
        matches!(
            self,
            Kind::Rule
                | Kind::PreAggregator
                | Kind::Attack
                | Kind::Solver
                | Kind::Objective
                | Kind::Split
                | Kind::Layer
        )
    }
}

/// The type of a parameter's value, which the checker holds the user's argument to.
#[derive(Debug, Clone, Copy)]
pub enum ParamType {
    /// A whole number at least `min`.
    Int { min: i64 },
    /// A real number above `min` (or at least `min` when `inclusive`).
    Float { min: f64, inclusive: bool },
    /// A share: a number in [0, 1], or (0, 1] without `zero`.
    Share { zero: bool },
    /// Another component, such as `solver: powell(iters: 100)`.
    Component(Kind),
    /// A list of components, such as `choose: [sf, alie]`.
    List(Kind),
    /// One of a few words, such as `p: std`.
    Choice(&'static [&'static str]),
}

/// How a parameter's value is found when the user does not give it.
#[derive(Debug, Clone, Copy)]
pub enum Default {
    /// The user must give it.
    Required,
    Int(i64),
    Float(f64),
    Component(&'static str),
    Choice(&'static str),
    /// Computed from the scenario's n and f, described in words for `byz explain`.
    Computed(fn(&Setting) -> ArgValue, &'static str),
}

/// One parameter of a component: its name, type, default and one-line doc.
#[derive(Debug, Clone, Copy)]
pub struct Param {
    pub name: &'static str,
    pub ty: ParamType,
    pub default: Default,
    pub doc: &'static str,
}

/// What a component can see of the scenario when checking or defaulting.
#[derive(Debug, Clone, Copy)]
pub struct Setting {
    /// Total number of workers, honest and Byzantine.
    pub n: usize,
    /// Number of Byzantine workers: for rules and pre-aggregators the
    /// declared number (`workers { declared 3 }`), for attacks the real one.
    pub f: usize,
    /// Whether `f` is a declared number that differs from the real one.
    pub declared: bool,
}

/// Why a component cannot work in a scenario: a label for the word and a fix.
#[derive(Debug, Clone)]
pub struct Unmet {
    pub message: String,
    pub label: String,
    pub help: String,
}

/// Checks whether a component can work in a scenario with these arguments.
pub type Requirement = fn(&Setting, &Args) -> Result<(), Unmet>;

/// Whether a component, with these arguments and this n and f, provably
/// equals a simpler one (ALIE with z = 0 is no attack): the experiment
/// would not test what it names, so the checker warns.
pub type Degenerate = fn(&Setting, &Args) -> Option<Unmet>;

/// What a component or word declares: name, kind, docs, parameters, requirements on n and f, degenerate cases.
#[derive(Debug, Clone, Copy)]
pub struct Spec {
    pub name: &'static str,
    pub kind: Kind,
    pub aliases: &'static [&'static str],
    /// One line.
    pub summary: &'static str,
    /// The definition, and where it comes from.
    pub doc: &'static str,
    pub params: &'static [Param],
    pub requires: Option<Requirement>,
    pub degenerate: Option<Degenerate>,
    /// Needs a classification task's labels and logits (label flipping,
    /// STAB): the checker refuses it on a landscape or mean estimation.
    pub needs_labels: bool,
}

impl Spec {
    /// The parameter called `name`, if the component declares one.
    pub(crate) fn param(&self, name: &str) -> Option<&Param> {
        self.params.iter().find(|p| p.name == name)
    }
}
