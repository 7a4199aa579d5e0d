//! Each section of a scenario checked and turned into its part of the plan.

use super::component;
use super::expr::{self, Shape};
use super::limits;
use super::resolve::{Placed, Sections};
use crate::diagnostic::{Diag, SourceFile, did_you_mean};
use crate::plan::{Phase, Pipeline, Report, Schedule, TaskPlan, Train, Workers};
use crate::registry::{Kind, Setting as NF};
use crate::syntax::ast::{self, Decl, Setting, Value, ValueKind};

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

pub fn resolve(
    decl: &Decl,
    src: &SourceFile,
    s: &Sections,
    models: &std::collections::HashMap<String, (ast::ModelDecl, SourceFile)>,
    errors: &mut Vec<Diag>,
) -> Option<Point> {
    let missing = |what: &str, example: &str| {
        Diag::new(src, decl.name.span, format!("scenario `{}` has no `{what}` section", decl.name.name))
            .label(format!("needs `{what}`"))
            .help(format!("add e.g. `{example}`, or extend a base that has it"))
    };
    let seeds = seeds(s.seeds.as_ref(), errors);
    let task = match (&s.task, &s.data) {
        (Some(t), None) => task(t, errors),
        (None, Some(d)) => super::data::classification(d, s, models, errors),
        (Some(t), Some(_)) => {
            errors.push(
                Diag::new(&t.src, t.keyword, "a scenario has a `task` or a `data` set, not both")
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
            Diag::new(&m.src, m.keyword, "a model needs a data set")
                .label("no `data`")
                .help("add e.g. `data mnist(\"data/mnist\")`"),
        );
    }
    let task_failed = (s.task.is_some() || s.data.is_some()) && task.is_none();
    let workers = workers(&s.workers, task.as_ref(), task_failed, decl, src, errors);
    if s.train.is_empty() {
        errors.push(missing("train", "train { steps 100; lr 0.1 }"));
    }
    let train = train(&s.train, errors);
    let setting = workers.map(|w| NF { n: w.n(), f: w.byzantine });
    let aggregate = match (&s.aggregate, setting) {
        (Some(p), Some(nf)) => pipeline(p, &nf, errors),
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

fn seeds(v: Option<&Placed<Value>>, errors: &mut Vec<Diag>) -> Option<Vec<u64>> {
    let Some(v) = v else { return Some(vec![1]) };
    let bad = |msg: &str| {
        Diag::new(&v.src, v.node.span, msg.to_string())
            .label("not a list of seeds")
            .help("write `seeds 1..=5`, `seeds [1, 7]` or `seeds 3`")
    };
    let seeds: Vec<u64> = match &v.node.kind {
        ValueKind::Number(x, _) if x.fract() == 0.0 && *x >= 0.0 => vec![*x as u64],
        ValueKind::List(l) => l.clone(),
        ValueKind::Range(r) => match r.end {
            // Counted before collecting, without overflow: `0..=18446744073709551615` is too many, not empty.
            Some(end) => {
                let count =
                    u128::from(end).saturating_sub(u128::from(r.start)) + u128::from(r.inclusive && end >= r.start);
                if count > 10_000 {
                    errors.push(bad("more than 10,000 seeds"));
                    return None;
                }
                if r.inclusive { (r.start..=end).collect() } else { (r.start..end).collect() }
            }
            None => {
                errors.push(bad("a range of seeds needs an end"));
                return None;
            }
        },
        _ => {
            errors.push(bad("seeds must be whole numbers"));
            return None;
        }
    };
    if seeds.is_empty() || seeds.len() > 10_000 {
        errors.push(bad(if seeds.is_empty() { "the seed list is empty" } else { "more than 10,000 seeds" }));
        return None;
    }
    Some(seeds)
}

/// Typed access to a settings block, flagging unknown keys.
struct Block<'a> {
    settings: Vec<(&'a Setting, &'a SourceFile)>,
    /// An unknown key was reported, likely a misspelt one: then a missing key is not news.
    misspelt: bool,
}

impl<'a> Block<'a> {
    fn new(
        settings: impl IntoIterator<Item = (&'a Setting, &'a SourceFile)>,
        section: &str,
        known: &[&str],
        errors: &mut Vec<Diag>,
    ) -> Self {
        let settings: Vec<_> = settings.into_iter().collect();
        let mut misspelt = false;
        for (s, src) in &settings {
            if !known.contains(&s.key.name.as_str()) {
                misspelt = true;
                let d = Diag::new(src, s.key.span, format!("`{section}` has no setting `{}`", s.key.name))
                    .label("unknown setting");
                errors.push(match did_you_mean(&s.key.name, known.iter().copied()) {
                    Some(k) => d.help(format!("did you mean `{k}`?")),
                    None => d.help(format!(
                        "`{section}` takes {}",
                        known.iter().map(|k| format!("`{k}`")).collect::<Vec<_>>().join(", ")
                    )),
                });
            }
        }
        Block { settings, misspelt }
    }

    fn get(&self, key: &str) -> Option<(&'a Setting, &'a SourceFile)> {
        self.settings.iter().rev().find(|(s, _)| s.key.name == key).copied()
    }

    fn number(&self, key: &str, ok: impl Fn(f64) -> bool, want: &str, errors: &mut Vec<Diag>) -> Option<Option<f64>> {
        let Some((s, src)) = self.get(key) else { return Some(None) };
        match s.value.kind {
            ValueKind::Number(x, _) if ok(x) => Some(Some(x)),
            _ => {
                errors.push(
                    Diag::new(src, s.value.span, format!("`{key}` must be {want}"))
                        .label(format!("must be {want}"))
                        .help(format!("write `{key}` followed by {want}")),
                );
                None
            }
        }
    }

    /// A whole number in `min..=max` (`max` from `limits`, named only when exceeded).
    fn whole(&self, key: &str, min: u64, max: u64, errors: &mut Vec<Diag>) -> Option<Option<usize>> {
        let over =
            matches!(self.get(key), Some((s, _)) if matches!(s.value.kind, ValueKind::Number(x, _) if x > max as f64));
        let want = if over {
            format!("at most {} (byz's limit)", limits::thousands(max))
        } else {
            format!("a whole number of at least {min}")
        };
        self.number(key, |x| x.fract() == 0.0 && x >= min as f64 && x <= max as f64, &want, errors)
            .map(|x| x.map(|x| x as usize))
    }

    fn vector(&self, key: &str, errors: &mut Vec<Diag>) -> Option<Option<(Vec<f64>, &'a Setting, &'a SourceFile)>> {
        let Some((s, src)) = self.get(key) else { return Some(None) };
        match &s.value.kind {
            ValueKind::Vector(v) if !v.is_empty() && v.iter().all(|x| x.is_finite()) => Some(Some((v.clone(), s, src))),
            _ => {
                errors.push(
                    Diag::new(src, s.value.span, format!("`{key}` must be a vector of numbers"))
                        .label("not a vector")
                        .help(format!("write e.g. `{key} [1, 0]`")),
                );
                None
            }
        }
    }
}

fn task(t: &Placed<ast::Task>, errors: &mut Vec<Diag>) -> Option<TaskPlan> {
    let src = &t.src;
    let settings = t.node.settings.iter().map(|s| (s, src));
    match t.node.kind.name.as_str() {
        "landscape" => {
            let b = Block::new(settings, "task landscape", &["init"], errors);
            let init = b.vector("init", errors)?;
            let Some((init, _, _)) = init else {
                errors.push(
                    Diag::new(src, t.node.kind.span, "a landscape needs a starting point")
                        .label("no `init`")
                        .help("add `init [1.75, -0.2]` (θ₁ of 001 §4)"),
                );
                return None;
            };
            if t.node.losses.is_empty() {
                errors.push(
                    Diag::new(src, t.node.kind.span, "a landscape needs at least one honest loss")
                        .label("no `honest` loss")
                        .help("add `honest w1 = sqnorm(theta - [1, 0])`"),
                );
                return None;
            }
            let mut losses = vec![];
            for l in &t.node.losses {
                if let Some((e, shape)) = expr::check(&l.expr, init.len(), src, errors) {
                    if shape != Shape::Scalar {
                        errors.push(
                            Diag::new(
                                src,
                                l.expr.span,
                                format!("an honest loss must be a number, but this is {}", shape.describe()),
                            )
                            .label("not a number")
                            .help("reduce it, e.g. with `sqnorm(..)` or `sum(..)`"),
                        );
                        continue;
                    }
                    losses.push((l.name.name.clone(), e));
                }
            }
            (losses.len() == t.node.losses.len()).then_some(TaskPlan::Landscape { init, losses })
        }
        "mean_estimation" => {
            let b = Block::new(settings, "task mean_estimation", &["dim", "mean", "std", "init"], errors);
            if let Some(l) = t.node.losses.first() {
                errors.push(
                    Diag::new(src, l.span, "mean estimation has no `honest` losses")
                        .label("not allowed here")
                        .help("its loss is ½‖θ − x‖²; use `task landscape` for losses of your own"),
                );
            }
            let mean = b.vector("mean", errors)?;
            let dim = b.whole("dim", 1, limits::MAX_DIM, errors)?.or(mean.as_ref().map(|m| m.0.len())).unwrap_or(2);
            let std = b.number("std", |x| x >= 0.0 && x.is_finite(), "a number of at least 0", errors)?.unwrap_or(1.0);
            let init = b.vector("init", errors)?;
            for (v, s, src) in mean.iter().chain(init.iter()) {
                if v.len() != dim {
                    errors.push(
                        Diag::new(
                            src,
                            s.value.span,
                            format!("`{}` has {} entries but `dim` is {dim}", s.key.name, v.len()),
                        )
                        .label("wrong length")
                        .help(format!("give {dim} entries")),
                    );
                    return None;
                }
            }
            Some(TaskPlan::MeanEstimation {
                dim,
                mean: mean.map(|m| m.0).unwrap_or_else(|| vec![0.0; dim]),
                std,
                init: init.map(|m| m.0).unwrap_or_else(|| vec![0.0; dim]),
            })
        }
        other => {
            let d = Diag::new(src, t.node.kind.span, format!("unknown task `{other}`")).label("not a task");
            errors.push(match did_you_mean(other, ["landscape", "mean_estimation"]) {
                Some(k) => d.help(format!("did you mean `{k}`?")),
                None => d.help("the tasks are `landscape` and `mean_estimation`"),
            });
            None
        }
    }
}

/// The settings a `workers { ... }` block knows (also offered by the language server).
pub const WORKERS_SETTINGS: &[&str] = &["honest", "byzantine", "heterogeneity"];
/// The settings a `train { ... }` block knows.
pub const TRAIN_SETTINGS: &[&str] = &["steps", "lr", "momentum", "clip", "batch", "l2"];

fn workers(
    ws: &[Placed<Setting>],
    task: Option<&TaskPlan>,
    task_failed: bool,
    decl: &Decl,
    src: &SourceFile,
    errors: &mut Vec<Diag>,
) -> Option<Workers> {
    let b = Block::new(ws.iter().map(|p| (&p.node, &p.src)), "workers", WORKERS_SETTINGS, errors);
    let honest = b.whole("honest", 1, limits::MAX_WORKERS, errors)?;
    let byzantine = b.whole("byzantine", 0, limits::MAX_WORKERS, errors)?.unwrap_or(0);
    let honest = match (honest, task) {
        (Some(h), Some(TaskPlan::Landscape { losses, .. })) if h != losses.len() => {
            let (s, src) = b.get("honest")?;
            errors.push(
                Diag::new(
                    src,
                    s.value.span,
                    format!("{h} honest workers, but the landscape defines {} honest losses", losses.len()),
                )
                .label("does not match")
                .help("each honest worker has one `honest NAME = ...` loss; remove `honest` or add losses"),
            );
            return None;
        }
        (Some(h), _) => h,
        (None, Some(TaskPlan::Landscape { losses, .. })) => losses.len(),
        (None, _) if task_failed || b.misspelt => return None,
        (None, _) => {
            errors.push(
                Diag::new(src, decl.name.span, "how many honest workers?")
                    .label("no `honest` count")
                    .help("add `workers { honest 12 }`"),
            );
            return None;
        }
    };
    let n = honest + byzantine;
    if 2 * byzantine >= n {
        let (s, src) = b.get("byzantine")?;
        errors.push(
            Diag::new(src, s.value.span, format!("{byzantine} Byzantine workers out of {n} are not a minority"))
                .label(format!("needs fewer than n/2 = {}", n as f64 / 2.0))
                .help("no rule is robust without an honest majority: use fewer Byzantine or more honest workers"),
        );
        return None;
    }
    Some(Workers { honest, byzantine })
}

fn train(ts: &[Placed<Setting>], errors: &mut Vec<Diag>) -> Option<Train> {
    if ts.is_empty() {
        return None;
    }
    let b = Block::new(ts.iter().map(|p| (&p.node, &p.src)), "train", TRAIN_SETTINGS, errors);
    let steps = b.whole("steps", 1, limits::MAX_STEPS, errors);
    let lr = learning_rate(&b, errors);
    let momentum = b.number("momentum", |x| (0.0..1.0).contains(&x), "a number in [0, 1)", errors);
    let clip = b.number("clip", |x| x > 0.0 && x.is_finite(), "a number above 0", errors);
    let (steps, lr) = (steps?, lr?);
    let (src, kw) = (&ts[0].src, ts[0].keyword);
    if steps.is_none() && !b.misspelt {
        errors.push(Diag::new(src, kw, "training needs a number of steps").label("no `steps`").help("add `steps 100`"));
    }
    if lr.is_none() && !b.misspelt {
        errors.push(Diag::new(src, kw, "training needs a learning rate").label("no `lr`").help("add `lr 0.1`"));
    }
    let (steps, lr) = (steps?, lr?);
    // A piece of the schedule that starts at or after the last step never runs.
    if let Some((s, src)) = b.get("lr") {
        let starts = std::iter::once(0).chain(lr.iter().filter_map(|(_, until)| *until));
        if let Some((k, start)) = starts.enumerate().skip(1).find(|(_, start)| *start >= steps) {
            errors.push(
                Diag::warning(
                    src,
                    s.key.span,
                    "unused_lr_phase",
                    format!(
                        "the learning rate's phase {} starts at step {start}, after training ends ({steps} steps)",
                        k + 1
                    ),
                )
                .label(format!("phase {} never used", k + 1))
                .help(format!("train longer (`steps {}`), or end the schedule before step {steps}", start + 1)),
            );
        }
    }
    Some(Train { steps, lr, momentum: momentum?.unwrap_or(0.0), clip: clip? })
}

/// `lr 0.1`, or `lr 0.25 until 1000, then 0.025` (001 Table 2's CIFAR-10 schedule).
type LrPieces = Vec<(f64, Option<usize>)>;

fn learning_rate(b: &Block, errors: &mut Vec<Diag>) -> Option<Option<LrPieces>> {
    let Some((s, src)) = b.get("lr") else { return Some(None) };
    let pieces: Vec<(f64, Option<u64>)> = match &s.value.kind {
        ValueKind::Number(x, _) => vec![(*x, None)],
        ValueKind::Schedule(p) => p.clone(),
        _ => vec![(f64::NAN, None)],
    };
    let increasing = pieces.windows(2).all(|w| w[0].1 < w[1].1 || w[1].1.is_none());
    if pieces.iter().any(|(x, _)| !(*x > 0.0 && x.is_finite())) || !increasing {
        errors.push(
            Diag::new(src, s.value.span, "`lr` must be a number above 0, or a schedule with increasing steps")
                .label("not a learning rate")
                .help("write e.g. `lr 0.1` or `lr 0.25 until 1000, then 0.025`"),
        );
        return None;
    }
    Some(Some(pieces.into_iter().map(|(x, u)| (x, u.map(|u| u as usize))).collect()))
}

fn pipeline(p: &Placed<ast::Pipeline>, nf: &NF, errors: &mut Vec<Diag>) -> Option<Pipeline> {
    let stages = &p.node.stages;
    let (last, pre) = stages.split_last()?;
    let pre: Vec<_> = pre.iter().map(|c| component::resolve(c, Kind::PreAggregator, nf, &p.src, errors)).collect();
    let rule = component::resolve(last, Kind::Rule, nf, &p.src, errors);
    Some(Pipeline { pre: pre.into_iter().collect::<Option<_>>()?, rule: rule? })
}

/// Label flipping needs labels and STAB logits: a diagnostic on each `lf` or `stab` of a task without them.
fn needs_labels(a: &Placed<ast::Attack>, errors: &mut Vec<Diag>) {
    fn visit(c: &ast::Component, out: &mut Vec<crate::syntax::ast::Span>) {
        if ["lf", "label_flip", "stab"].contains(&c.name.name.as_str()) {
            out.push(c.name.span);
        }
        for arg in &c.args {
            match &arg.value.kind {
                ValueKind::Component(inner) => visit(inner, out),
                ValueKind::Components(list) => list.iter().for_each(|inner| visit(inner, out)),
                _ => {}
            }
        }
    }
    let mut spans = vec![];
    match &a.node {
        ast::Attack::Single(c) => visit(c, &mut spans),
        ast::Attack::Schedule(phases) => phases.iter().for_each(|p| visit(&p.attack, &mut spans)),
    }
    for span in spans {
        errors.push(
            Diag::new(&a.src, span, "this attack needs a classification task")
                .label("no labels or logits here")
                .help("train on a data set (`data mnist(\"data/mnist\")`), or choose another attack such as `sf`"),
        );
    }
}

fn schedule(a: &Placed<ast::Attack>, nf: &NF, steps: usize, errors: &mut Vec<Diag>) -> Option<Schedule> {
    let src = &a.src;
    let phases = match &a.node {
        ast::Attack::Single(c) => {
            vec![Phase { start: 0, end: None, attack: component::resolve(c, Kind::Attack, nf, src, errors)? }]
        }
        ast::Attack::Schedule(ps) => {
            let mut out = vec![];
            let mut expected = 0u64;
            for (i, p) in ps.iter().enumerate() {
                let end = p.range.end_exclusive();
                let fail =
                    |msg: String, label: &str, help: String| Diag::new(src, p.range_span, msg).label(label).help(help);
                if end.is_some_and(|e| e <= p.range.start) {
                    errors.push(fail(
                        format!("the range `{}` holds no step", p.range),
                        "empty range",
                        "write a range whose end is after its start".into(),
                    ));
                } else if p.range.start > expected {
                    errors.push(fail(
                        format!("steps {expected}..{} have no attack", p.range.start),
                        "gap before this range",
                        format!("start this range at {expected}, or add `{expected}..{} none`", p.range.start),
                    ));
                } else if p.range.start < expected {
                    errors.push(fail(
                        format!("the range `{}` overlaps the one before, which ends at {expected}", p.range),
                        "overlaps",
                        format!("start this range at {expected}"),
                    ));
                } else if end.is_none() && i + 1 < ps.len() {
                    errors.push(fail(
                        format!("the open range `{}` leaves no step for what follows", p.range),
                        "runs to the end",
                        format!("give it an end, e.g. `{}..{}`", p.range.start, steps),
                    ));
                } else if p.range.start as usize >= steps {
                    errors.push(fail(
                        format!("the range `{}` starts after training ends (steps {steps})", p.range),
                        "never reached",
                        format!("start it before step {steps}, or train longer"),
                    ));
                }
                expected = end.unwrap_or(u64::MAX);
                let attack = component::resolve(&p.attack, Kind::Attack, nf, src, errors);
                out.push(Phase { start: p.range.start as usize, end: end.map(|e| e as usize), attack: attack? });
            }
            if let Some(last) = ps.last()
                && let Some(end) = last.range.end_exclusive()
                && (end as usize) < steps
            {
                errors.push(
                    Diag::new(src, last.range_span, format!("steps {end}..{steps} have no attack"))
                        .label("the schedule ends here")
                        .help(format!("end with an open range such as `{end}.. none`")),
                );
                return None;
            }
            if ps.is_empty() {
                errors.push(
                    Diag::new(src, a.keyword, "the attack schedule is empty")
                        .label("no phases")
                        .help("write e.g. `attack { 0..100 none; 100.. sf }` or `attack sf`"),
                );
                return None;
            }
            out
        }
    };
    Some(Schedule { phases })
}

fn report(r: Option<&Placed<ast::Report>>, task: Option<&TaskPlan>, errors: &mut Vec<Diag>) -> Option<Report> {
    let Some(r) = r else { return Some(Report { every: 1, ..Report::default() }) };
    let every = match r.node.every {
        Some((e, span)) if e == 0 || e > limits::MAX_STEPS => {
            errors.push(
                Diag::new(&r.src, span, format!("`every` must be from 1 to {}", limits::thousands(limits::MAX_STEPS)))
                    .label("not a step count")
                    .help("write e.g. `report every 10 { accuracy }`: evaluate every 10 steps"),
            );
            return None;
        }
        Some((e, _)) => e as usize,
        None => 1,
    };
    let mut out = Report { every, ..Report::default() };
    const ITEMS: [&str; 4] = ["loss", "trajectory", "inner_product", "accuracy"];
    for item in &r.node.items {
        match item.name.as_str() {
            "loss" => {}
            "inner_product" => out.inner_product = true,
            "accuracy" => {
                if let Some(t) = task
                    && !matches!(t, TaskPlan::Classification { .. })
                {
                    errors.push(
                        Diag::new(&r.src, item.span, "accuracy needs a data set")
                            .label("this task has no labels")
                            .help("report `loss` here, or train on `data mnist(\"data/mnist\")`"),
                    );
                }
                out.accuracy = true;
            }
            "trajectory" => {
                if let Some(t) = task
                    && t.dim() != 2
                {
                    errors.push(
                        Diag::new(
                            &r.src,
                            item.span,
                            format!("a trajectory plot needs a 2-D model, this one has {} coordinates", t.dim()),
                        )
                        .label("not 2-D")
                        .help("remove `trajectory`, or use a 2-D task"),
                    );
                }
                out.trajectory = true;
            }
            other => {
                let d = Diag::new(&r.src, item.span, format!("cannot report `{other}`")).label("unknown report item");
                errors.push(match did_you_mean(other, ITEMS) {
                    Some(k) => d.help(format!("did you mean `{k}`?")),
                    None => d.help("the report items are `loss`, `accuracy`, `trajectory` and `inner_product`"),
                });
            }
        }
    }
    Some(out)
}
