//! `table { rows ...; columns ...; worst ...; best ...; value ... }`: the
//! named fields must be the sweep's axes, and together they must name every
//! axis, so that each cell holds the runs of one sweep point (one per seed),
//! or of the points a `worst` or `best` line reduces over.

use super::expect::statistic;
use super::merged::Sections;
use crate::diagnostic::{Code, Diag, did_you_mean};
use crate::plan::{Metric, RunPlan, Stat, Statistic, TablePlan};

/// The words that open a line of a `table` block (the grammar's `table_entry`), for completion.
pub const TABLE_ITEMS: &[&str] = &["rows", "columns", "worst", "best", "value"];

/// The `table` section's plan, if any; its fields must be the sweep's axes, all of them.
pub(crate) fn resolve(s: &Sections, runs: &[RunPlan], errors: &mut Vec<Diag>) -> Option<TablePlan> {
    let placed = s.table.as_ref()?;
    let t = &placed.node;
    let axes: Vec<String> = s
        .sweep
        .as_ref()
        .map(|sw| {
            sw.node.iter().map(|a| a.path.iter().map(|i| i.name.as_str()).collect::<Vec<_>>().join(".")).collect()
        })
        .unwrap_or_default();
    let before = crate::diagnostic::error_count(errors);
    let mut named: Vec<String> = vec![];
    for (word, fields) in [("worst", &t.worst), ("best", &t.best)] {
        for extra in fields.iter().skip(1) {
            errors.push(
                Diag::new(Code::Table, &placed.src, extra.span, format!("`{word}` takes one field"))
                    .label("a second field")
                    .help(format!("reduce over one swept field with `{word}`; show the others as rows or columns")),
            );
        }
    }
    for f in t.rows.iter().chain(&t.columns).chain(&t.worst).chain(&t.best) {
        let name = f.name();
        if named.contains(&name) {
            errors.push(
                Diag::new(Code::Twice, &placed.src, f.span, format!("`{name}` is named twice in the table"))
                    .label("already a row, column or reduced field")
                    .help("name each swept field once, in `rows`, `columns`, `worst` or `best`"),
            );
        } else if !axes.contains(&name) {
            let d = Diag::new(Code::Table, &placed.src, f.span, format!("`{name}` is not swept in this scenario"))
                .label("not a sweep axis");
            errors.push(match did_you_mean(&name, axes.iter().map(String::as_str)) {
                Some(a) => d.help(format!("did you mean `{a}`?")),
                None if axes.is_empty() => d.help("add a `sweep { FIELD in [...] }` whose axes the table shows"),
                None => d.help(format!(
                    "the sweep's axes are {}",
                    axes.iter().map(|a| format!("`{a}`")).collect::<Vec<_>>().join(", ")
                )),
            });
        }
        named.push(name);
    }
    for axis in axes.iter().filter(|a| !named.contains(a)) {
        errors.push(
            Diag::new(
                Code::Table,
                &placed.src,
                placed.keyword,
                format!("the table does not show the swept field `{axis}`"),
            )
            .label("a cell would mix its values")
            .help(format!("add `{axis}` to `rows` or `columns`, or reduce over it with `worst {axis}`")),
        );
    }
    let value = match &t.value {
        Some(s) => statistic(s, &placed.src, runs, errors)?,
        // 001 Table 1 reports the maximal test accuracy; without accuracy, the final loss.
        None if runs.iter().all(|r| r.report.accuracy) => Statistic::new(Stat::Max, Metric::Accuracy),
        None => Statistic::new(Stat::Final, Metric::Loss),
    };
    if crate::diagnostic::error_count(errors) > before {
        return None;
    }
    let names = |fs: &[crate::syntax::ast::FieldPath]| fs.iter().map(|f| f.name()).collect();
    let first = |fs: &[crate::syntax::ast::FieldPath]| fs.first().map(|f| f.name());
    Some(TablePlan {
        rows: names(&t.rows),
        columns: names(&t.columns),
        worst: first(&t.worst),
        best: first(&t.best),
        value,
    })
}
