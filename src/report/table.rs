//! `table { rows ...; columns ...; value ... }`: one cell per pair of swept
//! values, mean ± 95% CI over seeds, in the shape of 001 Table 1; printed to
//! the terminal and written as Markdown (worst cell of each row in bold) and
//! as CSV (one line per cell, for further analysis).

use super::summary::{MeanCi, mean_ci};
use crate::plan::{Metric, TablePlan};
use crate::sim::RunResult;

/// A built table: its plan, the column headings (the column fields' values) and the rows.
pub struct Table {
    pub plan: TablePlan,
    /// The values of the column fields, one entry per column.
    pub columns: Vec<Vec<String>>,
    pub rows: Vec<Row>,
}

/// One row of a table: the row fields' values and one cell per column.
pub struct Row {
    /// The values of the row fields.
    pub keys: Vec<String>,
    /// One per column; `None` where no run had these values.
    pub cells: Vec<Option<MeanCi>>,
}

/// The swept value of `field` in a run.
fn value_of(r: &RunResult, field: &str) -> String {
    r.label.iter().find(|(k, _)| k == field).map(|(_, v)| v.clone()).unwrap_or_default()
}

/// The swept values of `fields` in a run, in order.
pub fn swept_values(r: &RunResult, fields: &[String]) -> Vec<String> {
    fields.iter().map(|f| value_of(r, f)).collect()
}

/// Rows and columns in the order the sweep produced them.
pub fn build(plan: &TablePlan, runs: &[RunResult]) -> Table {
    let mut rows: Vec<Vec<String>> = vec![];
    let mut columns: Vec<Vec<String>> = vec![];
    for r in runs {
        let (rk, ck) = (swept_values(r, &plan.rows), swept_values(r, &plan.columns));
        if !rows.contains(&rk) {
            rows.push(rk);
        }
        if !columns.contains(&ck) {
            columns.push(ck);
        }
    }
    let rows = rows
        .into_iter()
        .map(|rk| {
            let cells = columns
                .iter()
                .map(|ck| {
                    let xs: Vec<f64> = runs
                        .iter()
                        .filter(|r| swept_values(r, &plan.rows) == rk && swept_values(r, &plan.columns) == *ck)
                        .map(|r| r.series.statistic(plan.value).unwrap_or(f64::NAN))
                        .collect();
                    (!xs.is_empty()).then(|| mean_ci(&xs))
                })
                .collect();
            Row { keys: rk, cells }
        })
        .collect();
    Table { plan: plan.clone(), columns, rows }
}

impl Table {
    /// Accuracy in percent with two decimals, as the papers print it; losses with four.
    fn cell_text(&self, c: &Option<MeanCi>) -> String {
        match (c, self.plan.value.metric) {
            (None, _) => "–".into(),
            (Some(c), Metric::Accuracy) => c.text(100.0, 2),
            (Some(c), Metric::Loss) => c.text(1.0, 4),
        }
    }

    /// `max accuracy (%)`, with how many seeds a cell summarises.
    pub fn caption(&self) -> String {
        let unit = if self.plan.value.metric == Metric::Accuracy { " (%)" } else { "" };
        let seeds = self.rows.iter().flat_map(|r| &r.cells).flatten().map(|c| c.n).max().unwrap_or(0);
        let ci = if seeds > 1 { format!(", mean ± 95% CI over {seeds} seeds") } else { ", one seed".into() };
        format!("{}{unit}{ci}", self.plan.value_name())
    }

    fn header(&self) -> Vec<String> {
        let mut h = self.plan.rows.clone();
        h.extend(self.columns.iter().map(|c| if c.is_empty() { self.plan.value_name() } else { c.join(", ") }));
        h
    }

    fn body(&self) -> Vec<Vec<String>> {
        self.rows
            .iter()
            .map(|r| r.keys.iter().cloned().chain(r.cells.iter().map(|c| self.cell_text(c))).collect())
            .collect()
    }

    /// The column of each row that favours the attacker most: lowest accuracy, highest loss.
    fn worst(&self, row: &Row) -> Option<usize> {
        let key = |c: &MeanCi| if self.plan.value.metric == Metric::Accuracy { c.mean } else { -c.mean };
        let finite =
            row.cells.iter().enumerate().filter_map(|(i, c)| c.filter(|c| c.mean.is_finite()).map(|c| (i, key(&c))));
        finite.min_by(|a, b| a.1.total_cmp(&b.1)).map(|(i, _)| i).filter(|_| row.cells.len() > 1)
    }

    /// Aligned columns for the terminal.
    pub fn text(&self) -> String {
        let mut lines = vec![self.header()];
        lines.extend(self.body());
        let widths: Vec<usize> =
            (0..lines[0].len()).map(|i| lines.iter().map(|l| l[i].chars().count()).max().unwrap_or(0)).collect();
        let mut out = format!("{}\n", self.caption());
        for (k, l) in lines.iter().enumerate() {
            let cells: Vec<String> = l
                .iter()
                .zip(&widths)
                .enumerate()
                .map(|(i, (c, w))| {
                    let pad = w - c.chars().count();
                    if i < self.plan.rows.len() {
                        format!("{c}{}", " ".repeat(pad))
                    } else {
                        format!("{}{c}", " ".repeat(pad))
                    }
                })
                .collect();
            out.push_str(cells.join("  ").trim_end());
            out.push('\n');
            if k == 0 {
                out.push_str(&widths.iter().map(|w| "-".repeat(*w)).collect::<Vec<_>>().join("  "));
                out.push('\n');
            }
        }
        out
    }

    /// A Markdown table; the worst cell of each row in bold.
    pub fn markdown(&self) -> String {
        let header = self.header();
        let mut out = format!("{}\n\n| {} |\n", self.caption(), header.join(" | "));
        let aligns: Vec<&str> =
            (0..header.len()).map(|i| if i < self.plan.rows.len() { "---" } else { "---:" }).collect();
        out.push_str(&format!("|{}|\n", aligns.join("|")));
        for (row, cells) in self.rows.iter().zip(self.body()) {
            let worst = self.worst(row).map(|i| i + self.plan.rows.len());
            let cells: Vec<String> = cells
                .into_iter()
                .enumerate()
                .map(|(i, c)| if Some(i) == worst { format!("**{c}**") } else { c.replace('|', "\\|") })
                .collect();
            out.push_str(&format!("| {} |\n", cells.join(" | ")));
        }
        out
    }

    /// One line per cell: the row and column values, then mean, CI half-width and seeds.
    pub fn csv(&self) -> String {
        let mut w = csv::Writer::from_writer(vec![]);
        let mut head: Vec<&str> = self.plan.rows.iter().chain(&self.plan.columns).map(String::as_str).collect();
        head.extend(["statistic", "mean", "ci95", "seeds"]);
        let num = |x: f64| if x.is_finite() { format!("{x}") } else { String::new() };
        // Writing into memory cannot fail.
        let _ = w.write_record(&head);
        for row in &self.rows {
            for (col, cell) in self.columns.iter().zip(&row.cells) {
                let Some(c) = cell else { continue };
                let mut line: Vec<String> = row.keys.iter().chain(col).cloned().collect();
                line.extend([self.plan.value_name(), num(c.mean), num(c.half_width), c.n.to_string()]);
                let _ = w.write_record(&line);
            }
        }
        String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
    }
}
