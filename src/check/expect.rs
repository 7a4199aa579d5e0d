//! `expect { final accuracy < 0.7 }`: statistics and metrics the runs record.

use super::merged::Sections;
use crate::diagnostic::{Code, Diag, SourceFile, did_you_mean};
use crate::plan::{Expect, Metric, RunPlan, Stat, Statistic};
use crate::registry::words::{METRICS, STATISTICS};

/// The `expect` section's expectations, each statistic checked against what the runs record.
pub(crate) fn resolve(s: &Sections, runs: &[RunPlan], errors: &mut Vec<Diag>) -> Vec<Expect> {
    let Some(placed) = &s.expect else { return vec![] };
    let mut out = vec![];
    for e in &placed.node {
        if let Some(statistic) = statistic(&e.statistic, &placed.src, runs, errors) {
            let text = format!("{} {} {}", statistic.name(), e.op, e.value);
            out.push(Expect { statistic, op: e.op.clone(), value: e.value, text });
        }
    }
    out
}

/// `max accuracy from step 0`: a statistic of a metric that every run records,
/// over steps that every run has.
pub fn statistic(
    written: &crate::syntax::ast::Statistic,
    src: &SourceFile,
    runs: &[RunPlan],
    errors: &mut Vec<Diag>,
) -> Option<Statistic> {
    let (stat, metric) = (&written.stat, &written.metric);
    let find =
        |name: &str, words: &[&str]| did_you_mean(name, words.iter().copied()).map(|w| format!("did you mean `{w}`?"));
    let s = STATISTICS.iter().find(|(spec, _)| spec.name == stat.name).map(|(_, s)| *s);
    let m = METRICS.iter().find(|(spec, _)| spec.name == metric.name).map(|(_, m)| *m);
    let names = |list: &[&str]| {
        let quoted: Vec<String> = list.iter().map(|n| format!("`{n}`")).collect();
        let (last, rest) = quoted.split_last().expect("a name");
        format!("write {} or {last}", rest.join(", "))
    };
    if s.is_none() {
        let words: Vec<&str> = STATISTICS.iter().map(|(spec, _)| spec.name).collect();
        let help = find(&stat.name, &words).unwrap_or_else(|| names(&words));
        errors.push(
            Diag::new(Code::Unknown, src, stat.span, format!("unknown statistic `{}`", stat.name))
                .label("not a statistic")
                .help(help),
        );
    }
    if m.is_none() {
        let words: Vec<&str> = METRICS.iter().map(|(spec, _)| spec.name).collect();
        let help = find(&metric.name, &words).unwrap_or_else(|| names(&words));
        errors.push(
            Diag::new(Code::Unknown, src, metric.span, format!("`{}` is not a recorded metric", metric.name))
                .label("not a recorded metric")
                .help(help),
        );
    }
    if m == Some(Metric::Accuracy) && runs.iter().any(|r| !r.report.accuracy) {
        errors.push(
            Diag::new(Code::Expectation, src, metric.span, "accuracy is not recorded in this scenario")
                .label("needs `report { accuracy }`")
                .help("add `report every 50 { accuracy }` (data tasks only)"),
        );
        return None;
    }
    if m.is_some_and(Metric::needs_inner_product) && runs.iter().any(|r| !r.report.inner_product) {
        errors.push(
            Diag::new(
                Code::Expectation,
                src,
                metric.span,
                format!("`{}` is not recorded in this scenario", metric.name),
            )
            .label("needs `report { inner_product }`")
            .help("add `inner_product` to the `report` section (`report { loss, inner_product }`)"),
        );
        return None;
    }
    let (s, m) = (s?, m?);
    let from = match written.from {
        None => Statistic::FIRST_STEP,
        Some((_, span)) if s == Stat::Final => {
            errors.push(
                Diag::new(Code::Expectation, src, span, "`final` is the last recorded value: it has no window")
                    .label("not used by `final`")
                    .help("drop `from step ...`, or use `max`, `min` or `mean`"),
            );
            return None;
        }
        Some((k, span)) => {
            let steps = runs.iter().map(|r| r.train.steps).min().unwrap_or(0);
            if k > steps as u64 {
                errors.push(
                    Diag::new(
                        Code::Expectation,
                        src,
                        span,
                        format!("the runs stop at step {steps}: nothing is recorded from step {k} on"),
                    )
                    .label("after the last step")
                    .help(format!("start the window at a step up to {steps}")),
                );
                return None;
            }
            k as usize
        }
    };
    Some(Statistic { stat: s, metric: m, from })
}
