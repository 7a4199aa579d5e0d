//! Scenarios: follow `extends`, merge sections, expand sweeps, resolve each
//! point into a run plan per seed.

use super::loader::Scope;
use super::merged::{Sections, merge};
use super::{sections, sweep};
use crate::diagnostic::{Code, Diag, SourceFile, did_you_mean};
use crate::plan::{RunPlan, ScenarioPlan};
use crate::syntax::ast::{Decl, DeclKind, File, Item};

/// The plan of each scenario of `file`, one run per sweep point and seed; bases are checked but give no plan.
pub fn scenarios(src: &SourceFile, file: &File, scope: &Scope, errors: &mut Vec<Diag>) -> Vec<ScenarioPlan> {
    let mut plans = vec![];
    for item in &file.items {
        let Item::Decl(decl) = item else { continue };
        let mut chain = vec![];
        let complete = collect_chain(decl, src, scope, &mut chain, errors);
        let merged = merge(&chain, errors);
        if !complete {
            continue; // a broken chain was reported
        }
        if decl.kind == DeclKind::Base {
            check_base(decl, src, &chain, &merged, scope, errors);
            continue;
        }
        let first_of_scenario = errors.len();
        let runs = runs(decl, src, &merged, scope, errors);
        let expect = super::expect::resolve(&merged, &runs, errors);
        let table = super::table::resolve(&merged, &runs, errors);
        super::ignored::check(&merged, &runs, errors);
        if let (Some(_), Some(t)) = (&table, &merged.table)
            && runs.first().is_some_and(|first| runs.iter().filter(|r| r.label == first.label).count() == 1)
        {
            errors.push(
                Diag::warning(
                    &t.src,
                    t.keyword,
                    "single_seed",
                    "the table has one seed per cell: no confidence interval, no spread",
                )
                .label("one run per cell")
                .help("run several seeds, e.g. `seeds 1..=5` (001 §5.1)"),
            );
        }
        allow(&merged, errors, first_of_scenario);
        plans.push(ScenarioPlan { name: decl.name.name.clone(), file: src.name.clone(), runs, expect, table });
    }
    plans
}

/// Drops the warnings found since `first` whose kind the scenario's `allow`
/// sections accept; a name that is not a kind of warning is an error.
fn allow(merged: &Sections, errors: &mut Vec<Diag>, first: usize) {
    let kinds: Vec<&str> = crate::registry::specs(crate::registry::Kind::Warning).iter().map(|s| s.name).collect();
    let mut allowed: Vec<&str> = vec![];
    let mut unknown = vec![];
    for placed in &merged.allow {
        for name in &placed.node {
            match kinds.iter().find(|k| **k == name.name) {
                Some(k) => allowed.push(k),
                None => {
                    let d = Diag::new(
                        Code::Unknown,
                        &placed.src,
                        name.span,
                        format!("`{}` is not a kind of warning", name.name),
                    )
                    .label("not a warning");
                    unknown.push(match did_you_mean(&name.name, kinds.iter().copied()) {
                        Some(k) => d.help(format!("did you mean `{k}`?")),
                        None => d.help(format!("the kinds of warning are {}", quoted(&kinds))),
                    });
                }
            }
        }
    }
    let mut i = first;
    while i < errors.len() {
        if errors[i].warning_kind().is_some_and(|k| allowed.contains(&k)) {
            errors.remove(i);
        } else {
            i += 1;
        }
    }
    errors.extend(unknown);
}

fn quoted(names: &[&str]) -> String {
    names.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ")
}

/// The name of the stand-in sections `check_base` adds; its errors are dropped.
const STAND_IN: &str = "<stand-in for what a base leaves to its scenarios>";

/// A base on its own, as far as it is complete, so that a typo in a base
/// shows in its own file (and in the editor) before any scenario uses it:
/// what it leaves to the scenarios that extend it (a task, honest workers,
/// training, a rule) is filled in with stand-ins, the whole is resolved as a
/// scenario would be, and only errors in the base's own text are kept, not
/// warnings (they depend on the stand-ins' n and f) nor missing data.
fn check_base(
    decl: &Decl,
    src: &SourceFile,
    chain: &[(Decl, SourceFile)],
    merged: &Sections,
    scope: &Scope,
    errors: &mut Vec<Diag>,
) {
    let mut text = String::from("base stand_in {\n");
    let landscape = merged.task.as_ref().is_some_and(|t| t.node.kind.name == "landscape");
    if merged.task.is_none() && merged.data.is_none() {
        // A data task, so that attacks that need labels (`lf`) can be checked.
        text.push_str("data mnist(\"data/mnist\")\n");
    }
    if merged.task.is_none() && merged.model.is_none() {
        // A model for whichever data set: the stand-in is only resolved, never run.
        let shape = match &merged.data {
            Some(d) if d.node.name.name == "cifar10" => "(3,32,32)",
            _ => "(1,28,28)",
        };
        text.push_str(&format!("model {shape}-L(10)\n"));
    }
    if merged.task.is_none() && merged.report.is_none() {
        text.push_str("report { accuracy, loss }\n");
    }
    if !landscape && !merged.block("workers").iter().any(|w| w.node.key.name == "honest") {
        text.push_str("workers { honest 12 }\n");
    }
    text.push_str("train { steps 100; lr 0.1 }\n");
    if merged.aggregate.is_none() {
        text.push_str("aggregate mean\n");
    }
    text.push_str("}\n");
    let stand_in_src = SourceFile::new(STAND_IN, text);
    let Ok(file) = crate::syntax::parse_file(&stand_in_src) else { return };
    let Some(Item::Decl(stand_in)) = file.items.into_iter().next() else { return };
    let mut full = vec![(stand_in, stand_in_src)];
    full.extend(chain.iter().cloned());
    let mut found = vec![];
    let merged = merge(&full, &mut found);
    let runs = runs(decl, src, &merged, scope, &mut found);
    let _ = super::expect::resolve(&merged, &runs, &mut found);
    let _ = super::table::resolve(&merged, &runs, &mut found);
    errors.extend(found.into_iter().filter(|d| !d.is_warning() && !d.is_missing_data() && d.src.name() != STAND_IN));
}

/// `decl` and its bases, the most basic first.
fn collect_chain(
    decl: &Decl,
    src: &SourceFile,
    scope: &Scope,
    chain: &mut Vec<(Decl, SourceFile)>,
    errors: &mut Vec<Diag>,
) -> bool {
    let mut current = (decl.clone(), src.clone());
    let mut seen = vec![decl.name.name.clone()];
    chain.push(current.clone());
    while let Some(parent) = current.0.extends.clone() {
        let Some(found) = scope.decls.get(&parent.name) else {
            let d = Diag::new(
                Code::Unknown,
                &current.1,
                parent.span,
                format!("there is no scenario or base called `{}`", parent.name),
            )
            .label("not found");
            errors.push(match did_you_mean(&parent.name, scope.decls.keys().map(String::as_str)) {
                Some(n) => d.help(format!("did you mean `{n}`?")),
                None => d.help("declare it with `base NAME { ... }`, or `use` the file that does"),
            });
            return false;
        };
        if seen.contains(&parent.name) {
            errors.push(
                Diag::new(
                    Code::Cycle,
                    &current.1,
                    parent.span,
                    format!("`{}` extends itself through `{}`", decl.name.name, parent.name),
                )
                .label("cycle")
                .help("remove one `extends` so that the chain ends"),
            );
            return false;
        }
        if seen.len() >= super::limits::MAX_EXTENDS {
            errors.push(
                Diag::new(
                    Code::Limit,
                    &current.1,
                    parent.span,
                    format!("`extends` chain longer than {}", super::limits::MAX_EXTENDS),
                )
                .label("one link too many")
                .help("extend fewer bases: merge some of them into one"),
            );
            return false;
        }
        seen.push(parent.name.clone());
        current = found.clone();
        chain.push(current.clone());
    }
    chain.reverse();
    true
}

/// A run's label names a declared f that differs from the real one even when
/// it is not swept, so no table or curve hides that the rules were told
/// another f (`attack alie, workers.declared 3`).
fn with_declared(label: &[(String, String)], point: &sections::Point) -> Vec<(String, String)> {
    let mut label = label.to_vec();
    let key = "workers.declared";
    if let Some(declared) = point.workers.declared
        && !label.iter().any(|(k, _)| k == key)
    {
        if label.is_empty() {
            label.push(("attack".into(), point.attack.to_string()));
        }
        label.push((key.into(), declared.to_string()));
    }
    label
}

/// Every sweep point × seed of a scenario.
fn runs(decl: &Decl, src: &SourceFile, merged: &Sections, scope: &Scope, errors: &mut Vec<Diag>) -> Vec<RunPlan> {
    let points = sweep::expand(merged, errors);
    let mut found = vec![];
    let mut resolved = vec![];
    for (_, sections, _) in &points {
        let mut diags = vec![];
        resolved.push(sections::resolve(decl, src, sections, &scope.models, &mut diags));
        found.push(diags);
    }
    errors.extend(blame_sweep(merged, &points, found));
    let mut out = vec![];
    for ((label, _, _), point) in points.iter().zip(resolved) {
        let Some(point) = point else { continue };
        let label = with_declared(label, &point);
        for seed in &point.seeds {
            out.push(RunPlan {
                scenario: decl.name.name.clone(),
                label: label.clone(),
                seed: *seed,
                task: point.task.clone(),
                workers: point.workers,
                train: point.train.clone(),
                aggregate: point.aggregate.clone(),
                attack: point.attack.clone(),
                report: point.report.clone(),
            });
        }
    }
    out
}

/// The errors of the sweep points, each once. An error that only some points
/// have is the sweep's doing (`krum` with `workers.byzantine in [1, 5]`):
/// when the value of one axis decides whether it occurs, it is put on the
/// first such value and names it; otherwise it names its first point.
fn blame_sweep(merged: &Sections, points: &[sweep::Point], found: Vec<Vec<Diag>>) -> Vec<Diag> {
    type Key = (String, usize, String);
    let key = |d: &Diag| -> Key { (d.src.name().to_string(), d.span.offset(), d.message.clone()) };
    let keys: Vec<Vec<Key>> = found.iter().map(|ds| ds.iter().map(key).collect()).collect();
    let mut seen = std::collections::HashSet::new();
    let mut out = vec![];
    for d in found.into_iter().flatten() {
        let k = key(&d);
        if !seen.insert(k.clone()) {
            continue;
        }
        let has: Vec<bool> = keys.iter().map(|ks| ks.contains(&k)).collect();
        let Some(sweep) = merged.sweep.as_ref().filter(|_| !d.is_warning() && has.iter().any(|h| !h)) else {
            out.push(d);
            continue;
        };
        let first = has.iter().position(|h| *h).unwrap_or(0);
        // An axis decides the error when points with the same value on it all have it or all do not.
        let deciding = points[first].2.iter().map(|(a, _)| *a).find(|&a| {
            let mut by_value: std::collections::HashMap<usize, bool> = Default::default();
            points.iter().zip(&has).all(|((_, _, chosen), h)| {
                chosen.iter().find(|(x, _)| *x == a).is_none_or(|(_, v)| *by_value.entry(*v).or_insert(*h) == *h)
            })
        });
        let label = &points[first].0;
        let text = |(k, v): &(String, String)| format!("{k} = {v}");
        out.push(match deciding.and_then(|a| points[first].2.iter().find(|(x, _)| *x == a)) {
            Some(&(a, v)) => {
                let axis = &sweep.node[a];
                let name: Vec<&str> = axis.path.iter().map(|i| i.name.as_str()).collect();
                let value = label.iter().find(|(k, _)| *k == name.join(".")).map(text).unwrap_or_default();
                let help = d.help.clone().unwrap_or_default();
                Diag::new(
                    d.code,
                    &sweep.src,
                    axis.values[v].span(),
                    format!("{}, with {value} from the sweep", d.message),
                )
                .label(d.label.clone())
                .help(format!("{help}; or take this value out of the sweep"))
            }
            None => {
                let point: Vec<String> = label.iter().map(text).collect();
                let message = format!("{}, at the sweep point {}", d.message, point.join(", "));
                Diag { message, ..d }
            }
        });
    }
    out
}
