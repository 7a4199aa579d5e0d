//! `attack sf`, or a schedule of attacks over steps (`attack { 0..50 none; 50.. sf }`).

use crate::check::component;
use crate::check::merged::Placed;
use crate::diagnostic::{Code, Diag};
use crate::plan::{Phase, Schedule};
use crate::registry::{Kind, Setting as NF};
use crate::syntax::ast::{self, ValueKind};

/// A diagnostic on each component that needs labels and logits (its spec
/// says `needs_labels`: label flipping, STAB), in a task without them.
pub(super) fn needs_labels(a: &Placed<ast::Attack>, errors: &mut Vec<Diag>) {
    fn visit(c: &ast::Component, out: &mut Vec<crate::syntax::ast::Span>) {
        let name = c.name.name.as_str();
        if crate::registry::KINDS.iter().filter_map(|k| crate::registry::lookup(*k, name)).any(|s| s.needs_labels) {
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
            Diag::new(Code::WrongTask, &a.src, span, "this attack needs a classification task")
                .label("no labels or logits here")
                .help("train on a data set (`data mnist(\"data/mnist\")`), or choose another attack such as `sf`"),
        );
    }
}

pub(super) fn schedule(a: &Placed<ast::Attack>, nf: &NF, steps: usize, errors: &mut Vec<Diag>) -> Option<Schedule> {
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
                let fail = |msg: String, label: &str, help: String| {
                    Diag::new(Code::Schedule, src, p.range_span, msg).label(label).help(help)
                };
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
                    Diag::new(Code::Schedule, src, last.range_span, format!("steps {end}..{steps} have no attack"))
                        .label("the schedule ends here")
                        .help(format!("end with an open range such as `{end}.. none`")),
                );
                return None;
            }
            if ps.is_empty() {
                errors.push(
                    Diag::new(Code::Schedule, src, a.keyword, "the attack schedule is empty")
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
