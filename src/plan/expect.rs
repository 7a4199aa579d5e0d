//! What a scenario's runs must show: `final accuracy < 0.7`.

use serde::Serialize;

/// What a statistic takes of a metric's recorded values: the last, the largest, the smallest or their mean.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Stat {
    Final,
    Max,
    Min,
    Mean,
}

/// A series a run records, which statistics are taken of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    /// The honest training loss, recorded every step.
    Loss,
    /// Test accuracy, recorded every `report every k` steps.
    Accuracy,
}

impl Stat {
    /// The word as written in a `.byz` file: `final`, `max`, `min` or `mean`.
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
    /// The word as written in a `.byz` file: `loss` or `accuracy`.
    pub fn name(self) -> &'static str {
        match self {
            Metric::Loss => "loss",
            Metric::Accuracy => "accuracy",
        }
    }
}

/// `max accuracy`: a statistic of a metric over the steps from `from` on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Statistic {
    pub stat: Stat,
    pub metric: Metric,
    /// The first step `max`, `min` and `mean` look at: 1 unless the file says
    /// `from step N`, so that the untrained model at step 0 is left out.
    pub from: usize,
}

impl Statistic {
    /// `max`, `min` and `mean` start at step 1 unless told otherwise.
    pub const FIRST_STEP: usize = 1;

    /// `stat` of `metric` over the default window, from step `FIRST_STEP` on.
    pub fn new(stat: Stat, metric: Metric) -> Self {
        Statistic { stat, metric, from: Self::FIRST_STEP }
    }

    /// `max accuracy`, or `max accuracy from step 0` when the window is not the default.
    pub fn name(&self) -> String {
        let window = if self.from == Self::FIRST_STEP || self.stat == Stat::Final {
            String::new()
        } else {
            format!(" from step {}", self.from)
        };
        format!("{} {}{window}", self.stat.name(), self.metric.name())
    }
}

/// One line of `expect`: a statistic that every run must satisfy, compared with a number.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Expect {
    pub statistic: Statistic,
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
