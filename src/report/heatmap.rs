//! `heatmap.svg`: a table with one field as rows and one as columns drawn as
//! coloured cells, each annotated with its mean, with a colour bar named by
//! the statistic and axes named by the fields, as ByzFL's f × heterogeneity
//! figures. A cell no run filled is grey.

use plotters::prelude::*;
use plotters::style::colors::colormaps::{ColorMap, ViridisRGB};
use plotters::style::text_anchor::{HPos, Pos, VPos};
use std::path::{Path, PathBuf};

use super::style;
use super::table::Table;

/// A cell's least size, in points (see `style`); wider when a column's name needs it.
const CELL: (i32, i32) = (34, 14);
/// The colour bar's part of the width, with its labels and name.
const BAR: i32 = 54;
/// Below the cells: the column values and the column field's name.
const BOTTOM: i32 = 26;

/// Whether `table` has the shape of a heat map: one row field and one column field.
pub(crate) fn applies(table: &Table) -> bool {
    table.plan.rows.len() == 1 && table.plan.columns.len() == 1
}

/// The number written in a cell: percent with one decimal for shares, four decimals otherwise.
fn number(table: &Table, x: f64) -> String {
    if table.plan.value.is_share() { format!("{:.1}", 100.0 * x) } else { format!("{x:.4}") }
}

/// Draws `table` as a heat map at `path` (SVG) and beside it as PNG and PDF; returns the files.
pub fn plot(path: &Path, table: &Table) -> Result<Vec<PathBuf>, super::ReportError> {
    super::render::write_figure(path, &svg(table).map_err(super::ReportError::draw(path))?)
}

/// The heat map of `table` as SVG text.
pub fn svg(table: &Table) -> Result<String, String> {
    let (rows, cols) = (table.rows.len() as i32, table.columns.len() as i32);
    let column_names: Vec<String> = table.columns.iter().map(|c| c.join(", ")).collect();
    let row_names: Vec<String> = table.rows.iter().map(|r| r.keys.join(", ")).collect();
    // Each column as wide as its name needs; at least 60 points of cells in
    // each direction, so that a 2 × 2 map is not a stamp.
    let col_w: Vec<i32> =
        column_names.iter().map(|n| CELL.0.max(style::text_width(n, style::TICK) + 6).max(60 / cols.max(1))).collect();
    let col_x: Vec<i32> = col_w.iter().scan(0, |x, w| Some(std::mem::replace(x, *x + w))).collect();
    let grid_w: i32 = col_w.iter().sum();
    let cell_h = CELL.1.max(60 / rows.max(1));
    // The row field's name (turned), then the row values, right-aligned against the cells.
    let left = 14 + row_names.iter().map(|n| style::text_width(n, style::TICK)).max().unwrap_or(0) + 6;
    // The caption, one line per clause, so that it fits the width.
    let caption: Vec<String> = table.caption().split("; ").map(String::from).collect();
    let top = 6 + caption.len() as i32 * 9;
    let bar_h = rows * cell_h;
    let title_w = caption.iter().map(|l| style::text_width(l, style::TITLE - 1.0)).max().unwrap_or(0) + 8;
    let (w, h) = ((left + grid_w + BAR).max(title_w), top + bar_h + BOTTOM);
    let means: Vec<Vec<Option<f64>>> = table
        .rows
        .iter()
        .map(|r| r.cells.iter().map(|c| c.as_ref().map(|c| c.value.mean).filter(|m| m.is_finite())).collect())
        .collect();
    // No finite cell (every run failed) gives a scale of 0 to 1 over grey cells.
    let (lo, hi) = style::value_range(means.iter().flatten().flatten().copied());
    let (lo, hi) = if table.plan.value.is_share() { (lo.max(0.0), hi.min(1.0)) } else { (lo, hi) };
    let colour = |x: f64| ViridisRGB.get_color_normalized(x, lo, hi);

    let p = style::pt;
    let mut out = String::new();
    let root = SVGBackend::with_string(&mut out, style::canvas(w, h)).into_drawing_area();
    let fail = |e: &dyn std::fmt::Display| e.to_string();
    root.fill(&WHITE).map_err(|e| fail(&e))?;
    let text =
        |size: f64, colour: RGBColor, pos: Pos| ("sans-serif", style::font(size)).into_font().color(&colour).pos(pos);
    let centre = Pos::new(HPos::Center, VPos::Center);
    for (k, line) in caption.iter().enumerate() {
        let at = (p(w) / 2, p(6 + k as i32 * 9 + 4));
        root.draw(&Text::new(line.clone(), at, text(style::TITLE - 1.0, BLACK, centre))).map_err(|e| fail(&e))?;
    }
    for (i, row) in means.iter().enumerate() {
        let y = top + i as i32 * cell_h;
        for (j, m) in row.iter().enumerate() {
            let (x, cell_w) = (left + col_x[j], col_w[j]);
            let fill = m.map_or(RGBColor(200, 200, 200), colour);
            root.draw(&Rectangle::new([(p(x), p(y)), (p(x + cell_w), p(y + cell_h))], fill.filled()))
                .map_err(|e| fail(&e))?;
            // Dark text on the light end of the map, light text on the dark end.
            let ink = if m.is_some_and(|m| (m - lo) / (hi - lo) > 0.6) { BLACK } else { WHITE };
            let label = m.map_or("–".to_string(), |m| number(table, m));
            let at = (p(x) + p(cell_w) / 2, p(y) + p(cell_h) / 2);
            root.draw(&Text::new(label, at, text(style::TICK, ink, centre))).map_err(|e| fail(&e))?;
        }
        let right = Pos::new(HPos::Right, VPos::Center);
        let at = (p(left - 4), p(y) + p(cell_h) / 2);
        root.draw(&Text::new(row_names[i].clone(), at, text(style::TICK, BLACK, right))).map_err(|e| fail(&e))?;
    }
    let bottom = top + rows * cell_h;
    for (j, name) in column_names.iter().enumerate() {
        let at = (p(left + col_x[j]) + p(col_w[j]) / 2, p(bottom + 3));
        root.draw(&Text::new(name.clone(), at, text(style::TICK, BLACK, Pos::new(HPos::Center, VPos::Top))))
            .map_err(|e| fail(&e))?;
    }
    // The axes' names: the column field below, the row field at the left.
    let column_field = table.plan.columns.join(", ");
    let at = (p(left) + p(grid_w) / 2, p(bottom + 18));
    root.draw(&Text::new(column_field, at, text(style::AXIS, BLACK, centre))).map_err(|e| fail(&e))?;
    let turned = |size: f64| {
        ("sans-serif", style::font(size)).into_font().transform(FontTransform::Rotate270).color(&BLACK).pos(centre)
    };
    let row_field = table.plan.rows.join(", ");
    root.draw(&Text::new(row_field, (p(6), p(top) + p(rows * cell_h) / 2), turned(style::AXIS)))
        .map_err(|e| fail(&e))?;
    // The colour bar: the map from `lo` (bottom) to `hi` (top), its ends labelled, the statistic named.
    let (bx, steps) = (left + grid_w + 8, 64);
    for k in 0..steps {
        let y0 = p(top + bar_h) - (k + 1) * p(bar_h) / steps;
        let y1 = p(top + bar_h) - k * p(bar_h) / steps;
        let x = lo + (hi - lo) * (k as f64 + 0.5) / steps as f64;
        // One unit of overlap, so that no hairline of background shows between the blocks.
        root.draw(&Rectangle::new([(p(bx), y0 - 1), (p(bx + 7), y1)], colour(x).filled())).map_err(|e| fail(&e))?;
    }
    let left_centre = Pos::new(HPos::Left, VPos::Center);
    for (value, y) in [(hi, top), (lo, top + bar_h)] {
        root.draw(&Text::new(number(table, value), (p(bx + 9), p(y)), text(style::TICK, BLACK, left_centre)))
            .map_err(|e| fail(&e))?;
    }
    let statistic = table.plan.value_name() + if table.plan.value.is_share() { " (%)" } else { "" };
    root.draw(&Text::new(statistic, (p(bx + 44), p(top) + p(bar_h) / 2), turned(style::TICK))).map_err(|e| fail(&e))?;
    root.present().map_err(|e| fail(&e))?;
    drop(root);
    Ok(style::at_print_size(out))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::{Metric, Stat, Statistic, TablePlan};
    use crate::report::summary::MeanCi;
    use crate::report::table::{Cell, Row};

    fn table(cells: Vec<Option<f64>>) -> Table {
        let value = Statistic::new(Stat::Max, Metric::Accuracy);
        let plan = TablePlan { rows: vec!["f".into()], columns: vec!["alpha".into()], worst: None, best: None, value };
        let cell = |m: f64| Cell { value: MeanCi { mean: m, half_width: 0.0, n: 1 }, worst: None, best: None };
        Table {
            plan,
            columns: (0..cells.len()).map(|j| vec![format!("{j}")]).collect(),
            rows: vec![Row { keys: vec!["1".into()], cells: cells.into_iter().map(|c| c.map(cell)).collect() }],
        }
    }

    #[test]
    fn no_finite_cell_and_a_single_value_draw_without_a_panic() {
        // Every run failed: grey cells, a 0-to-1 scale.
        let failed = svg(&table(vec![None, Some(f64::NAN)])).unwrap();
        assert!(failed.contains("fill=\"#C8C8C8\""), "grey cells");
        // One value: a scale around it (clipped to 100%), not from 0 to twice it.
        let single = svg(&table(vec![Some(0.95)])).unwrap();
        assert!(single.contains(">\n85.5\n</text>") && single.contains(">\n100.0\n</text>"), "{single}");
    }
}
