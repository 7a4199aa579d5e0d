//! What a scenario's runs must show: `final accuracy < 0.7`.

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Stat {
    Final,
    Max,
    Min,
    Mean,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    /// The honest training loss, recorded every step.
    Loss,
    /// Test accuracy, recorded every `report every k` steps.
    Accuracy,
}

impl Stat {
    pub fn name(self) -> &'static str {
        match self {
            Stat::Final => "final",
            Stat::Max => "max",
            Stat::Min => "min",
            Stat::Mean => "mean",
        }
    }
}

impl Metric {
    pub fn name(self) -> &'static str {
        match self {
            Metric::Loss => "loss",
            Metric::Accuracy => "accuracy",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Expect {
    pub stat: Stat,
    pub metric: Metric,
    /// `<`, `<=`, `>` or `>=`.
    pub op: String,
    pub value: f64,
    /// As written, for reports.
    pub text: String,
}

impl Expect {
    /// Whether `observed` satisfies the comparison (a NaN never does).
    pub fn holds(&self, observed: f64) -> bool {
        match self.op.as_str() {
            "<" => observed < self.value,
            "<=" => observed <= self.value,
            ">" => observed > self.value,
            _ => observed >= self.value,
        }
    }
}
