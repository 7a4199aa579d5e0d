//! Learning curves over seeds: the mean of a metric per step with its 95%
//! confidence band, one curve per attack (or other swept value), in the
//! shape of 001 Fig. 3.

use plotters::prelude::*;
use std::path::{Path, PathBuf};

use super::style;
use super::summary::mean_ci;
use crate::plan::Metric;
use crate::sim::RunResult;

/// One curve: the runs (one per seed) of one sweep point.
pub struct Curve<'a> {
    pub label: String,
    pub runs: Vec<&'a RunResult>,
}

/// The values `metric` can take, for clipping bands: a t-interval over two
/// seeds is ±12.7 standard errors wide and would otherwise run accuracy past
/// 100% and a loss below 0. `lowest` is the least value any run recorded; a
/// loss is taken to be non-negative unless some run went below 0 (a landscape
/// can have negative losses).
fn range(metric: Metric, lowest: f64) -> (f64, f64) {
    match metric {
        Metric::Accuracy => (0.0, 100.0),
        Metric::Cosine => (-1.0, 1.0),
        Metric::Loss if lowest >= 0.0 => (0.0, f64::INFINITY),
        Metric::Loss | Metric::InnerProduct => (f64::NEG_INFINITY, f64::INFINITY),
    }
}

/// Each run's recorded values of `metric` (accuracy in percent).
fn series(metric: Metric, r: &RunResult) -> (Vec<usize>, Vec<f64>) {
    let (steps, values) = r.series.values(metric);
    let scale = if metric == Metric::Accuracy { 100.0 } else { 1.0 };
    (steps.into_owned(), values.iter().map(|v| scale * v).collect())
}

/// (step, mean, lower, upper) at each recorded step, the band clipped to
/// `range`. The curve ends where its first seed ends (a run that diverged):
/// past it the mean would be over fewer seeds and jump without saying so.
fn band(metric: Metric, runs: &[&RunResult], (lo, hi): (f64, f64)) -> Vec<(f64, f64, f64, f64)> {
    let all: Vec<(Vec<usize>, Vec<f64>)> = runs.iter().map(|r| series(metric, r)).collect();
    let shortest = all.iter().min_by_key(|(s, _)| s.len()).map(|(s, _)| s.clone()).unwrap_or_default();
    shortest
        .iter()
        .enumerate()
        .map_while(|(i, step)| {
            let xs: Vec<f64> = all.iter().filter_map(|(_, v)| v.get(i).copied()).filter(|x| x.is_finite()).collect();
            if xs.len() < all.len() {
                return None;
            }
            let c = mean_ci(&xs);
            let h = if c.half_width.is_finite() { c.half_width } else { 0.0 };
            Some((*step as f64, c.mean, (c.mean - h).max(lo), (c.mean + h).min(hi)))
        })
        .collect()
}

/// Draws `curves` of `metric` at `path` (SVG) and beside it as PNG and PDF; returns the files.
pub fn plot(path: &Path, title: &str, metric: Metric, curves: &[Curve]) -> Result<Vec<PathBuf>, super::ReportError> {
    super::render::write_figure(path, &svg(title, metric, curves).map_err(super::ReportError::draw(path))?)
}

/// The axis name of `metric`.
fn axis_name(metric: Metric) -> &'static str {
    match metric {
        Metric::Loss => "honest training loss",
        Metric::Accuracy => "test accuracy (%)",
        Metric::InnerProduct => "⟨honest mean, aggregate⟩",
        Metric::Cosine => "cos(honest mean, aggregate)",
    }
}

/// The plot of `curves` of `metric` as SVG text: one column wide, a light
/// grid, each curve's 95% band, its mean as a line with staggered markers,
/// and a legend below that names the swept fields (`attack = alie`).
fn svg(title: &str, metric: Metric, curves: &[Curve]) -> Result<String, String> {
    let lowest = curves
        .iter()
        .flat_map(|c| &c.runs)
        .flat_map(|r| series(metric, r).1)
        .filter(|x| x.is_finite())
        .fold(f64::INFINITY, f64::min);
    let bounds = range(metric, lowest);
    let bands: Vec<Vec<(f64, f64, f64, f64)>> = curves.iter().map(|c| band(metric, &c.runs, bounds)).collect();
    let points = bands.iter().flatten();
    let x1 = points.clone().map(|p| p.0).fold(1.0, f64::max);
    let (mut y0, mut y1) = points.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), p| (lo.min(p.2), hi.max(p.3)));
    if !y0.is_finite() || !y1.is_finite() {
        (y0, y1) = (0.0, 1.0);
    }
    // 5% of the span; of the values' size when the curves are flat (accuracy stuck at 100).
    let pad =
        if y1 - y0 > 1e-9 * y0.abs().max(y1.abs()).max(1.0) { (y1 - y0) * 0.05 } else { 0.05 * y1.abs().max(1.0) };
    let (y0, y1) = ((y0 - pad).max(bounds.0), (y1 + pad).min(bounds.1));

    let labels: Vec<&str> = curves.iter().map(|c| c.label.as_str()).collect();
    let (cols, rows, col_w) = style::legend_layout(&labels);
    let legend_h = rows as i32 * 9 + 6;
    let mut out = String::new();
    let root =
        SVGBackend::with_string(&mut out, style::canvas(style::WIDTH, style::HEIGHT + legend_h)).into_drawing_area();
    let draw = |e: &dyn std::fmt::Display| e.to_string();
    root.fill(&WHITE).map_err(|e| draw(&e))?;
    let (top, bottom) = root.split_vertically(style::pt(style::HEIGHT));
    let mut chart = ChartBuilder::on(&top)
        .caption(title, ("sans-serif", style::font(style::TITLE)))
        .margin(style::pt(4))
        .margin_right(style::pt(8))
        .x_label_area_size(style::pt(20))
        .y_label_area_size(style::pt(30))
        .build_cartesian_2d(0.0..x1, y0..y1)
        .map_err(|e| draw(&e))?;
    chart
        .configure_mesh()
        .x_desc("step")
        .y_desc(axis_name(metric))
        .axis_desc_style(("sans-serif", style::font(style::AXIS)))
        .label_style(("sans-serif", style::font(style::TICK)))
        .axis_style(BLACK.stroke_width(style::pt(1) as u32 / 2))
        .set_all_tick_mark_size(style::pt(2))
        .bold_line_style(style::grid())
        .light_line_style(TRANSPARENT)
        .x_labels(6)
        .y_labels(6)
        .x_label_formatter(&|x| format!("{x:.0}"))
        .draw()
        .map_err(|e| draw(&e))?;
    // Every band first, so that no band covers another curve's line.
    for (k, band) in bands.iter().enumerate() {
        let mut outline: Vec<(f64, f64)> = band.iter().map(|p| (p.0, p.3)).collect();
        outline.extend(band.iter().rev().map(|p| (p.0, p.2)));
        let fill = style::band(style::look(k).colour).filled();
        chart.draw_series(std::iter::once(Polygon::new(outline, fill))).map_err(|e| draw(&e))?;
    }
    for (k, band) in bands.iter().enumerate() {
        let look = style::look(k);
        let means = band.iter().map(|p| (p.0, p.1));
        look.draw_line(chart.plotting_area(), means.collect())?;
        for i in style::marker_steps(band.len(), k, curves.len()) {
            look.draw_marker(chart.plotting_area(), (band[i].0, band[i].1))?;
        }
    }
    for (k, label) in labels.iter().enumerate() {
        let at = (style::pt(6 + (k % cols) as i32 * col_w), style::pt(6 + (k / cols) as i32 * 9));
        style::legend_entry(&bottom, style::look(k), at, label)?;
    }
    root.present().map_err(|e| draw(&e))?;
    drop(chart);
    drop(top);
    drop(bottom);
    drop(root);
    Ok(style::at_print_size(out))
}

/// A file name from swept values: `nnm-cm_alpha-0.1`.
pub(crate) fn slug(parts: &[String]) -> String {
    let s: String = parts
        .join("_")
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '.' || c == '_' || c == '-' { c } else { '-' })
        .collect();
    let mut out = String::new();
    for c in s.chars() {
        if !(c == '-' && out.ends_with('-')) {
            out.push(c);
        }
    }
    let out = out.trim_matches('-').to_string();
    if out.is_empty() { "all".into() } else { out }
}
