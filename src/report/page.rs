//! `index.html`: one static page per scenario with its table, every figure
//! and each run's resolved settings and status, so that a sweep can be
//! browsed and shared as one file. Figures are embedded (SVG as data URIs);
//! nothing is fetched from a server or the network. The page is a
//! minijinja template (page.html) filled from plain rows, so HTML escaping
//! is the template engine's, not ours.

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
    failed: usize,
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
    let root = &body[..body.find('>').unwrap_or(0)];
    let number = |name: &str| -> Option<f64> {
        let at = root.find(&format!(" {name}=\""))? + name.len() + 3;
        root[at..].split('"').next()?.parse().ok()
    };
    matches!((number("width"), number("height")), (Some(w), Some(h)) if w > 1.6 * h)
}

#[derive(Serialize)]
struct RunView {
    cells: Vec<String>,
    status: String,
    diverged: Option<String>,
    settings: Vec<(String, String)>,
    plan: String,
}

/// The page of `plan`'s `runs` as HTML; `written` are the files already
/// written for this scenario (figures are read back from them).
pub fn html(
    dir: &Path,
    plan: &ScenarioPlan,
    runs: &[RunResult],
    table: Option<&Table>,
    written: &[PathBuf],
) -> Result<String, String> {
    let relative = |p: &Path| p.strip_prefix(dir).unwrap_or(p).to_string_lossy().replace('\\', "/");
    let mut figures = vec![];
    for svg in written.iter().filter(|p| p.extension().is_some_and(|e| e == "svg")) {
        let body = std::fs::read(svg).map_err(|e| format!("cannot read back {}: {e}", svg.display()))?;
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
        failed: plan.runs.len().saturating_sub(runs.len()),
        table: table.map(table_view),
        figures,
        run_keys: fields.len(),
        run_header,
        runs: runs.iter().map(|r| run_view(r, plan, accuracy)).collect(),
        files: written.iter().map(|p| relative(p)).collect(),
    };
    let mut env = minijinja::Environment::new();
    env.add_template("page.html", TEMPLATE).map_err(|e| format!("the results page's template: {e}"))?;
    let template = env.get_template("page.html").map_err(|e| e.to_string())?;
    template.render(minijinja::value::Serde(&page)).map_err(|e| format!("cannot fill the results page: {e}"))
}

fn table_view(t: &Table) -> TableView {
    let keys = t.plan.rows.len();
    TableView {
        caption: t.caption(),
        header: t.header(),
        keys,
        rows: t
            .rows
            .iter()
            .zip(t.body())
            .map(|(row, cells)| TableRow { cells, worst: t.worst(row).map(|i| i + keys) })
            .collect(),
    }
}

fn run_view(r: &RunResult, plan: &ScenarioPlan, accuracy: bool) -> RunView {
    let number = |x: f64| if x.is_finite() { format!("{x:.4}") } else { "–".into() };
    let share = |x: Option<f64>| x.filter(|x| x.is_finite()).map_or("–".into(), |x| format!("{:.2}", 100.0 * x));
    let mut cells: Vec<String> = r.label.iter().map(|(_, v)| v.clone()).collect();
    cells.extend([r.seed.to_string(), number(r.metrics.final_loss), number(r.metrics.mean_loss)]);
    if accuracy {
        cells.extend([share(r.metrics.final_accuracy), share(r.metrics.max_accuracy)]);
    }
    let run = plan.runs.iter().find(|p| p.label == r.label && p.seed == r.seed);
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
    s.push(("d".into(), run.task.dim().to_string()));
    s
}
