//! Evaluating a scenario's expectations on its runs: every run must satisfy each.

use crate::plan::Expect;
use crate::sim::RunResult;

/// The statistic of the metric in one run, if it was recorded.
pub(crate) fn observed(e: &Expect, r: &RunResult) -> Option<f64> {
    r.series.statistic(e.statistic)
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
