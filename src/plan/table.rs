//! `table { rows ...; columns ...; worst ...; best ...; value max accuracy }`, resolved.

use serde::Serialize;

use super::Statistic;

/// A summary of a scenario's runs: one cell per (row, column) of swept
/// values, the statistic of the metric as mean ± 95% CI over seeds.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TablePlan {
    /// Swept fields whose values name the rows, e.g. `aggregate`.
    pub rows: Vec<String>,
    /// Swept fields whose values name the columns, e.g. `attack`.
    pub columns: Vec<String>,
    /// `worst FIELD`: each cell is the worst, over this field's values, of
    /// the mean over seeds (lowest accuracy, highest loss).
    pub worst: Option<String>,
    /// `best FIELD`: after `worst`, the best over this field's values (the
    /// hyper-parameter chosen for the best worst case, as ByzFL's tables).
    pub best: Option<String>,
    pub value: Statistic,
}

impl TablePlan {
    /// `max accuracy`, as written.
    pub(crate) fn value_name(&self) -> String {
        self.value.name()
    }
}
