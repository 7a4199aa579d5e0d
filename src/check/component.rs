//! Components against the registry: the name, each argument's name, type
//! and range, defaults, and whether the component can work for n and f.

use crate::diagnostic::{Code, Diag, SourceFile, did_you_mean};
use crate::plan::{ArgValue, Args, ComponentPlan};
use crate::registry::{self, Default, Kind, ParamType, Setting, Spec};
use crate::syntax::ast::{Component, Value, ValueKind};

/// Resolves `c` as a component of `kind`; on failure, pushes diagnostics and returns `None`.
pub(crate) fn resolve(
    c: &Component,
    kind: Kind,
    setting: &Setting,
    src: &SourceFile,
    errors: &mut Vec<Diag>,
) -> Option<ComponentPlan> {
    let Some(spec) = registry::lookup(kind, &c.name.name) else {
        errors.push(unknown(c, kind, src));
        return None;
    };
    let before = crate::diagnostic::error_count(errors);
    let mut args = Args::new();
    let mut given = vec![];
    for (i, arg) in c.args.iter().enumerate() {
        let param = match &arg.name {
            Some(name) => match spec.param(&name.name) {
                Some(p) => p,
                None => {
                    let d = Diag::new(
                        Code::Unknown,
                        src,
                        name.span,
                        format!("`{}` has no parameter `{}`", spec.name, name.name),
                    )
                    .label("unknown parameter");
                    errors.push(match did_you_mean(&name.name, spec.params.iter().map(|p| p.name)) {
                        Some(p) => d.help(format!("did you mean `{p}`?")),
                        None => d.help(param_list(spec)),
                    });
                    continue;
                }
            },
            None => match spec.params.get(i) {
                Some(p) => p,
                None => {
                    errors.push(
                        Diag::new(
                            Code::WrongValue,
                            src,
                            arg.span,
                            format!(
                                "`{}` takes {} argument(s), this is number {}",
                                spec.name,
                                spec.params.len(),
                                i + 1
                            ),
                        )
                        .label("extra argument")
                        .help(param_list(spec)),
                    );
                    continue;
                }
            },
        };
        if args.contains_key(param.name) {
            errors.push(
                Diag::new(Code::Twice, src, arg.span, format!("`{}` is given twice", param.name))
                    .label("second value")
                    .help("give each parameter once"),
            );
            continue;
        }
        given.push(param.name);
        if let Some(v) = value(&arg.value, param.ty, param.name, setting, src, errors) {
            args.insert(param.name.to_string(), v);
        }
    }
    for p in spec.params {
        // A parameter given a wrong value has its own error already.
        if args.contains_key(p.name) || given.contains(&p.name) {
            continue;
        }
        match default_value(p, setting) {
            Some(v) => {
                args.insert(p.name.to_string(), v);
            }
            None => errors.push(
                Diag::new(Code::Missing, src, c.name.span, format!("`{}` needs `{}`", spec.name, p.name))
                    .label(format!("no `{}` given", p.name))
                    .help(format!("give `{}`: {}", p.name, p.doc)),
            ),
        }
    }
    if crate::diagnostic::error_count(errors) > before {
        return None;
    }
    if let Some(requires) = spec.requires
        && let Err(unmet) = requires(setting, &args)
    {
        let help = if setting.declared {
            format!(
                "{}; f = {} is the declared number (`workers {{ declared {} }}`), not the real one",
                unmet.help, setting.f, setting.f
            )
        } else {
            unmet.help
        };
        errors.push(Diag::new(Code::Requirement, src, c.name.span, unmet.message).label(unmet.label).help(help));
        return None;
    }
    if let Some(degenerate) = spec.degenerate
        && let Some(w) = degenerate(setting, &args)
    {
        errors.push(Diag::warning(src, c.name.span, "degenerate", w.message).label(w.label).help(w.help));
    }
    Some(ComponentPlan { name: spec.name.to_string(), args, display: display(c, src) })
}

/// A parameter's default, or `None` when the user must give it.
fn default_value(p: &crate::registry::Param, setting: &Setting) -> Option<ArgValue> {
    Some(match p.default {
        Default::Required => return None,
        Default::Int(i) => ArgValue::Int(i),
        Default::Float(x) => ArgValue::Float(x),
        Default::Choice(c) => ArgValue::Choice(c.to_string()),
        Default::Computed(f, _) => f(setting),
        Default::Component(name) => {
            let ParamType::Component(kind) = p.ty else {
                unreachable!("component default on a non-component parameter")
            };
            let spec = registry::lookup(kind, name).expect("registry defaults name registered components");
            let args =
                spec.params.iter().filter_map(|q| Some((q.name.to_string(), default_value(q, setting)?))).collect();
            ArgValue::Component(ComponentPlan { name: name.to_string(), args, display: name.to_string() })
        }
    })
}

fn value(
    v: &Value,
    ty: ParamType,
    name: &str,
    setting: &Setting,
    src: &SourceFile,
    errors: &mut Vec<Diag>,
) -> Option<ArgValue> {
    let bad = |what: String, help: String| {
        Diag::new(Code::WrongValue, src, v.span, format!("`{name}` must be {what}"))
            .label(format!("`{name}` must be {what}"))
            .help(help)
    };
    match (ty, &v.kind) {
        (ParamType::Int { min }, ValueKind::Number(x, _)) => {
            let max = crate::check::limits::MAX_INT_ARG;
            if *x > max as f64 {
                errors.push(bad(
                    format!(
                        "at most {} (byz's limit: it counts work within one step)",
                        crate::check::limits::thousands(max as u64)
                    ),
                    format!("write e.g. `{name}: {}`", min.max(1)),
                ));
                return None;
            }
            if x.fract() != 0.0 || !x.is_finite() || *x < min as f64 {
                errors.push(bad(
                    format!("a whole number of at least {min}"),
                    format!("write e.g. `{name}: {}`", min.max(1)),
                ));
                return None;
            }
            Some(ArgValue::Int(*x as i64))
        }
        (ParamType::Float { min, inclusive }, ValueKind::Number(x, _)) => {
            // Components compute in f32: a magnitude beyond f32's largest value
            // would be infinite there (`gaussian(sigma: 1e300)` could not draw).
            let ok = x.abs() <= f64::from(f32::MAX) && if inclusive { *x >= min } else { *x > min };
            if !ok {
                let bound = if x.is_finite() && x.abs() > f64::from(f32::MAX) {
                    "a number of magnitude at most 3.4e38 (f32's largest)".to_string()
                } else if min == f64::NEG_INFINITY {
                    "a finite number".to_string()
                } else if inclusive {
                    format!("a number of at least {min}")
                } else {
                    format!("a number above {min}")
                };
                errors.push(bad(bound, format!("write e.g. `{name}: 1`")));
                return None;
            }
            Some(ArgValue::Float(*x))
        }
        (ParamType::Share { zero }, ValueKind::Number(x, _)) => {
            let ok = *x <= 1.0 && if zero { *x >= 0.0 } else { *x > 0.0 };
            if !ok {
                let range = if zero { "[0, 1]" } else { "(0, 1]" };
                errors.push(bad(format!("a share in {range}"), format!("write e.g. `{name}: 0.5`")));
                return None;
            }
            Some(ArgValue::Float(*x))
        }
        (ParamType::Component(kind), ValueKind::Component(c)) => {
            resolve(c, kind, setting, src, errors).map(ArgValue::Component)
        }
        (ParamType::List(kind), ValueKind::Components(cs)) => {
            let resolved: Vec<_> = cs.iter().map(|c| resolve(c, kind, setting, src, errors)).collect();
            resolved.into_iter().collect::<Option<Vec<_>>>().map(ArgValue::List)
        }
        (ParamType::List(kind), ValueKind::Component(c)) => {
            resolve(c, kind, setting, src, errors).map(|c| ArgValue::List(vec![c]))
        }
        (ParamType::Choice(words), ValueKind::Component(c))
            if c.args.is_empty() && words.contains(&c.name.name.as_str()) =>
        {
            Some(ArgValue::Choice(c.name.name.clone()))
        }
        (ParamType::Choice(words), _) => {
            let list = words.iter().map(|w| format!("`{w}`")).collect::<Vec<_>>().join(", ");
            errors.push(bad(format!("one of {list}"), format!("write e.g. `{name}: {}`", words[0])));
            None
        }
        (ParamType::List(kind), _) => {
            errors.push(bad(format!("a list of {}s", kind.noun()), format!("write e.g. `{name}: [sf, alie]`")));
            None
        }
        (ParamType::Component(kind), _) => {
            let names = registry::specs(kind).iter().map(|s| format!("`{}`", s.name)).collect::<Vec<_>>().join(", ");
            errors.push(bad(kind.a(), format!("one of {names}")));
            None
        }
        (_, _) => {
            errors.push(bad("a number".into(), format!("write e.g. `{name}: 1`")));
            None
        }
    }
}

fn unknown(c: &Component, kind: Kind, src: &SourceFile) -> Diag {
    let name = &c.name.name;
    let elsewhere = registry::kinds_of(name);
    if let Some(other) = elsewhere.first() {
        let d = Diag::new(Code::WrongValue, src, c.name.span, format!("`{name}` is {}, not {}", other.a(), kind.a()));
        return d.label(format!("{} is expected here", kind.a())).help(match (kind, other) {
            (Kind::Rule, Kind::PreAggregator) => format!("a pipeline ends with a rule: write `{name} |> cm`"),
            (Kind::PreAggregator, Kind::Rule) => {
                format!("only the last stage of a pipeline is a rule; put `{name}` last")
            }
            _ => format!("use `{name}` where {} is expected", other.a()),
        });
    }
    let d = Diag::new(Code::Unknown, src, c.name.span, format!("unknown {} `{name}`", kind.noun()));
    let specs = registry::specs(kind);
    match did_you_mean(name, specs.iter().flat_map(|s| std::iter::once(s.name).chain(s.aliases.iter().copied()))) {
        Some(s) => d.label(format!("not a known {}", kind.noun())).help(format!("did you mean `{s}`?")),
        None => d.label(format!("not a known {}", kind.noun())).help(format!(
            "the known {}s are {}",
            kind.noun(),
            specs.iter().map(|s| format!("`{}`", s.name)).collect::<Vec<_>>().join(", ")
        )),
    }
}

fn param_list(spec: &Spec) -> String {
    if spec.params.is_empty() {
        return format!("`{}` takes no parameters", spec.name);
    }
    let names: Vec<String> = spec.params.iter().map(|p| format!("`{}`", p.name)).collect();
    format!("`{}` takes {}", spec.name, names.join(", "))
}

/// The component as written, with whitespace normalised: `foe(eps: 0.1)`.
pub fn display(c: &Component, src: &SourceFile) -> String {
    if c.args.is_empty() {
        return c.name.name.clone();
    }
    let args: Vec<String> = c
        .args
        .iter()
        .map(|a| {
            let v = match &a.value.kind {
                ValueKind::Component(inner) => display(inner, src),
                _ => src.text[a.value.span.start..a.value.span.end].to_string(),
            };
            match &a.name {
                Some(n) => format!("{}: {v}", n.name),
                None => v,
            }
        })
        .collect();
    format!("{}({})", c.name.name, args.join(", "))
}
