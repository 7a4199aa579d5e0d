//! Everything a scenario's runs leave in the output folder, written after the
//! runs finish: `runs.jsonl`, every recorded value in long form
//! (`curves.csv`), the table (`table.md`, `table.csv`, and `heatmap.svg`,
//! `.png`, `.pdf` for one row field and one column field), learning
//! curves with confidence bands (`curves/GROUP-METRIC.svg`) and, for 2-D
//! tasks, trajectories over the loss contours (`trajectory-seedS.svg`);
//! and last a page that shows them all (`index.html`).

use super::ReportError;
use std::path::{Path, PathBuf};

use super::curves::{self, Curve};
use super::heatmap;
use super::long_csv;
use super::output::{write_atomic, write_runs};
use super::page;
use super::table::{self, Table};
use super::trajectory;
use crate::plan::{Metric, RunPlan, ScenarioPlan, Stat, Statistic, TablePlan};
use crate::sim::RunResult;

/// The scenario's table, or, when it has several seeds but no table, a summary
/// with one row per sweep point.
pub(crate) fn summary_table(plan: &ScenarioPlan, runs: &[RunResult]) -> Option<Table> {
    if let Some(t) = &plan.table {
        return Some(table::build(t, runs));
    }
    let seeds = plan.runs.iter().filter(|r| r.label == plan.runs[0].label).count();
    if seeds < 2 {
        return None;
    }
    let rows = plan.runs[0].label.iter().map(|(k, _)| k.clone()).collect();
    let value = if plan.runs.iter().all(|r| r.report.accuracy) {
        Statistic::new(Stat::Max, Metric::Accuracy)
    } else {
        Statistic::new(Stat::Final, Metric::Loss)
    };
    Some(table::build(&TablePlan { rows, columns: vec![], worst: None, best: None, value }, runs))
}

/// Writes every output of `plan` under `out`; returns the files written.
pub fn write_all(
    out: &Path,
    plan: &ScenarioPlan,
    runs: &[RunResult],
    table: Option<&Table>,
) -> Result<Vec<PathBuf>, ReportError> {
    let dir = out.join(&plan.name);
    let mut written = vec![write_runs(out, &plan.name, runs).map_err(ReportError::io(&dir.join("runs.jsonl")))?];
    let long = long_csv::curves_csv(runs)?;
    write_atomic(&dir.join("curves.csv"), long.as_bytes()).map_err(ReportError::io(&dir.join("curves.csv")))?;
    written.push(dir.join("curves.csv"));
    if let Some(t) = table {
        for (name, body) in [("table.md", t.markdown()), ("table.csv", t.csv())] {
            write_atomic(&dir.join(name), body.as_bytes()).map_err(ReportError::io(&dir.join(name)))?;
            written.push(dir.join(name));
        }
        if heatmap::applies(t) {
            written.extend(heatmap::plot(&dir.join("heatmap.svg"), t)?);
        }
    }
    written.extend(write_curves(&dir, plan, runs)?);
    if let Some(first) = plan.runs.first().filter(|r| r.report.trajectory) {
        written.extend(write_trajectories(&dir, plan, first, runs)?);
    }
    // Last, so that it can embed every figure and link every file.
    let html = page::html(&dir, plan, runs, table, &written)?;
    write_atomic(&dir.join("index.html"), html.as_bytes()).map_err(ReportError::io(&dir.join("index.html")))?;
    written.push(dir.join("index.html"));
    Ok(written)
}

/// One plot per table row (per scenario without a table) and metric; one curve
/// per column (per sweep point), over seeds.
fn write_curves(dir: &Path, plan: &ScenarioPlan, runs: &[RunResult]) -> Result<Vec<PathBuf>, ReportError> {
    let value = table::swept_values;
    let (group_fields, curve_fields): (Vec<String>, Vec<String>) = match &plan.table {
        // A reduced field (`worst`, `best`) gets a curve per value, so no curve mixes them.
        Some(t) => (t.rows.clone(), t.columns.iter().chain(&t.worst).chain(&t.best).cloned().collect()),
        None => {
            (vec![], plan.runs.first().map(|r| r.label.iter().map(|(k, _)| k.clone()).collect()).unwrap_or_default())
        }
    };
    let mut groups: Vec<Vec<String>> = vec![];
    for r in runs {
        let g = value(r, &group_fields);
        if !groups.contains(&g) {
            groups.push(g);
        }
    }
    let mut metrics = vec![Metric::Loss];
    if runs.iter().any(|r| !r.series.accuracy.is_empty()) {
        metrics.push(Metric::Accuracy);
    }
    if runs.iter().any(|r| !r.series.inner_product.is_empty()) {
        metrics.extend([Metric::InnerProduct, Metric::Cosine]);
    }
    let mut written = vec![];
    for g in groups {
        let in_group: Vec<&RunResult> = runs.iter().filter(|r| value(r, &group_fields) == g).collect();
        let mut curves: Vec<Curve> = vec![];
        for r in &in_group {
            let key = value(r, &curve_fields);
            let label =
                if curve_fields.is_empty() { format!("attack = {}", r.attack) } else { named(&curve_fields, &key) };
            match curves.iter_mut().find(|c| c.label == label) {
                Some(c) => c.runs.push(r),
                None => curves.push(Curve { label, runs: vec![r] }),
            }
        }
        for m in &metrics {
            let path = dir.join("curves").join(format!("{}-{}.svg", curves::slug(&g), m.name()));
            let title =
                if g.is_empty() { plan.name.clone() } else { format!("{} · {}", plan.name, named(&group_fields, &g)) };
            written.extend(curves::plot(&path, &title, *m, &curves)?);
        }
    }
    Ok(written)
}

/// `attack = alie, α = 0.1`: each swept field with its value, as legends and titles name them.
fn named(fields: &[String], values: &[String]) -> String {
    fields.iter().zip(values).map(|(f, v)| format!("{f} = {v}")).collect::<Vec<_>>().join(", ")
}

/// One plot per seed, every sweep point's trajectory on the same landscape.
fn write_trajectories(
    dir: &Path,
    plan: &ScenarioPlan,
    first: &RunPlan,
    runs: &[RunResult],
) -> Result<Vec<PathBuf>, ReportError> {
    let mut seeds: Vec<u64> = runs.iter().map(|r| r.seed).collect();
    seeds.sort_unstable();
    seeds.dedup();
    let mut written = vec![];
    for seed in seeds {
        let lines: Vec<(String, Vec<Vec<f32>>)> = runs
            .iter()
            .filter(|r| r.seed == seed)
            .map(|r| {
                let name = if r.label.is_empty() {
                    format!("attack = {}", r.attack)
                } else {
                    r.label.iter().map(|(k, v)| format!("{k} = {v}")).collect::<Vec<_>>().join(", ")
                };
                (name, r.series.theta.clone())
            })
            .collect();
        let path = dir.join(format!("trajectory-seed{seed}.svg"));
        let task = crate::task::build(&first.task, first.workers.honest, seed, None)?;
        let loss = move |x: f32, y: f32| task.loss(&[x, y], 0).unwrap_or(f64::NAN);
        written.extend(trajectory::plot(&path, &format!("{} (seed {seed})", plan.name), &lines, &loss)?);
    }
    Ok(written)
}
