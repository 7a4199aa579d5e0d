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
    /// The share of the steps whose value is below zero (for `inner_product`:
    /// the steps that ascend the honest loss to first order).
    Negative,
}

/// A series a run records, which statistics are taken of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    /// The honest training loss, recorded every step.
    Loss,
    /// Test accuracy, recorded every `report every k` steps.
    Accuracy,
    /// ⟨ḡ, F⟩ of each step 1..=T, with `report { inner_product }`.
    InnerProduct,
    /// cos(ḡ, F) of each step 1..=T, with `report { inner_product }`.
    Cosine,
}

impl Stat {
    /// The word as written in a `.byz` file: `final`, `max`, `min` or `mean`.
    pub fn name(self) -> &'static str {
        match self {
            Stat::Final => "final",
            Stat::Max => "max",
            Stat::Min => "min",
            Stat::Mean => "mean",
            Stat::Negative => "negative",
        }
    }
}

impl Metric {
    /// The word as written in a `.byz` file: `loss`, `accuracy`, `inner_product` or `cosine`.
    pub fn name(self) -> &'static str {
        match self {
            Metric::Loss => "loss",
            Metric::Accuracy => "accuracy",
            Metric::InnerProduct => "inner_product",
            Metric::Cosine => "cosine",
        }
    }

    /// Recorded only with `report { inner_product }`.
    pub(crate) fn needs_inner_product(self) -> bool {
        matches!(self, Metric::InnerProduct | Metric::Cosine)
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

    /// Whether a larger value is better for the defender: accuracy, inner
    /// product and cosine; not the loss, nor a share of ascending steps.
    pub(crate) fn higher_is_better(&self) -> bool {
        self.stat != Stat::Negative && self.metric != Metric::Loss
    }

    /// Whether the value reads as a percentage: accuracy, and shares of steps.
    pub(crate) fn is_share(&self) -> bool {
        self.stat == Stat::Negative || self.metric == Metric::Accuracy
    }

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
