//! Every name of the language, found by kind: the components (each module of
//! `aggregate` and `attack` declares its own `Spec`, `task::split` the
//! splits), the tasks, data sets and layers (`tasks`), the settings of the
//! blocks (`settings`), and the words of `report`, `table`, `expect` and
//! `allow` (`words`). The checker validates against it, `byz explain` and
//! the language server print it.

pub mod sections;
pub mod settings;
pub mod tasks;
pub mod words;

pub use crate::plan::memory::AttackMemory;
pub use crate::spec::*;

/// Every kind, in the order `byz explain all` lists them.
pub const KINDS: [Kind; 15] = [
    Kind::Rule,
    Kind::PreAggregator,
    Kind::Attack,
    Kind::Solver,
    Kind::Objective,
    Kind::Task,
    Kind::DataSet,
    Kind::Split,
    Kind::Layer,
    Kind::Setting,
    Kind::ReportItem,
    Kind::Statistic,
    Kind::Metric,
    Kind::Warning,
    Kind::Section,
];

/// Every component of a kind.
pub(crate) fn specs(kind: Kind) -> Vec<&'static Spec> {
    match kind {
        Kind::Rule => crate::aggregate::RULES.iter().map(|e| &e.spec).collect(),
        Kind::PreAggregator => crate::aggregate::PRE_AGGREGATORS.iter().map(|e| &e.spec).collect(),
        Kind::Attack => crate::attack::ATTACKS.iter().map(|e| &e.spec).collect(),
        Kind::Solver => crate::attack::solver::SOLVERS.iter().map(|e| &e.spec).collect(),
        Kind::Objective => crate::attack::objective::OBJECTIVES.iter().map(|e| &e.spec).collect(),
        Kind::Split => crate::task::split::SPLITS.iter().map(|e| &e.spec).collect(),
        Kind::Statistic => words::STATISTICS.iter().map(|(spec, _)| spec).collect(),
        Kind::Metric => words::METRICS.iter().map(|(spec, _)| spec).collect(),
        Kind::Warning => words::WARNINGS.iter().collect(),
        Kind::Task => tasks::TASKS.iter().collect(),
        Kind::DataSet => tasks::DATA_SETS.iter().map(|(spec, _)| spec).collect(),
        Kind::Layer => tasks::LAYERS.iter().collect(),
        Kind::ReportItem => words::REPORT_ITEMS.iter().collect(),
        Kind::Section => sections::SECTIONS.iter().map(|e| &e.spec).collect(),
        Kind::Setting => settings::SETTINGS.iter().map(|e| &e.spec).collect(),
    }
}

/// The names of `kind` in words for a message: "`a`, `b` and `c`".
pub(crate) fn names_in_words(kind: Kind) -> String {
    let names: Vec<String> = specs(kind).iter().map(|s| format!("`{}`", s.name)).collect();
    match names.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} and {last}", rest.join(", ")),
        _ => names.concat(),
    }
}

/// The component of `kind` called `name` (or one of its aliases).
pub(crate) fn lookup(kind: Kind, name: &str) -> Option<&'static Spec> {
    specs(kind).into_iter().find(|s| s.name == name || s.aliases.contains(&name))
}

/// The memory estimate of a run, with what its attacks declare they keep.
pub fn memory_estimate(run: &crate::plan::RunPlan) -> crate::plan::memory::Estimate {
    crate::plan::memory::estimate(run, |name| crate::attack::entry(name).map_or(AttackMemory::Nothing, |e| e.memory))
}

/// Whether the rule `name` weighs the vectors against the server's own
/// vector on a clean root data set (`Capabilities::root_data`, as `fltrust`),
/// which needs a task with data to draw it from.
pub(crate) fn needs_root_data(rule: &str) -> bool {
    crate::aggregate::RULES.iter().any(|e| e.spec.name == rule && e.capabilities.root_data.is_some())
}

/// Every kind that has a component called `name`.
pub(crate) fn kinds_of(name: &str) -> Vec<Kind> {
    KINDS.into_iter().filter(|k| lookup(*k, name).is_some()).collect()
}

/// The text of `byz explain NAME` (every entry of that name: two tasks both
/// have an `init`), shared by the command line and the language server's hover.
pub(crate) fn explain_name(name: &str) -> Option<String> {
    let found: Vec<&Spec> =
        KINDS.iter().flat_map(|k| specs(*k)).filter(|s| s.name == name || s.aliases.contains(&name)).collect();
    if found.is_empty() { None } else { Some(found.into_iter().map(explain).collect()) }
}

/// The text explaining one component.
pub fn explain(spec: &Spec) -> String {
    // A setting says its block: `init (setting of task landscape)`.
    let block = settings::SETTINGS.iter().find(|e| e.spec.name == spec.name && e.spec.doc == spec.doc).map(|e| e.block);
    let noun = block.map_or(spec.kind.noun().to_string(), |b| format!("setting of {b}"));
    let mut out = format!("{} ({noun})\n  {}\n\n", spec.name, spec.summary);
    for line in spec.doc.lines() {
        out.push_str(&format!("  {}\n", line.trim()));
    }
    if !spec.aliases.is_empty() {
        out.push_str(&format!("\n  also called: {}\n", spec.aliases.join(", ")));
    }
    if !spec.kind.takes_arguments() {
        // Words, not components: nothing to pass.
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
