//! The trajectory plot of a 2-D run, in the manner of 001 Fig. 1: θ_t of
//! each run over smooth filled contours of the honest loss, with contour
//! lines, a colour bar, the landscape's minima (+), the common start (○) and
//! each run's end (its marker).
//!
//! The filled bands are isobands of the loss sampled on a 160 × 160 grid
//! (the `contour` crate's marching squares, linearly interpolated), written
//! as SVG paths with the even-odd rule so that a band's holes (a well inside
//! it) stay open; plotters, which draws everything else, has no polygon with
//! holes, so the paths are put in under its drawing.

use contour::ContourBuilder;
use plotters::prelude::*;
use plotters::style::colors::colormaps::{ColorMap, ViridisRGB};
use plotters::style::text_anchor::{HPos, Pos, VPos};
use std::fmt::Write;
use std::path::{Path, PathBuf};

use super::style;

/// Grid points per axis.
const GRID: usize = 160;
/// Filled bands between the lowest and the highest loss on the grid.
const BANDS: usize = 12;
/// The colour bar's width, with its labels.
const BAR: i32 = 46;
/// The plot's height without the legend.
const HEIGHT: i32 = 200;

/// Draws `runs` (label, θ_0..θ_T) over the contours of `loss` at `path` (SVG)
/// and beside it as PNG and PDF; returns the files.
pub fn plot(
    path: &Path,
    title: &str,
    runs: &[(String, Vec<Vec<f32>>)],
    loss: &dyn Fn(f32, f32) -> f64,
) -> Result<Vec<PathBuf>, super::ReportError> {
    super::render::write_figure(path, &svg(title, runs, loss).map_err(super::ReportError::draw(path))?)
}

/// The centre of grid cell `i` of the `GRID` cells over `lo..hi`.
fn centre(i: usize, (lo, hi): (f32, f32)) -> f32 {
    lo + (hi - lo) * (i as f32 + 0.5) / GRID as f32
}

/// The loss on the grid over `x` × `y`, row by row from the bottom (at cell centres).
fn sample(x: (f32, f32), y: (f32, f32), loss: &dyn Fn(f32, f32) -> f64) -> Vec<f64> {
    (0..GRID).flat_map(|j| (0..GRID).map(move |i| (i, j))).map(|(i, j)| loss(centre(i, x), centre(j, y))).collect()
}

/// Grid points lower than their eight neighbours, deepest first (at most 4): the landscape's minima.
fn minima(values: &[f64]) -> Vec<(usize, usize)> {
    let v = |i: usize, j: usize| values[j * GRID + i];
    let mut found: Vec<(usize, usize)> = (1..GRID - 1)
        .flat_map(|j| (1..GRID - 1).map(move |i| (i, j)))
        .filter(|&(i, j)| {
            let c = v(i, j);
            c.is_finite() && (0..3).all(|dj| (0..3).all(|di| (di, dj) == (1, 1) || c < v(i + di - 1, j + dj - 1)))
        })
        .collect();
    found.sort_by(|a, b| v(a.0, a.1).total_cmp(&v(b.0, b.1)));
    found.truncate(4);
    found
}

/// The trajectory plot as SVG text.
fn svg(title: &str, runs: &[(String, Vec<Vec<f32>>)], loss: &dyn Fn(f32, f32) -> f64) -> Result<String, String> {
    let (x, y) = bounds(runs);
    let values = sample(x, y, loss);
    let (lo, hi) = style::value_range(values.iter().copied());
    let thresholds: Vec<f64> = (0..=BANDS).map(|k| lo + (hi - lo) * k as f64 / BANDS as f64).collect();
    // Marching squares needs finite values; a non-finite loss reads as the highest. A band
    // holds the points ≥ its lower and < its upper threshold, so the top one is cut just
    // above `hi` to take in the points at `hi` too.
    let grid_values: Vec<f64> = values.iter().map(|v| if v.is_finite() { *v } else { hi }).collect();
    let mut cuts = thresholds.clone();
    cuts[BANDS] = hi + (hi - lo) * 1e-6;
    let builder = ContourBuilder::new(GRID, GRID, true)
        .x_origin(x.0)
        .y_origin(y.0)
        .x_step((x.1 - x.0) / GRID as f32)
        .y_step((y.1 - y.0) / GRID as f32);
    let fail = |e: &dyn std::fmt::Display| e.to_string();
    let bands = builder.isobands(&grid_values, &cuts).map_err(|e| fail(&e))?;
    let lines = builder.lines(&grid_values, &thresholds[1..BANDS]).map_err(|e| fail(&e))?;
    let band_colour = |k: usize| ViridisRGB.get_color_normalized(k as f64 + 0.5, 0.0, BANDS as f64);

    let labels: Vec<&str> = runs.iter().map(|(l, _)| l.as_str()).collect();
    let (cols, rows, col_w) = style::legend_layout(&labels);
    // One more row for the start, the end and the minima.
    let legend_h = (rows as i32 + 1) * 9 + 6;
    let mut under = String::new();
    let mut out = String::new();
    let root = SVGBackend::with_string(&mut out, style::canvas(style::WIDTH, HEIGHT + legend_h)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| fail(&e))?;
    let (top, legend) = root.split_vertically(style::pt(HEIGHT));
    let (main, bar) = top.split_horizontally(style::pt(style::WIDTH - BAR));
    let mut chart = ChartBuilder::on(&main)
        .caption(title, ("sans-serif", style::font(style::TITLE)))
        .margin(style::pt(4))
        .x_label_area_size(style::pt(20))
        .y_label_area_size(style::pt(26))
        .build_cartesian_2d(x.0..x.1, y.0..y.1)
        .map_err(|e| fail(&e))?;
    chart
        .configure_mesh()
        .disable_mesh()
        .x_desc("θ[0]")
        .y_desc("θ[1]")
        .axis_desc_style(("sans-serif", style::font(style::AXIS)))
        .label_style(("sans-serif", style::font(style::TICK)))
        .axis_style(BLACK.stroke_width(style::pt(1) as u32 / 2))
        .set_all_tick_mark_size(style::pt(2))
        .x_labels(5)
        .y_labels(5)
        .draw()
        .map_err(|e| fail(&e))?;
    // The filled bands, as paths in the figure's coordinates (see the module's doc).
    let to_px = |x: f64, y: f64| chart.backend_coord(&(x as f32, y as f32));
    for band in bands.iter().filter(|b| !b.geometry().0.is_empty()) {
        let k = thresholds.iter().position(|t| *t >= band.min_v()).unwrap_or(0).min(BANDS - 1);
        let RGBColor(r, g, b) = band_colour(k);
        let mut d = String::new();
        for polygon in band.geometry() {
            for ring in std::iter::once(polygon.exterior()).chain(polygon.interiors()) {
                for (n, c) in ring.coords().enumerate() {
                    let (px, py) = to_px(c.x, c.y);
                    let _ = write!(d, "{}{px} {py}", if n == 0 { "M" } else { "L" });
                }
                d.push('Z');
            }
        }
        let _ = writeln!(under, r##"<path d="{d}" fill="#{r:02X}{g:02X}{b:02X}" fill-rule="evenodd" stroke="none"/>"##);
    }
    for line in &lines {
        for part in line.geometry() {
            let points: Vec<(f32, f32)> = part.coords().map(|c| (c.x as f32, c.y as f32)).collect();
            chart
                .draw_series(std::iter::once(PathElement::new(
                    points,
                    WHITE.mix(0.45).stroke_width(style::pt(1) as u32 / 2),
                )))
                .map_err(|e| fail(&e))?;
        }
    }
    for (i, j) in minima(&values) {
        plus(chart.plotting_area(), (centre(i, x), centre(j, y)))?;
    }
    for (k, (_, thetas)) in runs.iter().enumerate() {
        let look = style::look(k);
        let points: Vec<(f32, f32)> = thetas.iter().filter(|t| t.len() == 2).map(|t| (t[0], t[1])).collect();
        // A white casing keeps the line visible on dark and light bands alike.
        chart
            .draw_series(std::iter::once(PathElement::new(points.clone(), WHITE.stroke_width(style::pt(5) as u32 / 2))))
            .map_err(|e| fail(&e))?;
        look.draw_line(chart.plotting_area(), points.clone())?;
        if let Some(end) = points.last() {
            look.draw_marker(chart.plotting_area(), *end)?;
        }
    }
    if let Some(start) = runs.iter().find_map(|(_, t)| t.first()).filter(|t| t.len() == 2) {
        start_mark(chart.plotting_area(), (start[0], start[1]))?;
    }
    colour_bar(&bar, &thresholds, &band_colour)?;
    let font =
        ("sans-serif", style::font(style::LEGEND)).into_font().color(&BLACK).pos(Pos::new(HPos::Left, VPos::Center));
    let text = |t: &str, at: (i32, i32)| legend.draw(&Text::new(t.to_string(), at, font.clone())).map_err(|e| fail(&e));
    let row = |r: usize| style::pt(6 + r as i32 * 9);
    for (k, label) in labels.iter().enumerate() {
        let at = (style::pt(6 + (k % cols) as i32 * col_w), row(k / cols));
        style::legend_entry(&legend, style::look(k), at, label)?;
    }
    let ly = row(rows);
    start_mark(&legend, (style::pt(10), ly))?;
    text("start θ₀; each run's marker is its end", (style::pt(16), ly))?;
    plus(&legend, (style::pt(170), ly))?;
    text("minima", (style::pt(176), ly))?;
    root.present().map_err(|e| fail(&e))?;
    drop(chart);
    drop((main, bar, legend, top, root));
    // Under everything plotters drew, right after the white background.
    let after_background = out.find("/>\n").map_or(0, |i| i + 3);
    out.insert_str(after_background, &under);
    Ok(style::at_print_size(out))
}

/// A white `+` with a dark edge at `at`: a minimum.
fn plus<DB: DrawingBackend, CT: plotters::coord::CoordTranslate>(
    area: &DrawingArea<DB, CT>,
    at: CT::From,
) -> Result<(), String>
where
    CT::From: Clone,
{
    let arm = |(a, b): ((i32, i32), (i32, i32)), s: ShapeStyle| {
        EmptyElement::at(at.clone()) + PathElement::new(vec![a, b], s)
    };
    let r = style::pt(3);
    for s in [BLACK.stroke_width(style::pt(3) as u32 / 2), WHITE.stroke_width(style::pt(1) as u32 / 2)] {
        area.draw(&arm(((-r, 0), (r, 0)), s)).map_err(|e| e.to_string())?;
        area.draw(&arm(((0, -r), (0, r)), s)).map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// The start: a white circle with a black edge.
fn start_mark<DB: DrawingBackend, CT: plotters::coord::CoordTranslate>(
    area: &DrawingArea<DB, CT>,
    at: CT::From,
) -> Result<(), String>
where
    CT::From: Clone,
{
    let r = style::pt(3);
    area.draw(&(EmptyElement::at(at.clone()) + Circle::new((0, 0), r, WHITE.filled()))).map_err(|e| e.to_string())?;
    area.draw(&(EmptyElement::at(at) + Circle::new((0, 0), r, BLACK.stroke_width(style::pt(1) as u32))))
        .map_err(|e| e.to_string())
}

/// The colour bar: one block per band, labelled at every third threshold.
fn colour_bar<DB: DrawingBackend>(
    area: &DrawingArea<DB, plotters::coord::Shift>,
    thresholds: &[f64],
    colour: &dyn Fn(usize) -> RGBColor,
) -> Result<(), String> {
    let fail = |e: &dyn std::fmt::Display| e.to_string();
    let pt = style::pt;
    let (top, bottom, left) = (pt(20), pt(HEIGHT - 24), pt(4));
    let bands = thresholds.len() - 1;
    let y = |k: usize| bottom - (bottom - top) * k as i32 / bands as i32;
    for k in 0..bands {
        area.draw(&Rectangle::new([(left, y(k + 1)), (left + pt(8), y(k))], colour(k).filled()))
            .map_err(|e| fail(&e))?;
    }
    let edge = BLACK.stroke_width(pt(1) as u32 / 2);
    area.draw(&Rectangle::new([(left, top), (left + pt(8), bottom)], edge)).map_err(|e| fail(&e))?;
    let font =
        ("sans-serif", style::font(style::TICK)).into_font().color(&BLACK).pos(Pos::new(HPos::Left, VPos::Center));
    let places = style::decimals(thresholds[3.min(bands)] - thresholds[0]);
    for k in (0..=bands).step_by(3) {
        area.draw(&Text::new(format!("{:.places$}", thresholds[k]), (left + pt(11), y(k)), font.clone()))
            .map_err(|e| fail(&e))?;
    }
    let name =
        ("sans-serif", style::font(style::TICK)).into_font().color(&BLACK).pos(Pos::new(HPos::Left, VPos::Bottom));
    area.draw(&Text::new("honest loss".to_string(), (left - pt(2), top - pt(4)), name)).map_err(|e| fail(&e))
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

#[cfg(test)]
mod tests {
    use super::*;

    fn runs() -> Vec<(String, Vec<Vec<f32>>)> {
        vec![("attack = sf".into(), vec![vec![-1.0, 0.0], vec![0.0, 0.5], vec![1.0, 0.0]])]
    }

    #[test]
    fn a_region_where_the_loss_is_not_finite_is_coloured_as_the_highest() {
        let svg = svg("t", &runs(), &|x, _| if x > 0.0 { f64::NAN } else { f64::from(x * x) }).unwrap();
        // Yellow, viridis' top, fills the half where the loss is NaN.
        let RGBColor(r, g, b) = ViridisRGB.get_color_normalized(BANDS as f64 - 0.5, 0.0, BANDS as f64);
        let top = format!("fill=\"#{r:02X}{g:02X}{b:02X}\" fill-rule=\"evenodd\"");
        assert!(svg.contains(&top), "no band of the top colour");
    }

    #[test]
    fn a_flat_landscape_draws_one_band_and_labels_its_value() {
        let svg = svg("t", &runs(), &|_, _| 0.25).unwrap();
        assert_eq!(svg.matches("fill-rule=\"evenodd\"").count(), 1, "one band");
        assert!(svg.contains(">\n0.25\n</text>") || svg.contains(">\n0.250\n</text>"), "{svg}");
    }
}
