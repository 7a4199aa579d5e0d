//! Classification tasks: `data`, `model`, the split among workers
//! (`workers { heterogeneity ... }`) and the batch and ℓ2 of `train`.

use std::collections::HashMap;
use std::path::Path;

use super::merged::{Placed, Sections};
use super::{component, model};
use crate::diagnostic::{Code, Diag, SourceFile, did_you_mean};
use crate::plan::{DataKind, Heterogeneity, TaskPlan};
use crate::registry::{self, Kind, tasks};
use crate::syntax::ast::{Component, ModelDecl, ModelRef, Setting, ValueKind};

/// The classification task of a `data` section: data set, model, split, and the `train` settings it reads.
pub(crate) fn classification(
    data: &Placed<Component>,
    s: &Sections,
    models: &HashMap<String, (ModelDecl, SourceFile)>,
    errors: &mut Vec<Diag>,
) -> Option<TaskPlan> {
    let (kind, dir) = data_source(data, errors)?;
    let (shape, classes) = match kind {
        DataKind::Mnist | DataKind::Fashion => ([1, 28, 28], 10),
        DataKind::Cifar10 => ([3, 32, 32], 10),
    };
    let model = match &s.model {
        None => {
            errors.push(
                Diag::new(Code::Missing, &data.src, data.keyword, "a data task needs a model")
                    .label("no `model`")
                    .help("add e.g. `model (1,28,28)-L(10)`, or `use std.models` and `model cnn_mnist`"),
            );
            return None;
        }
        Some(Placed { node: ModelRef::Spec(spec), src, .. }) => model::resolve(spec, shape, classes, src, errors),
        Some(Placed { node: ModelRef::Named(name), src, .. }) => match models.get(&name.name) {
            Some((decl, decl_src)) => model::resolve(&decl.spec, shape, classes, decl_src, errors),
            None => {
                let d = Diag::new(Code::Unknown, src, name.span, format!("there is no model called `{}`", name.name))
                    .label("unknown model");
                errors.push(match did_you_mean(&name.name, models.keys().map(String::as_str)) {
                    Some(m) => d.help(format!("did you mean `{m}`?")),
                    None => d.help("declare it with `model NAME = (1,28,28)-L(10)`, or `use std.models` for logreg, mlp, cnn_mnist, cnn_cifar"),
                });
                None
            }
        },
    };
    let batch = setting(s.block("train"), "batch").map_or(Some(32), |(st, src)| whole(st, src, errors));
    let l2 = setting(s.block("train"), "l2").map_or(Some(0.0), |(st, src)| non_negative(st, src, errors));
    let heterogeneity = setting(s.block("workers"), "heterogeneity")
        .map_or(Some(Heterogeneity::Iid), |(st, src)| split(st, src, errors));
    Some(TaskPlan::Classification {
        data: kind,
        dir,
        model: model?,
        batch: batch?,
        l2: l2?,
        heterogeneity: heterogeneity?,
    })
}

fn setting<'a>(list: &'a [Placed<Setting>], key: &str) -> Option<(&'a Setting, &'a SourceFile)> {
    list.iter().rev().find(|p| p.node.key.name == key).map(|p| (&p.node, &p.src))
}

/// `mnist("data/mnist")`, with the files checked now rather than half-way through a sweep.
fn data_source(data: &Placed<Component>, errors: &mut Vec<Diag>) -> Option<(DataKind, String)> {
    let c = &data.node;
    let Some(&(_, kind)) = tasks::DATA_SETS.iter().find(|(s, _)| s.name == c.name.name) else {
        let d = Diag::new(Code::Unknown, &data.src, c.name.span, format!("unknown data set `{}`", c.name.name))
            .label("not a data set");
        errors.push(match did_you_mean(&c.name.name, tasks::DATA_SETS.iter().map(|(s, _)| s.name)) {
            Some(n) => d.help(format!("did you mean `{n}`?")),
            None => d.help("the data sets are `mnist(\"data/mnist\")`, `fashion(\"data/fashion\")` and `cifar10(\"data/cifar10\")`"),
        });
        return None;
    };
    let dir = match c.args.as_slice() {
        [] => format!("data/{}", c.name.name),
        [arg] if arg.name.as_ref().is_none_or(|n| n.name == "dir") => match &arg.value.kind {
            ValueKind::Str(s) => s.clone(),
            _ => {
                errors.push(
                    Diag::new(Code::WrongValue, &data.src, arg.span, "the data directory must be a string")
                        .label("not a string")
                        .help(format!("write `{}(\"data/{}\")`", c.name.name, c.name.name)),
                );
                return None;
            }
        },
        _ => {
            errors.push(
                Diag::new(Code::WrongValue, &data.src, c.span, "a data set takes one argument, its directory")
                    .label("too many arguments")
                    .help(format!("write `{}(\"data/{}\")`", c.name.name, c.name.name)),
            );
            return None;
        }
    };
    let missing = crate::task::data::missing_files(kind, Path::new(&dir));
    if !missing.is_empty() {
        let d = Diag::new(Code::DataMissing, &data.src, c.span, format!("`{dir}` lacks {}", missing.join(", ")))
            .label("data not found (paths are relative to where byz runs)")
            .help(kind.how_to_get());
        // The plan does not depend on the files: it is still built, for
        // commands that do not read them (`Need::Plan`; `Code::DataMissing`).
        errors.push(d);
    }
    Some((kind, dir))
}

fn whole(s: &Setting, src: &SourceFile, errors: &mut Vec<Diag>) -> Option<usize> {
    let count = |x: f64| x.fract() == 0.0 && (1.0..1e6).contains(&x);
    number(s, src, count, ("a whole number of at least 1", "not a count", "32"), errors).map(|x| x as usize)
}

fn non_negative(s: &Setting, src: &SourceFile, errors: &mut Vec<Diag>) -> Option<f64> {
    let ok = |x: f64| x >= 0.0 && x.is_finite();
    number(s, src, ok, ("a number of at least 0", "not allowed", "1e-4"), errors)
}

/// The setting's number if `ok` accepts it; else an error saying what it `must be`, with a `label` and an `example`.
fn number(
    s: &Setting,
    src: &SourceFile,
    ok: impl Fn(f64) -> bool,
    (must_be, label, example): (&str, &str, &str),
    errors: &mut Vec<Diag>,
) -> Option<f64> {
    match s.value.kind {
        ValueKind::Number(x, _) if ok(x) => Some(x),
        _ => {
            let key = &s.key.name;
            errors.push(
                Diag::new(Code::WrongValue, src, s.value.span, format!("`{key}` must be {must_be}"))
                    .label(label)
                    .help(format!("write e.g. `{key} {example}`")),
            );
            None
        }
    }
}

/// A split of the registry (`task::split::SPLITS`), such as `dirichlet(alpha: 0.1)`.
fn split(s: &Setting, src: &SourceFile, errors: &mut Vec<Diag>) -> Option<Heterogeneity> {
    let ValueKind::Component(c) = &s.value.kind else {
        errors.push(Diag::new(Code::WrongValue, src, s.value.span, "`heterogeneity` must be a kind of split").label("not a split").help(
            "write `iid`, `dirichlet(alpha: 0.1)`, `extreme` or `longtail(beta: 0.5)` (`byz explain dirichlet`)",
        ));
        return None;
    };
    // A split depends on no n or f.
    let none = registry::Setting { n: 0, f: 0, declared: false };
    let plan = component::resolve(c, Kind::Split, &none, src, errors)?;
    Some(crate::task::split::heterogeneity(&plan))
}
