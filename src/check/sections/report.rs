//! `report every 50 { accuracy, loss, trajectory, inner_product }`.

use crate::check::limits;
use crate::check::merged::Placed;
use crate::diagnostic::{Code, Diag, did_you_mean};
use crate::plan::{Report, TaskPlan};
use crate::registry::{self, Kind};
use crate::syntax::ast::{self};

pub(super) fn report(
    r: Option<&Placed<ast::Report>>,
    task: Option<&TaskPlan>,
    errors: &mut Vec<Diag>,
) -> Option<Report> {
    let Some(r) = r else { return Some(Report { every: 1, ..Report::default() }) };
    let every = match r.node.every {
        Some((e, span)) if e == 0 || e > limits::MAX_STEPS => {
            errors.push(
                Diag::new(
                    Code::WrongValue,
                    &r.src,
                    span,
                    format!("`every` must be from 1 to {}", limits::thousands(limits::MAX_STEPS)),
                )
                .label("not a step count")
                .help("write e.g. `report every 10 { accuracy }`: evaluate every 10 steps"),
            );
            return None;
        }
        Some((e, _)) => e as usize,
        None => 1,
    };
    let mut out = Report { every, ..Report::default() };
    for item in &r.node.items {
        match item.name.as_str() {
            "loss" => {}
            "inner_product" => out.inner_product = true,
            "accuracy" => {
                if let Some(t) = task
                    && !matches!(t, TaskPlan::Classification { .. })
                {
                    errors.push(
                        Diag::new(Code::WrongTask, &r.src, item.span, "accuracy needs a data set")
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
                            Code::WrongTask,
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
                let d = Diag::new(Code::Unknown, &r.src, item.span, format!("cannot report `{other}`"))
                    .label("unknown report item");
                errors.push(match did_you_mean(other, registry::words::REPORT_ITEMS.iter().map(|s| s.name)) {
                    Some(k) => d.help(format!("did you mean `{k}`?")),
                    None => d.help(format!("the report items are {}", registry::names_in_words(Kind::ReportItem))),
                });
            }
        }
    }
    Some(out)
}
