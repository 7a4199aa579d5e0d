//! `aggregate nnm |> cm`: pre-aggregators, then one rule.

use crate::check::component;
use crate::check::merged::Placed;
use crate::diagnostic::Diag;
use crate::plan::Pipeline;
use crate::registry::{Kind, Setting as NF};
use crate::syntax::ast::{self};

pub(super) fn pipeline(p: &Placed<ast::Pipeline>, nf: &NF, errors: &mut Vec<Diag>) -> Option<Pipeline> {
    let stages = &p.node.stages;
    let (last, pre) = stages.split_last()?;
    let pre: Vec<_> = pre.iter().map(|c| component::resolve(c, Kind::PreAggregator, nf, &p.src, errors)).collect();
    let rule = component::resolve(last, Kind::Rule, nf, &p.src, errors);
    Some(Pipeline { pre: pre.into_iter().collect::<Option<_>>()?, rule: rule? })
}
