//! The trajectory plot of a 2-D run: θ_t over filled contours of the honest
//! loss, in the manner of 001 Fig. 1.

use plotters::prelude::*;
use plotters::style::colors::colormaps::ViridisRGB;
use std::path::{Path, PathBuf};

/// Draws `runs` (label, θ_0..θ_T) over the contours of `loss` at `path` (SVG)
/// and beside it as PNG and PDF; returns the files.
pub fn plot(
    path: &Path,
    title: &str,
    runs: &[(String, Vec<Vec<f32>>)],
    loss: &dyn Fn(f32, f32) -> f64,
) -> Result<Vec<PathBuf>, String> {
    super::render::write_figure(path, &svg(title, runs, loss)?)
}

/// The trajectory plot as SVG text.
fn svg(title: &str, runs: &[(String, Vec<Vec<f32>>)], loss: &dyn Fn(f32, f32) -> f64) -> Result<String, String> {
    let (x, y) = bounds(runs);
    let (nx, ny) = (90usize, 60usize);
    let cell = |i: usize, n: usize, (lo, hi): (f32, f32)| lo + (hi - lo) * i as f32 / n as f32;
    let mut grid = vec![];
    for j in 0..ny {
        for i in 0..nx {
            let (cx, cy) = (cell(2 * i + 1, 2 * nx, x), cell(2 * j + 1, 2 * ny, y));
            grid.push((i, j, loss(cx, cy)));
        }
    }
    let finite: Vec<f64> = grid.iter().map(|g| g.2).filter(|l| l.is_finite()).collect();
    let lo = finite.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = finite.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let levels = 14.0;

    let mut out = String::new();
    let root = SVGBackend::with_string(&mut out, (720, 520)).into_drawing_area();
    let draw = |e: &dyn std::fmt::Display| e.to_string();
    root.fill(&WHITE).map_err(|e| draw(&e))?;
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 18))
        .margin(10)
        .x_label_area_size(30)
        .y_label_area_size(40)
        .build_cartesian_2d(x.0..x.1, y.0..y.1)
        .map_err(|e| draw(&e))?;
    chart.configure_mesh().disable_mesh().x_desc("θ[0]").y_desc("θ[1]").draw().map_err(|e| draw(&e))?;
    chart
        .draw_series(grid.iter().map(|&(i, j, l)| {
            // Quantised levels read as filled contours.
            let t = if hi > lo && l.is_finite() { ((l - lo) / (hi - lo) * levels).floor() / levels } else { 1.0 };
            let c = ViridisRGB::get_color(t as f32);
            Rectangle::new([(cell(i, nx, x), cell(j, ny, y)), (cell(i + 1, nx, x), cell(j + 1, ny, y))], c.filled())
        }))
        .map_err(|e| draw(&e))?;
    for (k, (label, thetas)) in runs.iter().enumerate() {
        let colour = Palette99::pick(k).to_rgba();
        let points: Vec<(f32, f32)> = thetas.iter().filter(|t| t.len() == 2).map(|t| (t[0], t[1])).collect();
        chart
            .draw_series(LineSeries::new(points.clone(), colour.stroke_width(2)))
            .map_err(|e| draw(&e))?
            .label(label)
            .legend(move |(px, py)| PathElement::new(vec![(px, py), (px + 16, py)], colour.stroke_width(2)));
        chart.draw_series(points.iter().map(|p| Circle::new(*p, 2, colour.filled()))).map_err(|e| draw(&e))?;
    }
    // The common start θ₀, as a black cross.
    if let Some(start) = runs.iter().find_map(|(_, t)| t.first()).filter(|t| t.len() == 2) {
        chart
            .draw_series(std::iter::once(Cross::new((start[0], start[1]), 6, BLACK.stroke_width(2))))
            .map_err(|e| draw(&e))?;
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::LowerLeft)
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .draw()
        .map_err(|e| draw(&e))?;
    root.present().map_err(|e| draw(&e))?;
    drop(chart);
    drop(root);
    Ok(out)
}

/// The box around every trajectory, padded so the landscape around it shows.
fn bounds(runs: &[(String, Vec<Vec<f32>>)]) -> ((f32, f32), (f32, f32)) {
    let pts = runs.iter().flat_map(|(_, t)| t.iter()).filter(|t| t.len() == 2 && t.iter().all(|x| x.is_finite()));
    let (mut x0, mut x1, mut y0, mut y1) = (f32::INFINITY, f32::NEG_INFINITY, f32::INFINITY, f32::NEG_INFINITY);
    for t in pts {
        x0 = x0.min(t[0]);
        x1 = x1.max(t[0]);
        y0 = y0.min(t[1]);
        y1 = y1.max(t[1]);
    }
    if !x0.is_finite() {
        return ((-1.0, 1.0), (-1.0, 1.0));
    }
    let pad = |lo: f32, hi: f32| {
        let p = ((hi - lo) * 0.25).max(0.75);
        (lo - p, hi + p)
    };
    (pad(x0, x1), pad(y0, y1))
}
