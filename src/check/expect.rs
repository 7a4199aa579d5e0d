//! `expect { final accuracy < 0.7 }`: statistics and metrics the runs record.

use super::diagnostic::{Diag, SourceFile, did_you_mean};
use super::resolve::Sections;
use crate::plan::{Expect, Metric, RunPlan, Stat};
use crate::syntax::ast::Ident;

const STATS: [(&str, Stat); 4] = [("final", Stat::Final), ("max", Stat::Max), ("min", Stat::Min), ("mean", Stat::Mean)];
const METRICS: [(&str, Metric); 2] = [("loss", Metric::Loss), ("accuracy", Metric::Accuracy)];

pub fn resolve(s: &Sections, runs: &[RunPlan], errors: &mut Vec<Diag>) -> Vec<Expect> {
    let Some(placed) = &s.expect else { return vec![] };
    let mut out = vec![];
    for e in &placed.node {
        if let Some((stat, metric)) = stat_metric(&e.stat, &e.metric, &placed.src, runs, errors) {
            let text = format!("{} {} {} {}", e.stat.name, e.metric.name, e.op, e.value);
            out.push(Expect { stat, metric, op: e.op.clone(), value: e.value, text });
        }
    }
    out
}

/// `max accuracy`: a statistic of a metric that every run records.
pub fn stat_metric(
    stat: &Ident,
    metric: &Ident,
    src: &SourceFile,
    runs: &[RunPlan],
    errors: &mut Vec<Diag>,
) -> Option<(Stat, Metric)> {
    let find =
        |name: &str, words: &[&str]| did_you_mean(name, words.iter().copied()).map(|w| format!("did you mean `{w}`?"));
    let s = STATS.iter().find(|(n, _)| *n == stat.name).map(|(_, s)| *s);
    let m = METRICS.iter().find(|(n, _)| *n == metric.name).map(|(_, m)| *m);
    if s.is_none() {
        let help = find(&stat.name, &["final", "max", "min", "mean"])
            .unwrap_or_else(|| "write `final`, `max`, `min` or `mean`".into());
        errors.push(
            Diag::new(src, stat.span, format!("unknown statistic `{}`", stat.name)).label("not a statistic").help(help),
        );
    }
    if m.is_none() {
        let help = find(&metric.name, &["loss", "accuracy"]).unwrap_or_else(|| "write `loss` or `accuracy`".into());
        errors.push(
            Diag::new(src, metric.span, format!("`{}` is not a recorded metric", metric.name))
                .label("not a recorded metric")
                .help(help),
        );
    }
    if m == Some(Metric::Accuracy) && runs.iter().any(|r| !r.report.accuracy) {
        errors.push(
            Diag::new(src, metric.span, "accuracy is not recorded in this scenario")
                .label("needs `report { accuracy }`")
                .help("add `report every 50 { accuracy }` (data tasks only)"),
        );
        return None;
    }
    Some((s?, m?))
}
