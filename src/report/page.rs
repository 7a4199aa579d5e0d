//! `index.html`: one static page per scenario with its table, every figure
//! and each run's resolved settings and status, so that a sweep can be
//! browsed and shared as one file. Figures are embedded (SVG as data URIs);
//! nothing is fetched from a server or the network. The page is a
//! minijinja template (page.html) filled from plain rows, so HTML escaping
//! is the template engine's, not ours.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use base64::Engine;
use serde::Serialize;

use super::table::Table;
use crate::plan::{RunPlan, ScenarioPlan};
use crate::sim::RunResult;

const TEMPLATE: &str = include_str!("page.html");

#[derive(Serialize)]
struct Page {
    name: String,
    file: String,
    version: &'static str,
    diverged: usize,
    /// Runs of the plan with no result here (failed, or not run yet).
    missing: usize,
    table: Option<TableView>,
    figures: Vec<Figure>,
    run_header: Vec<String>,
    /// How many leading columns of `run_header` name the run (left-aligned).
    run_keys: usize,
    runs: Vec<RunView>,
    files: Vec<String>,
}

#[derive(Serialize)]
struct TableView {
    caption: String,
    header: Vec<String>,
    keys: usize,
    rows: Vec<TableRow>,
    /// Whether some row has a worst cell in bold (rows of two or more cells).
    has_worst: bool,
}

#[derive(Serialize)]
struct TableRow {
    cells: Vec<String>,
    /// The index among `cells` of the row's worst cell, if it has one.
    worst: Option<usize>,
}

#[derive(Serialize)]
struct Figure {
    name: String,
    data: String,
    /// The same figure as PNG and PDF, relative to the page.
    links: Vec<String>,
    /// Much wider than tall (a heat map of many columns): given the page's whole width.
    wide: bool,
}

/// Whether the SVG `body` declares a width more than 1.6 times its height.
fn is_wide(body: &str) -> bool {
    super::style::declared_size(body).is_some_and(|(w, h)| w > 1.6 * h)
}

#[derive(Serialize)]
struct RunView {
    cells: Vec<String>,
    status: String,
    diverged: Option<String>,
    settings: Vec<(String, String)>,
    /// The resolved run as JSON; empty when the plan has no such run.
    plan: String,
}

/// A run's swept values and seed, which name it within its scenario.
type RunKey<'a> = (&'a Vec<(String, String)>, u64);

/// The page of `plan`'s `runs` as HTML; `written` are the files already
/// written for this scenario (figures are read back from them).
pub fn html(
    dir: &Path,
    plan: &ScenarioPlan,
    runs: &[RunResult],
    table: Option<&Table>,
    written: &[PathBuf],
) -> Result<String, super::ReportError> {
    let relative = |p: &Path| p.strip_prefix(dir).unwrap_or(p).to_string_lossy().replace('\\', "/");
    let mut figures = vec![];
    for svg in written.iter().filter(|p| p.extension().is_some_and(|e| e == "svg")) {
        let body = std::fs::read(svg).map_err(super::ReportError::io(svg))?;
        let links =
            written.iter().filter(|p| p.with_extension("svg") == *svg && *p != svg).map(|p| relative(p)).collect();
        figures.push(Figure {
            wide: is_wide(&String::from_utf8_lossy(&body)),
            name: relative(svg),
            data: base64::engine::general_purpose::STANDARD.encode(body),
            links,
        });
    }
    let fields: Vec<String> =
        plan.runs.first().map(|r| r.label.iter().map(|(k, _)| k.clone()).collect()).unwrap_or_default();
    let accuracy = runs.iter().any(|r| r.metrics.max_accuracy.is_some());
    let plans: HashMap<RunKey, &RunPlan> = plan.runs.iter().map(|p| ((&p.label, p.seed), p)).collect();
    let mut run_header = fields.clone();
    run_header.extend(["seed", "final loss", "mean loss"].map(String::from));
    if accuracy {
        run_header.extend(["final accuracy (%)", "max accuracy (%)"].map(String::from));
    }
    let page = Page {
        name: plan.name.clone(),
        // The file's name only: a cluster's collect job reads it by its absolute path, and the
        // page must be the same bytes wherever the runs were collected.
        file: Path::new(&plan.file).file_name().map_or(plan.file.clone(), |n| n.to_string_lossy().into_owned()),
        version: env!("CARGO_PKG_VERSION"),
        diverged: runs.iter().filter(|r| r.diverged.is_some()).count(),
        missing: plan.runs.len().saturating_sub(runs.len()),
        table: table.map(table_view),
        figures,
        run_keys: fields.len(),
        run_header,
        runs: runs.iter().map(|r| run_view(r, plans.get(&(&r.label, r.seed)).copied(), accuracy)).collect(),
        files: written.iter().map(|p| relative(p)).collect(),
    };
    let mut env = minijinja::Environment::new();
    // A misspelt field in the template is an error, not an empty string.
    env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
    env.add_template("page.html", TEMPLATE)?;
    let template = env.get_template("page.html")?;
    Ok(template.render(minijinja::value::Serde(&page))?)
}

fn table_view(t: &Table) -> TableView {
    let keys = t.plan.rows.len();
    let rows: Vec<TableRow> = t
        .rows
        .iter()
        .zip(t.body())
        .map(|(row, cells)| TableRow { cells, worst: t.worst(row).map(|i| i + keys) })
        .collect();
    TableView {
        caption: t.caption(),
        header: t.header(),
        keys,
        has_worst: rows.iter().any(|r| r.worst.is_some()),
        rows,
    }
}

fn run_view(r: &RunResult, run: Option<&RunPlan>, accuracy: bool) -> RunView {
    let number = |x: f64| if x.is_finite() { format!("{x:.4}") } else { "–".into() };
    let share = |x: Option<f64>| x.filter(|x| x.is_finite()).map_or("–".into(), |x| format!("{:.2}", 100.0 * x));
    let mut cells: Vec<String> = r.label.iter().map(|(_, v)| v.clone()).collect();
    cells.extend([r.seed.to_string(), number(r.metrics.final_loss), number(r.metrics.mean_loss)]);
    if accuracy {
        cells.extend([share(r.metrics.final_accuracy), share(r.metrics.max_accuracy)]);
    }
    RunView {
        cells,
        status: r.status.clone(),
        diverged: r.diverged.clone(),
        settings: run.map(settings).unwrap_or_default(),
        plan: run.and_then(|p| serde_json::to_string(p).ok()).unwrap_or_default(),
    }
}

/// The settings a reader checks first, in the words of the language.
fn settings(run: &RunPlan) -> Vec<(String, String)> {
    let w = run.workers;
    let declared = w.declared.map_or(String::new(), |d| format!(" (rules told f = {d})"));
    let lr: Vec<String> = run
        .train
        .lr
        .iter()
        .map(|(lr, until)| match until {
            Some(u) => format!("{lr} until step {u}"),
            None => format!("{lr}"),
        })
        .collect();
    let mut s = vec![
        ("workers".to_string(), format!("{} honest + {} Byzantine{declared}", w.honest, w.byzantine)),
        ("aggregate".into(), run.aggregate.to_string()),
        ("attack".into(), run.attack.to_string()),
        ("steps".into(), run.train.steps.to_string()),
        ("learning rate".into(), lr.join(", then ")),
        ("momentum".into(), run.train.momentum.to_string()),
    ];
    if let Some(c) = run.train.clip {
        s.push(("clip".into(), c.to_string()));
    }
    if let Some(sigma) = run.train.noise {
        s.push(("noise σ".into(), sigma.to_string()));
    }
    s.push(("d".into(), run.task.dim().to_string()));
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::{self, SourceFile};

    const SCENARIO: &str = "scenario s {
  task landscape {
    init [1]
    honest a = sqnorm(theta)
    honest b = sqnorm(theta - [1])
  }
  workers { byzantine 1 }
  aggregate cm
  train { steps 3; lr 0.1 }
  sweep { attack in [sf, alie(z: 1)] }
  table { rows attack; value final loss }
}";

    fn page(edit: impl Fn(&mut ScenarioPlan, &mut Vec<RunResult>)) -> String {
        let src = SourceFile::new("s.byz", SCENARIO);
        let mut plan = check::check_source(&src, None).expect("checks").remove(0);
        let mut runs: Vec<RunResult> = plan.runs.iter().map(|r| crate::sim::run(r).expect("runs")).collect();
        edit(&mut plan, &mut runs);
        let table = plan.table.as_ref().map(|t| super::super::table::build(t, &runs));
        html(Path::new("out/s"), &plan, &runs, table.as_ref(), &[]).expect("renders")
    }

    #[test]
    fn values_are_escaped_and_each_run_is_shown_with_its_settings() {
        let html = page(|plan, runs| {
            // A value with HTML's special characters, in the plan and in its result alike.
            plan.runs[0].label[0].1 = "<i>&\"".into();
            runs[0].label[0].1 = "<i>&\"".into();
        });
        assert!(html.contains("<td class=\"key\">&lt;i&gt;&amp;&quot;</td>") && !html.contains("<i>&"), "{html}");
        assert_eq!(html.matches("<details>").count(), 2);
        assert_eq!(html.matches("<td class=\"key\">2 honest + 1 Byzantine</td>").count(), 2);
        assert!(!html.contains("without a result"));
    }

    #[test]
    fn missing_runs_are_counted_and_a_run_without_a_plan_has_no_settings() {
        let html = page(|plan, runs| {
            runs.remove(1);
            plan.runs[0].seed = 99;
        });
        assert!(html.contains("1 without a result (failed or not run; not shown)"), "{html}");
        assert_eq!(html.matches("<details>").count(), 1);
        assert!(!html.contains("<pre>"), "no resolved plan to show");
    }

    #[test]
    fn a_table_with_one_cell_per_row_has_no_worst_cell() {
        let html = page(|_, _| {});
        assert!(!html.contains("class=\"worst\"") && !html.contains("In bold"), "{html}");
    }
}
