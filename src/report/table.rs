//! `table { rows ...; columns ...; value ... }`: one cell per pair of swept
//! values, mean ± 95% CI over seeds, in the shape of 001 Table 1; printed to
//! the terminal and written as Markdown (worst cell of each row in bold) and
//! as CSV (one line per cell, for further analysis).

use super::summary::{MeanCi, mean_ci};
use crate::plan::{Statistic, TablePlan};
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
    pub cells: Vec<Option<Cell>>,
}

/// One cell: mean ± CI over seeds, and the values of the reduced fields that gave it.
#[derive(Debug, Clone, PartialEq)]
pub struct Cell {
    pub value: MeanCi,
    /// The value of the `worst` field whose mean was the worst (for the chosen `best` value).
    pub worst: Option<String>,
    /// The value of the `best` field whose worst case was the best.
    pub best: Option<String>,
}

/// The swept value of `field` in a run.
fn value_of(r: &RunResult, field: &str) -> String {
    r.label.iter().find(|(k, _)| k == field).map(|(_, v)| v.clone()).unwrap_or_default()
}

/// The swept values of `fields` in a run, in order.
pub(crate) fn swept_values(r: &RunResult, fields: &[String]) -> Vec<String> {
    fields.iter().map(|f| value_of(r, f)).collect()
}

/// How good a mean is for the defender: accuracy as is, loss negated; a NaN
/// (a diverged run) is the worst of all.
fn goodness(value: Statistic, mean: f64) -> f64 {
    match value.higher_is_better() {
        _ if mean.is_nan() => f64::NEG_INFINITY,
        true => mean,
        false => -mean,
    }
}

/// The first of `items` whose key is smallest (`worst`) or largest.
fn pick<T>(items: impl IntoIterator<Item = (T, f64)>, worst: bool) -> Option<(T, f64)> {
    let better = |a: f64, b: f64| if worst { a < b } else { a > b };
    items.into_iter().fold(None, |acc, (t, k)| match acc {
        Some((_, best)) if !better(k, best) => acc,
        _ => Some((t, k)),
    })
}

/// `items` grouped by `key`, the groups in the order their first item comes.
fn grouped<T, K: PartialEq>(items: impl IntoIterator<Item = T>, key: impl Fn(&T) -> K) -> Vec<(K, Vec<T>)> {
    let mut groups: Vec<(K, Vec<T>)> = vec![];
    for item in items {
        let k = key(&item);
        match groups.iter_mut().find(|(g, _)| *g == k) {
            Some((_, members)) => members.push(item),
            None => groups.push((k, vec![item])),
        }
    }
    groups
}

/// One cell from its runs: the mean over seeds of each (best, worst) value
/// pair; for each `best` value the worst over the `worst` values; then the
/// best of those (001's and ByzFL's worst-case tables).
fn cell(plan: &TablePlan, runs: &[&RunResult]) -> Option<Cell> {
    let of = |field: &Option<String>, r: &RunResult| field.as_ref().map(|f| value_of(r, f)).unwrap_or_default();
    let means =
        grouped(runs.iter().copied(), |r| (of(&plan.best, r), of(&plan.worst, r))).into_iter().map(|(bw, rs)| {
            let xs: Vec<f64> = rs.iter().map(|r| r.series.statistic(plan.value).unwrap_or(f64::NAN)).collect();
            let m = mean_ci(&xs);
            ((bw, m), goodness(plan.value, m.mean))
        });
    let worst_cases = grouped(means, |(((b, _), _), _)| b.clone()).into_iter().filter_map(|(_, g)| pick(g, true));
    let (((b, w), value), _) = pick(worst_cases, false)?;
    Some(Cell { value, worst: plan.worst.as_ref().map(|_| w), best: plan.best.as_ref().map(|_| b) })
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
                    let here: Vec<&RunResult> = runs
                        .iter()
                        .filter(|r| swept_values(r, &plan.rows) == rk && swept_values(r, &plan.columns) == *ck)
                        .collect();
                    cell(plan, &here)
                })
                .collect();
            Row { keys: rk, cells }
        })
        .collect();
    Table { plan: plan.clone(), columns, rows }
}

impl Table {
    /// Accuracy in percent with two decimals, as the papers print it; losses
    /// with four; then the reduced fields' values that gave the cell, as
    /// `(alie, 0.1)` (the caption names the fields).
    fn cell_text(&self, c: &Option<Cell>) -> String {
        let Some(c) = c else { return "–".into() };
        let number = if self.plan.value.is_share() { c.value.text(100.0, 2) } else { c.value.text(1.0, 4) };
        let chosen: Vec<&str> = [&c.worst, &c.best].into_iter().flatten().map(String::as_str).collect();
        if chosen.is_empty() { number } else { format!("{number} ({})", chosen.join(", ")) }
    }

    /// `max accuracy (%)`, with how many seeds a cell summarises and what was reduced.
    pub fn caption(&self) -> String {
        let unit = if self.plan.value.is_share() { " (%)" } else { "" };
        let seeds = self.rows.iter().flat_map(|r| &r.cells).flatten().map(|c| c.value.n).max().unwrap_or(0);
        let ci = if seeds > 1 { format!(", mean ± 95% CI over {seeds} seeds") } else { ", one seed".into() };
        let reduced = match (&self.plan.worst, &self.plan.best) {
            (Some(w), Some(b)) => format!("; worst over {w}, then best over {b} (in parentheses: the {w} and {b})"),
            (Some(w), None) => format!("; worst over {w} (in parentheses)"),
            (None, Some(b)) => format!("; best over {b} (in parentheses)"),
            (None, None) => String::new(),
        };
        format!("{}{unit}{ci}{reduced}", self.plan.value_name())
    }

    /// The row fields' names, then one heading per column.
    pub(crate) fn header(&self) -> Vec<String> {
        let mut h = self.plan.rows.clone();
        h.extend(self.columns.iter().map(|c| if c.is_empty() { self.plan.value_name() } else { c.join(", ") }));
        h
    }

    /// Each row as text: its keys, then its cells.
    pub(crate) fn body(&self) -> Vec<Vec<String>> {
        self.rows
            .iter()
            .map(|r| r.keys.iter().cloned().chain(r.cells.iter().map(|c| self.cell_text(c))).collect())
            .collect()
    }

    /// The column of each row that favours the attacker most: lowest accuracy, highest loss, ...
    pub(crate) fn worst(&self, row: &Row) -> Option<usize> {
        let key = |c: &MeanCi| if self.plan.value.higher_is_better() { c.mean } else { -c.mean };
        let finite = row
            .cells
            .iter()
            .enumerate()
            .filter_map(|(i, c)| c.as_ref().map(|c| c.value).filter(|c| c.mean.is_finite()).map(|c| (i, key(&c))));
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
        let mut head: Vec<String> = self.plan.rows.iter().chain(&self.plan.columns).cloned().collect();
        head.extend(["statistic", "mean", "ci95", "seeds"].map(String::from));
        // The reduced fields' chosen values, e.g. `worst attack`.
        head.extend(self.plan.worst.iter().map(|f| format!("worst {f}")));
        head.extend(self.plan.best.iter().map(|f| format!("best {f}")));
        let num = |x: f64| if x.is_finite() { format!("{x}") } else { String::new() };
        // Writing into memory cannot fail.
        let _ = w.write_record(&head);
        for row in &self.rows {
            for (col, cell) in self.columns.iter().zip(&row.cells) {
                let Some(c) = cell else { continue };
                let mut line: Vec<String> = row.keys.iter().chain(col).cloned().collect();
                let v = c.value;
                line.extend([self.plan.value_name(), num(v.mean), num(v.half_width), v.n.to_string()]);
                line.extend([&c.worst, &c.best].into_iter().flatten().cloned());
                let _ = w.write_record(&line);
            }
        }
        String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::{Metric, Stat, Statistic};

    /// A run of `seed` with these swept values whose final loss is `loss`.
    fn run(label: &[(&str, &str)], seed: u64, loss: f64) -> RunResult {
        let json = serde_json::json!({
            "scenario": "s", "label": [], "seed": seed, "aggregate": "cm", "attack": "sf", "status": "ok",
            "metrics": {"final_loss": loss, "max_loss": loss, "min_loss": loss, "mean_loss": loss},
            "series": {"step": [0, 1], "loss": [9.0, if loss.is_nan() { serde_json::Value::Null } else { loss.into() }]},
            "final_theta": [],
        });
        let mut r: RunResult = serde_json::from_value(json).expect("a run");
        r.label = label.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        r
    }

    fn plan(worst: Option<&str>, best: Option<&str>) -> TablePlan {
        TablePlan {
            rows: vec!["aggregate".into()],
            columns: vec![],
            worst: worst.map(String::from),
            best: best.map(String::from),
            value: Statistic::new(Stat::Final, Metric::Loss),
        }
    }

    /// Final losses (mean of two seeds) of `cm` by (lr, attack):
    /// lr 0.1: sf 3, alie 5 → worst alie 5; lr 1: sf 4, alie 2 → worst sf 4;
    /// best over lr: 4 at lr 1 (sf). Without `best`, the cell mixes both lrs.
    fn runs() -> Vec<RunResult> {
        let mut out = vec![];
        for (lr, attack, a, b) in
            [("0.1", "sf", 2.0, 4.0), ("0.1", "alie", 5.0, 5.0), ("1", "sf", 4.0, 4.0), ("1", "alie", 1.0, 3.0)]
        {
            for (seed, loss) in [(1, a), (2, b)] {
                out.push(run(&[("aggregate", "cm"), ("attack", attack), ("train.lr", lr)], seed, loss));
            }
        }
        out
    }

    #[test]
    fn worst_then_best_picks_the_best_worst_case() {
        let t = build(&plan(Some("attack"), Some("train.lr")), &runs());
        let c = t.rows[0].cells[0].clone().unwrap();
        assert_eq!((c.value.mean, c.worst.as_deref(), c.best.as_deref()), (4.0, Some("sf"), Some("1")));
        assert_eq!(c.value.n, 2);
        assert!(t.text().contains("(sf, 1)"), "{}", t.text());
        assert!(
            t.csv().starts_with("aggregate,statistic,mean,ci95,seeds,worst attack,best train.lr\ncm,final loss,4,")
        );
    }

    #[test]
    fn best_alone_and_worst_alone() {
        // Best over lr, the attack a row: sf 3 at lr 0.1, alie 2 at lr 1.
        let mut p = plan(None, Some("train.lr"));
        p.rows.push("attack".into());
        let t = build(&p, &runs());
        let by_attack: Vec<(String, f64, Option<String>)> = t
            .rows
            .iter()
            .map(|r| {
                let c = r.cells[0].clone().unwrap();
                (r.keys[1].clone(), c.value.mean, c.best)
            })
            .collect();
        assert_eq!(by_attack, [("sf".into(), 3.0, Some("0.1".into())), ("alie".into(), 2.0, Some("1".into()))]);
        // Worst over the attack with lr a row: 5 (alie) at 0.1, 4 (sf) at 1.
        let mut p = plan(Some("attack"), None);
        p.rows.push("train.lr".into());
        let t = build(&p, &runs());
        let worst: Vec<(f64, Option<String>)> =
            t.rows.iter().map(|r| r.cells[0].clone().map(|c| (c.value.mean, c.worst)).unwrap()).collect();
        assert_eq!(worst, [(5.0, Some("alie".into())), (4.0, Some("sf".into()))]);
    }

    #[test]
    fn a_diverged_configuration_is_the_worst_case() {
        let mut rs = runs();
        // sf at lr 1 diverges in one seed: its mean is NaN, the worst at lr 1; lr 0.1's 5 is then best.
        rs[5] = run(&[("aggregate", "cm"), ("attack", "sf"), ("train.lr", "1")], 2, f64::NAN);
        let c = build(&plan(Some("attack"), Some("train.lr")), &rs).rows[0].cells[0].clone().unwrap();
        assert_eq!((c.value.mean, c.worst.as_deref(), c.best.as_deref()), (5.0, Some("alie"), Some("0.1")));
    }
}
