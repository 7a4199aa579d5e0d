//! `aggregate nnm |> cm`: pre-aggregators, then one rule.

use crate::check::component;
use crate::check::merged::Placed;
use crate::diagnostic::{Code, Diag};
use crate::plan::Pipeline;
use crate::registry::{Kind, Setting as NF};
use crate::syntax::ast::{self};

/// A diagnostic when the rule needs the server's own data (FLTrust's root
/// set) and the task has none to draw it from (a landscape).
pub(super) fn needs_root_data(p: &Placed<ast::Pipeline>, resolved: &Pipeline, errors: &mut Vec<Diag>) {
    let Some(rule) = p.node.stages.last() else { return };
    if crate::registry::needs_root_data(&resolved.rule.name) {
        errors.push(
            Diag::new(
                Code::WrongTask,
                &p.src,
                rule.name.span,
                format!("`{}` needs a task with data", resolved.rule.name),
            )
            .label("the server draws its clean root set from the task's data")
            .help("use it with a data set (`data mnist(\"data/mnist\")`) or `mean_estimation`, or choose another rule"),
        );
    }
}

pub(super) fn pipeline(p: &Placed<ast::Pipeline>, nf: &NF, errors: &mut Vec<Diag>) -> Option<Pipeline> {
    let stages = &p.node.stages;
    let (last, pre) = stages.split_last()?;
    let pre: Vec<_> = pre.iter().map(|c| component::resolve(c, Kind::PreAggregator, nf, &p.src, errors)).collect();
    let rule = component::resolve(last, Kind::Rule, nf, &p.src, errors);
    Some(Pipeline { pre: pre.into_iter().collect::<Option<_>>()?, rule: rule? })
}
