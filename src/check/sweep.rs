//! Sweeps: the cartesian product of the axes, each point a copy of the
//! scenario's sections with the swept fields replaced.
//!
//! A field path names what a point replaces: `aggregate` and `attack` (the
//! whole pipeline or attack), `workers.KEY` and `train.KEY` (one setting),
//! or an argument of a component: `workers.heterogeneity.alpha`,
//! `attack.eps` (the single attack), `aggregate.trim` (the rule).

use super::merged::{Placed, Sections};
use crate::diagnostic::{Code, Diag, SourceFile, did_you_mean};
use crate::registry::{sections, settings};
use crate::syntax::ast::{Arg, Attack, Component, Ident, Setting, SweepAxis, SweepValue, Value, ValueKind};

/// A sweep point: its label, its sections, and which value it took on each
/// axis (axis index, value index), so that an error only some points have
/// can be put on the value that brings it.
pub type Point = (Vec<(String, String)>, Sections, Vec<(usize, usize)>);

/// What a field path replaces.
enum Field<'a> {
    Aggregate,
    Attack,
    /// A setting of `workers` or `train`.
    Setting {
        block: &'a str,
        key: &'a str,
    },
    /// An argument of the component held by a setting, the attack or the rule.
    Arg {
        owner: Owner<'a>,
        arg: &'a str,
    },
}

#[derive(Clone, Copy)]
enum Owner<'a> {
    Setting { block: &'a str, key: &'a str },
    Attack,
    Rule,
}

/// Every field a sweep can vary, for "did you mean" help.
fn known_fields() -> Vec<String> {
    let mut out = vec!["aggregate".to_string(), "attack".to_string()];
    out.extend(settings::sweep_fields());
    out
}

fn field<'a>(parts: &[&'a str]) -> Option<Field<'a>> {
    match *parts {
        ["aggregate"] => Some(Field::Aggregate),
        ["attack"] => Some(Field::Attack),
        [block, key] if sections::is_settings(block) && settings::names(block).contains(&key) => {
            Some(Field::Setting { block, key })
        }
        [block, key, arg] if sections::is_settings(block) => {
            let (block, key, _) = settings::component_setting(block, key)?;
            Some(Field::Arg { owner: Owner::Setting { block, key }, arg })
        }
        ["attack", arg] => Some(Field::Arg { owner: Owner::Attack, arg }),
        ["aggregate", arg] => Some(Field::Arg { owner: Owner::Rule, arg }),
        _ => None,
    }
}

/// The sweep's points (the scenario itself without a sweep): label, sections and the values each took.
pub(crate) fn expand(merged: &Sections, errors: &mut Vec<Diag>) -> Vec<Point> {
    let mut points: Vec<Point> = vec![(vec![], merged.clone(), vec![])];
    let Some(sweep) = &merged.sweep else { return points };
    for (a, axis) in sweep.node.iter().enumerate() {
        let parts: Vec<&str> = axis.path.iter().map(|i| i.name.as_str()).collect();
        let name = parts.join(".");
        let Some(field) = field(&parts) else {
            let known = known_fields();
            let d = Diag::new(Code::Sweep, &sweep.src, axis.path_span, format!("cannot sweep over `{name}`"))
                .label("not a field a sweep can vary");
            errors.push(match did_you_mean(&name, known.iter().map(String::as_str)) {
                Some(f) => d.help(format!("did you mean `{f}`?")),
                None => d.help(format!(
                    "sweepable fields: {}, and arguments such as `attack.eps` or `aggregate.trim`",
                    known.iter().map(|f| format!("`{f}`")).collect::<Vec<_>>().join(", ")
                )),
            });
            continue;
        };
        if axis.values.is_empty() {
            errors.push(
                Diag::new(Code::Sweep, &sweep.src, axis.span, format!("the sweep over `{name}` has no values"))
                    .label("empty list")
                    .help("list at least one value, e.g. `[1, 3]`"),
            );
            continue;
        }
        if points.len().saturating_mul(axis.values.len()) > super::limits::MAX_SWEEP_POINTS {
            errors.push(
                Diag::new(
                    Code::Limit,
                    &sweep.src,
                    axis.span,
                    format!(
                        "the sweep has more than {} points with this axis ({} × {})",
                        super::limits::thousands(super::limits::MAX_SWEEP_POINTS as u64),
                        points.len(),
                        axis.values.len()
                    ),
                )
                .label("one axis too many")
                .help("split the sweep into several scenarios, or sweep fewer values"),
            );
            return points;
        }
        let mut next = vec![];
        for (label, sections, chosen) in &points {
            for (i, v) in axis.values.iter().enumerate() {
                let Some(s) = apply(sections, &name, &field, axis, v, &sweep.src, errors) else { continue };
                let mut label = label.clone();
                label.push((name.clone(), label_text(v)));
                let mut chosen = chosen.clone();
                chosen.push((a, i));
                next.push((label, s, chosen));
            }
        }
        points = next;
    }
    points
}

/// A swept value as the run's label shows it: canonical, so that the labels
/// (and the results keyed by them) do not depend on the file's layout.
fn label_text(v: &SweepValue) -> String {
    use crate::syntax::tree;
    match v {
        SweepValue::Pipeline(p) => match p.stages.as_slice() {
            // `plan { lookahead 3; beams 2 }`, as it is written.
            [c] if c.name.name == "plan" && !c.args.is_empty() => {
                let settings: Vec<String> = c
                    .args
                    .iter()
                    .map(|a| format!("{} {}", a.name.as_ref().map_or("", |n| n.name.as_str()), tree::value(&a.value)))
                    .collect();
                format!("plan {{ {} }}", settings.join("; "))
            }
            _ => tree::pipeline(p),
        },
        SweepValue::Value(v) => tree::value(v),
    }
}

fn apply(
    sections: &Sections,
    name: &str,
    field: &Field,
    axis: &SweepAxis,
    v: &SweepValue,
    src: &SourceFile,
    errors: &mut Vec<Diag>,
) -> Option<Sections> {
    let mut out = sections.clone();
    fn placed<T>(node: T, src: &SourceFile, axis: &SweepAxis) -> Placed<T> {
        Placed { node, src: src.clone(), keyword: axis.path_span }
    }
    match (field, v) {
        (Field::Aggregate, SweepValue::Pipeline(p)) => out.aggregate = Some(placed(p.clone(), src, axis)),
        (Field::Attack, SweepValue::Pipeline(p)) if p.stages.len() == 1 => {
            out.attack = Some(placed(Attack::Single(p.stages[0].clone()), src, axis));
        }
        (Field::Setting { block, key }, SweepValue::Value(value)) => {
            let setting = Setting {
                key: Ident { name: key.to_string(), span: axis.path_span },
                value: value.clone(),
                span: value.span,
            };
            let list = out.block_mut(block);
            list.retain(|s| s.node.key.name != *key);
            list.push(placed(setting, src, axis));
        }
        (Field::Setting { .. }, SweepValue::Pipeline(p)) if p.stages.len() == 1 => {
            // `workers.heterogeneity in [iid, dirichlet(alpha: 0.1)]`: a component value.
            let c = p.stages[0].clone();
            let value = Value { span: c.span, kind: ValueKind::Component(c) };
            return apply(sections, name, field, axis, &SweepValue::Value(value), src, errors);
        }
        (Field::Arg { owner, arg }, SweepValue::Value(value)) => {
            let Some(component) = owned_component(&mut out, *owner) else {
                errors.push(
                    Diag::new(
                        Code::Sweep,
                        src,
                        axis.path_span,
                        format!("`{name}` sweeps an argument of something not set here"),
                    )
                    .label("nothing to vary")
                    .help(match owner {
                        Owner::Setting { block, key } => format!("set `{key}` in `{block}` first"),
                        Owner::Attack => "give the scenario a single `attack` (not a schedule)".into(),
                        Owner::Rule => "give the scenario an `aggregate` pipeline".into(),
                    }),
                );
                return None;
            };
            let new = Arg {
                name: Some(Ident { name: arg.to_string(), span: axis.path_span }),
                value: value.clone(),
                span: value.span,
            };
            match component.args.iter_mut().find(|a| a.name.as_ref().is_some_and(|n| n.name == *arg)) {
                Some(a) => *a = new,
                None => component.args.push(new),
            }
            // The component now holds words from the sweep: diagnostics point there.
            match owner {
                Owner::Setting { block, key } => {
                    let list = out.block_mut(block);
                    for s in list.iter_mut().filter(|s| s.node.key.name == *key) {
                        s.src = src.clone();
                    }
                }
                Owner::Attack => {
                    if let Some(a) = out.attack.as_mut() {
                        a.src = src.clone();
                    }
                }
                Owner::Rule => {
                    if let Some(a) = out.aggregate.as_mut() {
                        a.src = src.clone();
                    }
                }
            }
        }
        _ => {
            let want = match field {
                Field::Aggregate => "a pipeline such as `nnm |> cm`",
                Field::Attack => "an attack such as `sf` or `foe(eps: 0.1)`",
                _ => "a value such as a number",
            };
            errors.push(
                Diag::new(Code::WrongValue, src, v.span(), format!("`{name}` takes {want}"))
                    .label("wrong kind of value")
                    .help(format!("write {want} here")),
            );
            return None;
        }
    }
    Some(out)
}

/// The component whose argument an `Arg` field varies, if the scenario has one.
fn owned_component<'s>(out: &'s mut Sections, owner: Owner) -> Option<&'s mut Component> {
    match owner {
        Owner::Setting { block, key } => {
            let list = out.block_mut(block);
            match &mut list.iter_mut().find(|s| s.node.key.name == key)?.node.value.kind {
                ValueKind::Component(c) => Some(c),
                _ => None,
            }
        }
        Owner::Attack => match &mut out.attack.as_mut()?.node {
            Attack::Single(c) => Some(c),
            Attack::Schedule(_) => None,
        },
        Owner::Rule => out.aggregate.as_mut()?.node.stages.last_mut(),
    }
}
