//! `heatmap.svg`: a table with one field as rows and one as columns drawn as
//! coloured cells, each annotated with its mean, with a colour bar named by
//! the statistic and axes named by the fields, as ByzFL's f × heterogeneity
//! figures. A cell no run filled is grey.

use plotters::prelude::*;
use plotters::style::colors::colormaps::{ColorMap, ViridisRGB};
use plotters::style::text_anchor::{HPos, Pos, VPos};
use std::path::{Path, PathBuf};

use super::table::Table;

const CELL: (i32, i32) = (92, 44);
const LEFT: i32 = 150;
const TOP: i32 = 50;
const BOTTOM: i32 = 70;
const BAR: i32 = 130;

/// Whether `table` has the shape of a heat map: one row field and one column field.
pub fn applies(table: &Table) -> bool {
    table.plan.rows.len() == 1 && table.plan.columns.len() == 1
}

/// The number written in a cell: percent with one decimal for shares, four decimals otherwise.
fn number(table: &Table, x: f64) -> String {
    if table.plan.value.is_share() { format!("{:.1}", 100.0 * x) } else { format!("{x:.4}") }
}

/// Draws `table` as a heat map at `path` (SVG) and beside it as PNG and PDF; returns the files.
pub fn plot(path: &Path, table: &Table) -> Result<Vec<PathBuf>, String> {
    super::render::write_figure(path, &svg(table)?)
}

/// The heat map of `table` as SVG text.
pub fn svg(table: &Table) -> Result<String, String> {
    let (rows, cols) = (table.rows.len() as i32, table.columns.len() as i32);
    // The colour bar is at least 120 px tall, however few the rows.
    let bar_h = (rows * CELL.1).max(120);
    let (w, h) = (LEFT + cols * CELL.0 + BAR, TOP + bar_h.max(rows * CELL.1) + BOTTOM);
    let means: Vec<Vec<Option<f64>>> = table
        .rows
        .iter()
        .map(|r| r.cells.iter().map(|c| c.as_ref().map(|c| c.value.mean).filter(|m| m.is_finite())).collect())
        .collect();
    let all: Vec<f64> = means.iter().flatten().flatten().copied().collect();
    let lo = all.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = all.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let (lo, hi) = if lo.is_finite() && hi > lo { (lo, hi) } else { (lo.min(0.0), lo.max(0.0) + 1.0) };
    let colour = |x: f64| ViridisRGB.get_color_normalized(x, lo, hi);

    let mut out = String::new();
    let root = SVGBackend::with_string(&mut out, (w as u32, h as u32)).into_drawing_area();
    let fail = |e: &dyn std::fmt::Display| e.to_string();
    root.fill(&WHITE).map_err(|e| fail(&e))?;
    let text = |size: i32, colour: RGBColor, pos: Pos| ("sans-serif", size).into_font().color(&colour).pos(pos);
    let centre = Pos::new(HPos::Center, VPos::Center);
    root.draw(&Text::new(table.caption(), (w / 2, TOP / 2), text(14, BLACK, centre))).map_err(|e| fail(&e))?;
    for (i, row) in means.iter().enumerate() {
        let y = TOP + i as i32 * CELL.1;
        for (j, m) in row.iter().enumerate() {
            let x = LEFT + j as i32 * CELL.0;
            let fill = m.map_or(RGBColor(200, 200, 200), colour);
            root.draw(&Rectangle::new([(x, y), (x + CELL.0, y + CELL.1)], fill.filled())).map_err(|e| fail(&e))?;
            // Dark text on the light end of the map, light text on the dark end.
            let ink = if m.is_some_and(|m| (m - lo) / (hi - lo) > 0.6) { BLACK } else { WHITE };
            let label = m.map_or("–".to_string(), |m| number(table, m));
            root.draw(&Text::new(label, (x + CELL.0 / 2, y + CELL.1 / 2), text(13, ink, centre)))
                .map_err(|e| fail(&e))?;
        }
        let key = table.rows[i].keys.join(", ");
        let right = Pos::new(HPos::Right, VPos::Center);
        root.draw(&Text::new(key, (LEFT - 8, y + CELL.1 / 2), text(12, BLACK, right))).map_err(|e| fail(&e))?;
    }
    for (j, col) in table.columns.iter().enumerate() {
        let x = LEFT + j as i32 * CELL.0 + CELL.0 / 2;
        let top = Pos::new(HPos::Center, VPos::Top);
        root.draw(&Text::new(col.join(", "), (x, TOP + rows * CELL.1 + 6), text(12, BLACK, top)))
            .map_err(|e| fail(&e))?;
    }
    // The axes' names: the column field below, the row field at the left.
    let bottom = TOP + rows * CELL.1;
    let column_name = table.plan.columns.join(", ");
    root.draw(&Text::new(column_name, (LEFT + cols * CELL.0 / 2, bottom + 40), text(14, BLACK, centre)))
        .map_err(|e| fail(&e))?;
    let row_name = table.plan.rows.join(", ");
    let rotated = ("sans-serif", 14).into_font().transform(FontTransform::Rotate270).color(&BLACK).pos(centre);
    root.draw(&Text::new(row_name, (16, TOP + rows * CELL.1 / 2), rotated)).map_err(|e| fail(&e))?;
    // The colour bar: the map from `lo` (bottom) to `hi` (top), its ends labelled, the statistic named.
    let (bx, steps) = (LEFT + cols * CELL.0 + 24, 64);
    for k in 0..steps {
        let y0 = TOP + bar_h - (k + 1) * bar_h / steps;
        let y1 = TOP + bar_h - k * bar_h / steps;
        let x = lo + (hi - lo) * (k as f64 + 0.5) / steps as f64;
        root.draw(&Rectangle::new([(bx, y0), (bx + 16, y1)], colour(x).filled())).map_err(|e| fail(&e))?;
    }
    let left = Pos::new(HPos::Left, VPos::Center);
    for (value, y) in [(hi, TOP), (lo, TOP + bar_h)] {
        root.draw(&Text::new(number(table, value), (bx + 20, y), text(11, BLACK, left))).map_err(|e| fail(&e))?;
    }
    let statistic = table.plan.value_name() + if table.plan.value.is_share() { " (%)" } else { "" };
    let rotated = ("sans-serif", 12).into_font().transform(FontTransform::Rotate270).color(&BLACK).pos(centre);
    root.draw(&Text::new(statistic, (bx + 90, TOP + bar_h / 2), rotated)).map_err(|e| fail(&e))?;
    root.present().map_err(|e| fail(&e))?;
    drop(root);
    Ok(out)
}
