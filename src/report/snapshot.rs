//! Snapshots of results for users: `byz test --snapshot` keeps a canonical,
//! rounded summary of each scenario's runs beside its file
//! (`DIR/snapshots/FILE__SCENARIO.snap`, named as insta names its files),
//! and shows a line diff when the results change.

use std::path::{Path, PathBuf};

use similar::{ChangeTag, TextDiff};

use crate::plan::{ScenarioPlan, label_text};
use crate::sim::RunResult;

/// Where the snapshot of `scenario` in `file` lives.
pub fn path(file: &Path, scenario: &str) -> PathBuf {
    let stem = file.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    file.parent().unwrap_or(Path::new(".")).join("snapshots").join(format!("{stem}__{scenario}.snap"))
}

/// `x` with `digits` decimals, without a sign on a rounded zero.
fn round(x: f64, digits: usize) -> String {
    let s = format!("{x:.digits$}");
    if s.starts_with('-') && s.trim_start_matches(['-', '0', '.']).is_empty() { s[1..].to_string() } else { s }
}

/// The canonical summary: a header, then each run's status and metrics, then the table.
pub fn render(plan: &ScenarioPlan, runs: &[RunResult], digits: usize) -> String {
    // The file's name only: the snapshot sits beside it, wherever `byz test` is run from.
    let source = Path::new(&plan.file).file_name().map(|f| f.to_string_lossy().into_owned()).unwrap_or_default();
    let mut out = format!("---\nsource: {source}\nscenario: {}\ndigits: {digits}\n---\n", plan.name);
    let r = |x: f64| round(x, digits);
    for run in runs {
        let m = &run.metrics;
        out.push_str(&format!("[{}] seed {}\n", label_text(&run.label, &run.attack), run.seed));
        match &run.diverged {
            Some(why) => out.push_str(&format!("  diverged: {why}\n")),
            None => out.push_str("  ok\n"),
        }
        out.push_str(&format!(
            "  loss final {} mean {} max {} min {}\n",
            r(m.final_loss),
            r(m.mean_loss),
            r(m.max_loss),
            r(m.min_loss)
        ));
        if let (Some(f), Some(x)) = (m.final_accuracy, m.max_accuracy) {
            out.push_str(&format!("  accuracy final {} max {}\n", r(f), r(x)));
        }
        if let Some(v) = m.descent_violations {
            out.push_str(&format!("  descent violations {v}/{}\n", run.series.inner_product.len()));
        }
        if !run.final_theta.is_empty() && run.final_theta.len() <= 4 {
            let theta: Vec<String> = run.final_theta.iter().map(|x| r(f64::from(*x))).collect();
            out.push_str(&format!("  theta_T {}\n", theta.join(" ")));
        }
    }
    if let Some(t) = &plan.table {
        out.push('\n');
        out.push_str(&super::table::build(t, runs).text());
    }
    out
}

/// A line diff of `old` → `new` (`-` old, `+` new, two lines of context), or
/// `None` when they are the same.
pub fn diff(old: &str, new: &str) -> Option<String> {
    if old == new {
        return None;
    }
    let d = TextDiff::from_lines(old, new);
    let mut out = String::new();
    for group in d.grouped_ops(2) {
        out.push_str("  @@\n");
        for op in group {
            for change in d.iter_changes(&op) {
                let sign = match change.tag() {
                    ChangeTag::Delete => "-",
                    ChangeTag::Insert => "+",
                    ChangeTag::Equal => " ",
                };
                out.push_str(&format!("  {sign} {}", change.value()));
                if change.missing_newline() {
                    out.push('\n');
                }
            }
        }
    }
    Some(out)
}
