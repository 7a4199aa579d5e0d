//! Learning curves over seeds: the mean of a metric per step with its 95%
//! confidence band, one curve per attack (or other swept value), in the
//! shape of 001 Fig. 3.

use plotters::prelude::*;
use std::path::{Path, PathBuf};

use super::summary::mean_ci;
use crate::plan::Metric;
use crate::sim::RunResult;

/// One curve: the runs (one per seed) of one sweep point.
pub struct Curve<'a> {
    pub label: String,
    pub runs: Vec<&'a RunResult>,
}

/// (step, mean, lower, upper) at each recorded step; a step counts the seeds that reached it.
fn band(metric: Metric, runs: &[&RunResult]) -> Vec<(f64, f64, f64, f64)> {
    let series = |r: &RunResult| -> (Vec<usize>, Vec<f64>) {
        let (steps, values) = r.series.values(metric);
        let scale = if metric == Metric::Accuracy { 100.0 } else { 1.0 };
        (steps.into_owned(), values.iter().map(|v| scale * v).collect())
    };
    let all: Vec<(Vec<usize>, Vec<f64>)> = runs.iter().map(|r| series(r)).collect();
    let longest = all.iter().max_by_key(|(s, _)| s.len()).map(|(s, _)| s.clone()).unwrap_or_default();
    longest
        .iter()
        .enumerate()
        .filter_map(|(i, step)| {
            let xs: Vec<f64> = all.iter().filter_map(|(_, v)| v.get(i).copied()).filter(|x| x.is_finite()).collect();
            if xs.is_empty() {
                return None;
            }
            let c = mean_ci(&xs);
            let h = if c.half_width.is_finite() { c.half_width } else { 0.0 };
            Some((*step as f64, c.mean, c.mean - h, c.mean + h))
        })
        .collect()
}

/// Draws `curves` of `metric` at `path` (SVG) and beside it as PNG and PDF; returns the files.
pub fn plot(path: &Path, title: &str, metric: Metric, curves: &[Curve]) -> Result<Vec<PathBuf>, String> {
    super::render::write_figure(path, &svg(title, metric, curves)?)
}

/// The plot of `curves` of `metric` as SVG text.
fn svg(title: &str, metric: Metric, curves: &[Curve]) -> Result<String, String> {
    let bands: Vec<Vec<(f64, f64, f64, f64)>> = curves.iter().map(|c| band(metric, &c.runs)).collect();
    let points = bands.iter().flatten();
    let x1 = points.clone().map(|p| p.0).fold(1.0, f64::max);
    let (mut y0, mut y1) = points.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), p| (lo.min(p.2), hi.max(p.3)));
    if !y0.is_finite() || !y1.is_finite() {
        (y0, y1) = (0.0, 1.0);
    }
    let pad = ((y1 - y0) * 0.05).max(1e-6);
    let (y0, y1) = (y0 - pad, y1 + pad);

    let mut out = String::new();
    let root = SVGBackend::with_string(&mut out, (720, 480)).into_drawing_area();
    let draw = |e: &dyn std::fmt::Display| e.to_string();
    root.fill(&WHITE).map_err(|e| draw(&e))?;
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 18))
        .margin(10)
        .x_label_area_size(35)
        .y_label_area_size(55)
        .build_cartesian_2d(0.0..x1, y0..y1)
        .map_err(|e| draw(&e))?;
    let y_desc = match metric {
        Metric::Loss => "honest training loss",
        Metric::Accuracy => "test accuracy (%)",
        Metric::InnerProduct => "⟨honest mean, aggregate⟩",
        Metric::Cosine => "cos(honest mean, aggregate)",
    };
    chart
        .configure_mesh()
        .x_desc("step")
        .y_desc(y_desc)
        .x_label_formatter(&|x| format!("{x:.0}"))
        .draw()
        .map_err(|e| draw(&e))?;
    for (k, (curve, band)) in curves.iter().zip(&bands).enumerate() {
        let colour = Palette99::pick(k).to_rgba();
        let mut outline: Vec<(f64, f64)> = band.iter().map(|p| (p.0, p.3)).collect();
        outline.extend(band.iter().rev().map(|p| (p.0, p.2)));
        chart.draw_series(std::iter::once(Polygon::new(outline, colour.mix(0.2).filled()))).map_err(|e| draw(&e))?;
        chart
            .draw_series(LineSeries::new(band.iter().map(|p| (p.0, p.1)), colour.stroke_width(2)))
            .map_err(|e| draw(&e))?
            .label(&curve.label)
            .legend(move |(px, py)| PathElement::new(vec![(px, py), (px + 16, py)], colour.stroke_width(2)));
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .draw()
        .map_err(|e| draw(&e))?;
    root.present().map_err(|e| draw(&e))?;
    drop(chart);
    drop(root);
    Ok(out)
}

/// A file name from swept values: `nnm-cm_alpha-0.1`.
pub fn slug(parts: &[String]) -> String {
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
