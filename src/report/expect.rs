//! Evaluating a scenario's expectations on its runs: every run must satisfy each.

use crate::plan::{Expect, Metric, Stat};
use crate::sim::RunResult;

/// The statistic of the metric in one run, if it was recorded.
pub fn observed(e: &Expect, r: &RunResult) -> Option<f64> {
    statistic(e.stat, e.metric, r)
}

/// `max accuracy` of one run: over the steps at which the metric was recorded.
pub fn statistic(stat: Stat, metric: Metric, r: &RunResult) -> Option<f64> {
    let series: &[f64] = match metric {
        Metric::Loss => &r.series.loss,
        Metric::Accuracy => &r.series.accuracy,
    };
    let (first, rest) = series.split_last()?;
    Some(match stat {
        Stat::Final => *first,
        Stat::Max => rest.iter().fold(*first, |a, b| a.max(*b)),
        Stat::Min => rest.iter().fold(*first, |a, b| a.min(*b)),
        Stat::Mean => series.iter().sum::<f64>() / series.len() as f64,
    })
}

/// One line per broken expectation: which run, what it showed.
pub fn failures(expect: &[Expect], runs: &[RunResult]) -> Vec<String> {
    let mut out = vec![];
    for e in expect {
        for r in runs {
            let label = crate::plan::label_text(&r.label, &r.attack);
            match observed(e, r) {
                Some(v) if e.holds(v) => {}
                Some(v) => out.push(format!("`{}` broke in [{label}] seed {}: it was {v:.4}", e.text, r.seed)),
                None => out.push(format!("`{}`: [{label}] seed {} recorded no value", e.text, r.seed)),
            }
        }
    }
    out
}
