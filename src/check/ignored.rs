//! Settings whose values the runs will ignore: written, checked, and then
//! never used, so the file says more than the experiment does (a reader of
//! the file, or of the paper quoting it, would believe they mattered).

use super::merged::Sections;
use crate::diagnostic::Diag;
use crate::plan::{ArgValue, RunPlan, TaskPlan};

/// A warning of kind `ignored` for each setting of `s` that none of `runs` uses.
pub fn check(s: &Sections, runs: &[RunPlan], errors: &mut Vec<Diag>) {
    let Some(first) = runs.first() else { return };
    let without_data = match &first.task {
        TaskPlan::Landscape { .. } => Some(("a landscape task", "has no data, so no batches")),
        TaskPlan::MeanEstimation { .. } => {
            Some(("mean estimation", "draws one fresh point per honest worker and step, not batches"))
        }
        TaskPlan::Classification { .. } => None,
    };
    // Batches, ℓ2 and the split of the data exist only for data tasks.
    if let Some((task, batches)) = without_data {
        for (block, key, why) in [
            (s.block("train"), "batch", batches),
            (s.block("train"), "l2", "has no model weights to regularise"),
            (s.block("workers"), "heterogeneity", "has no data set to split among the workers"),
        ] {
            if let Some(p) = block.iter().rev().find(|p| p.node.key.name == key) {
                errors.push(
                    Diag::warning(&p.src, p.node.key.span, "ignored", format!("`{key}` is ignored: {task} {why}"))
                        .label("not used by any run")
                        .help(format!("remove `{key}`; it applies to data tasks (`data mnist(...)` and a `model`)")),
                );
            }
        }
    }
    // A root set's split deals a data set; mean estimation draws from its Gaussian.
    if matches!(first.task, TaskPlan::MeanEstimation { .. })
        && let Some(aggregate) = &s.aggregate
        && runs.iter().any(|r| {
            let rule = &r.aggregate.rule;
            rule.args.get("split").is_some_and(|v| !matches!(v, ArgValue::Component(c) if c.name == "iid"))
                && crate::registry::needs_root_data(&rule.name)
        })
    {
        // The `split: ...` argument where it is written, else the whole pipeline.
        let written =
            aggregate.node.stages.last().and_then(|c| {
                c.args.iter().find(|a| a.name.as_ref().is_some_and(|n| n.name == "split")).map(|a| a.span)
            });
        let span = written.unwrap_or(aggregate.node.span);
        errors.push(
            Diag::warning(&aggregate.src, span, "ignored", "the root set's `split` is ignored")
                .label("mean estimation has no data set to split")
                .help("the server's root points come from the honest Gaussian; remove `split`, or use a data set"),
        );
    }
    // `every k` sets how often accuracy is evaluated; the loss is recorded every step.
    if let Some(report) = &s.report
        && let Some((k, span)) = report.node.every
        && !runs.iter().any(|r| r.report.accuracy)
    {
        errors.push(
            Diag::warning(&report.src, span, "ignored", format!("`every {k}` is ignored without `accuracy`"))
                .label("the loss is recorded at every step")
                .help("remove `every ...`, or report `accuracy` (data tasks) every k steps"),
        );
    }
    // With no Byzantine worker in any run, the attack never plays.
    if runs.iter().all(|r| r.workers.byzantine == 0)
        && let Some(attack) = &s.attack
        && runs.iter().any(|r| r.attack.phases.iter().any(|p| p.attack.name != "none"))
    {
        errors.push(
            Diag::warning(
                &attack.src,
                attack.keyword,
                "ignored",
                "the attack never plays: no run has a Byzantine worker",
            )
            .label("ignored with `byzantine 0`")
            .help("give Byzantine workers (`workers { byzantine 1 }`), or write `attack none` for a baseline"),
        );
    }
}
