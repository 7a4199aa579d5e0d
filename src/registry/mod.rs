//! One declaration per component: its parameters (type, default, range), its
//! requirements on n and f, and its documentation. The checker validates
//! against it, `byz explain` prints it, and the simulator builds from it.

pub mod words;

use serde::Serialize;

use crate::plan::{ArgValue, Args};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Kind {
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
}

impl Kind {
    /// The noun with its article: "an aggregation rule".
    pub fn a(self) -> String {
        let noun = self.noun();
        if noun.starts_with(['a', 'e', 'i', 'o', 'u']) { format!("an {noun}") } else { format!("a {noun}") }
    }

    pub fn noun(self) -> &'static str {
        match self {
            Kind::Rule => "aggregation rule",
            Kind::PreAggregator => "pre-aggregator",
            Kind::Attack => "attack",
            Kind::Solver => "solver",
            Kind::Objective => "objective",
            Kind::Statistic => "statistic",
            Kind::Metric => "metric",
            Kind::Warning => "warning",
        }
    }
}

#[derive(Debug, Clone, Copy)]
pub enum ParamType {
    /// A whole number at least `min`.
    Int { min: i64 },
    /// A real number above `min` (or at least `min` when `inclusive`).
    Float { min: f64, inclusive: bool },
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
    /// Number of Byzantine workers.
    pub f: usize,
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
}

impl Spec {
    pub fn param(&self, name: &str) -> Option<&Param> {
        self.params.iter().find(|p| p.name == name)
    }
}

/// Every kind, in the order `byz explain all` lists them.
pub const KINDS: [Kind; 8] = [
    Kind::Rule,
    Kind::PreAggregator,
    Kind::Attack,
    Kind::Solver,
    Kind::Objective,
    Kind::Statistic,
    Kind::Metric,
    Kind::Warning,
];

/// Every component of a kind.
pub fn specs(kind: Kind) -> Vec<&'static Spec> {
    match kind {
        Kind::Rule => crate::aggregate::RULES.iter().map(|e| &e.spec).collect(),
        Kind::PreAggregator => crate::aggregate::PRE_AGGREGATORS.iter().map(|e| &e.spec).collect(),
        Kind::Attack => crate::attack::ATTACKS.iter().map(|e| &e.spec).collect(),
        Kind::Solver => crate::attack::solver::SOLVERS.iter().map(|e| &e.spec).collect(),
        Kind::Objective => crate::attack::objective::OBJECTIVES.iter().map(|e| &e.spec).collect(),
        Kind::Statistic => words::STATISTICS.iter().map(|(spec, _)| spec).collect(),
        Kind::Metric => words::METRICS.iter().map(|(spec, _)| spec).collect(),
        Kind::Warning => words::WARNINGS.iter().collect(),
    }
}

/// The component of `kind` called `name` (or one of its aliases).
pub fn lookup(kind: Kind, name: &str) -> Option<&'static Spec> {
    specs(kind).into_iter().find(|s| s.name == name || s.aliases.contains(&name))
}

/// Every kind that has a component called `name`.
pub fn kinds_of(name: &str) -> Vec<Kind> {
    KINDS.into_iter().filter(|k| lookup(*k, name).is_some()).collect()
}

/// The text of `byz explain NAME` (every kind with a component of that name),
/// shared by the command line and the language server's hover.
pub fn explain_name(name: &str) -> Option<String> {
    let found: Vec<&Spec> = KINDS.iter().filter_map(|k| lookup(*k, name)).collect();
    if found.is_empty() { None } else { Some(found.into_iter().map(explain).collect()) }
}

/// The text explaining one component.
pub fn explain(spec: &Spec) -> String {
    let mut out = format!("{} ({})\n  {}\n\n", spec.name, spec.kind.noun(), spec.summary);
    for line in spec.doc.lines() {
        out.push_str(&format!("  {}\n", line.trim()));
    }
    if !spec.aliases.is_empty() {
        out.push_str(&format!("\n  also called: {}\n", spec.aliases.join(", ")));
    }
    if matches!(spec.kind, Kind::Statistic | Kind::Metric | Kind::Warning) {
        // Words of `table` and `expect`, not components: nothing to pass.
    } else if spec.params.is_empty() {
        out.push_str("\n  parameters: none\n");
    } else {
        out.push_str("\n  parameters:\n");
        for p in spec.params {
            let default = match p.default {
                Default::Required => "required".to_string(),
                Default::Int(i) => i.to_string(),
                Default::Float(x) => x.to_string(),
                Default::Component(c) => c.to_string(),
                Default::Choice(c) => c.to_string(),
                Default::Computed(_, words) => words.to_string(),
            };
            out.push_str(&format!("    {:<10} {} (default: {default})\n", p.name, p.doc));
        }
    }
    out
}
