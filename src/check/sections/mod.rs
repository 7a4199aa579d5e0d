//! Each section of a scenario checked and turned into its part of the plan.

mod aggregate;
mod attack;
mod block;
mod report;
mod seeds;
mod task;
mod train;
mod workers;

use crate::check::merged::Sections;
use crate::diagnostic::{Code, Diag, SourceFile};
use crate::plan::{Phase, Pipeline, Report, Schedule, TaskPlan, Train, Workers};
use crate::registry::Setting as NF;
use crate::syntax::ast::{self, Decl};
use aggregate::{needs_root_data, pipeline};
use attack::{needs_labels, schedule};
use block::Block;
use report::report;
use seeds::seeds;
use task::task;
use train::train;
use workers::workers;

/// One sweep point, resolved.
pub struct Point {
    pub seeds: Vec<u64>,
    pub task: TaskPlan,
    pub workers: Workers,
    pub train: Train,
    pub aggregate: Pipeline,
    pub attack: Schedule,
    pub report: Report,
}

/// One sweep point's sections checked and turned into its part of the plan; `None` when any is wrong.
pub(crate) fn resolve(
    decl: &Decl,
    src: &SourceFile,
    s: &Sections,
    models: &std::collections::HashMap<String, (ast::ModelDecl, SourceFile)>,
    errors: &mut Vec<Diag>,
) -> Option<Point> {
    let missing = |what: &str, example: &str| {
        Diag::new(Code::Missing, src, decl.name.span, format!("scenario `{}` has no `{what}` section", decl.name.name))
            .label(format!("needs `{what}`"))
            .help(format!("add e.g. `{example}`, or extend a base that has it"))
    };
    let seeds = seeds(s.seeds.as_ref(), errors);
    let task = match (&s.task, &s.data) {
        (Some(t), None) => task(t, errors),
        (None, Some(d)) => super::data::classification(d, s, models, errors),
        (Some(t), Some(_)) => {
            errors.push(
                Diag::new(Code::WrongTask, &t.src, t.keyword, "a scenario has a `task` or a `data` set, not both")
                    .label("second kind of task")
                    .help("remove `task` to train on the data set, or `data` to use the task"),
            );
            None
        }
        (None, None) => {
            errors.push(missing(
                "task",
                "data mnist(\"data/mnist\")` with a `model`, or `task mean_estimation { dim 2; mean [2, 2]; std 1 }",
            ));
            None
        }
    };
    if let (Some(m), None) = (&s.model, &s.data) {
        errors.push(
            Diag::new(Code::WrongTask, &m.src, m.keyword, "a model needs a data set")
                .label("no `data`")
                .help("add e.g. `data mnist(\"data/mnist\")`"),
        );
    }
    let task_failed = (s.task.is_some() || s.data.is_some()) && task.is_none();
    // After `wokers { ... }` was called an unknown section, "how many honest
    // workers?" would only repeat it.
    let workers = workers(s.block("workers"), task.as_ref(), task_failed || s.unknown_block, decl, src, errors);
    if s.block("train").is_empty() && !s.unknown_block {
        errors.push(missing("train", "train { steps 100; lr 0.1 }"));
    }
    let train = train(s.block("train"), errors);
    // Rules and their requirements see the declared f; attacks the real one.
    let declared = workers.map(|w| NF { n: w.n(), f: w.declared_f(), declared: w.declared_f() != w.byzantine });
    let setting = workers.map(|w| NF { n: w.n(), f: w.byzantine, declared: false });
    let aggregate = match (&s.aggregate, declared) {
        (Some(p), Some(nf)) => {
            let resolved = pipeline(p, &nf, errors);
            if let (Some(TaskPlan::Landscape { .. }), Some(r)) = (&task, &resolved) {
                needs_root_data(p, r, errors);
            }
            resolved
        }
        (None, _) => {
            errors.push(missing("aggregate", "aggregate cm"));
            None
        }
        _ => None,
    };
    let attack = match (&s.attack, setting, &train) {
        (Some(a), Some(nf), Some(t)) => {
            if let Some(task) = &task
                && !matches!(task, TaskPlan::Classification { .. })
            {
                needs_labels(a, errors);
            }
            schedule(a, &nf, t.steps, errors)
        }
        (None, Some(_), _) => Some(Schedule { phases: vec![Phase { start: 0, end: None, attack: none() }] }),
        _ => None,
    };
    let report = report(s.report.as_ref(), task.as_ref(), errors);
    Some(Point {
        seeds: seeds?,
        task: task?,
        workers: workers?,
        train: train?,
        aggregate: aggregate?,
        attack: attack?,
        report: report?,
    })
}

/// `none` for the whole run, when a scenario names no attack.
fn none() -> crate::plan::ComponentPlan {
    crate::plan::ComponentPlan { name: "none".into(), args: Default::default(), display: "none".into() }
}
