//! `task landscape { ... }`, `task mean_estimation { ... }`, or a data task
//! (`data` and `model`): what the honest workers minimise.

use super::Block;
use crate::check::expr::{self, Shape};
use crate::check::limits;
use crate::check::merged::Placed;
use crate::diagnostic::{Code, Diag, did_you_mean};
use crate::plan::TaskPlan;
use crate::registry::{self, Kind, settings, tasks};
use crate::syntax::ast::{self};

pub(super) fn task(t: &Placed<ast::Task>, errors: &mut Vec<Diag>) -> Option<TaskPlan> {
    let src = &t.src;
    let settings = t.node.settings.iter().map(|s| (s, src));
    match t.node.kind.name.as_str() {
        "landscape" => {
            let b = Block::new(settings, "task landscape", &settings::names("task landscape"), errors);
            let init = b.vector("init", errors)?;
            let Some((init, _, _)) = init else {
                errors.push(
                    Diag::new(Code::Missing, src, t.node.kind.span, "a landscape needs a starting point")
                        .label("no `init`")
                        .help("add `init [1.75, -0.2]` (θ₁ of 001 §4)"),
                );
                return None;
            };
            if t.node.losses.is_empty() {
                errors.push(
                    Diag::new(Code::Missing, src, t.node.kind.span, "a landscape needs at least one honest loss")
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
                                Code::Shape,
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
            let b = Block::new(settings, "task mean_estimation", &settings::names("task mean_estimation"), errors);
            if let Some(l) = t.node.losses.first() {
                errors.push(
                    Diag::new(Code::WrongTask, src, l.span, "mean estimation has no `honest` losses")
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
                            Code::Shape,
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
            let d =
                Diag::new(Code::Unknown, src, t.node.kind.span, format!("unknown task `{other}`")).label("not a task");
            errors.push(match did_you_mean(other, tasks::TASKS.iter().map(|t| t.name)) {
                Some(k) => d.help(format!("did you mean `{k}`?")),
                None => d.help(format!("the tasks are {}", registry::names_in_words(Kind::Task))),
            });
            None
        }
    }
}
