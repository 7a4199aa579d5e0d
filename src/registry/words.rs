//! The words of the language that are not components: the statistics and
//! metrics of `table` and `expect`, and the warnings `allow` accepts.

use super::{Kind, Spec};
use crate::plan::{Metric, Stat};

/// A word of the language that is not a component: a name and its meaning, no parameters.
const fn word(kind: Kind, name: &'static str, summary: &'static str, doc: &'static str) -> Spec {
    Spec { name, kind, aliases: &[], summary, doc, params: &[], requires: None, degenerate: None }
}

/// Every statistic a table or expectation can take of a metric.
pub const STATISTICS: [(Spec, Stat); 4] = [
    (
        word(
            Kind::Statistic,
            "final",
            "the value at the last recorded step",
            "`final accuracy`: after the last step (accuracy: at the last evaluation, which is always the last step).",
        ),
        Stat::Final,
    ),
    (
        word(
            Kind::Statistic,
            "max",
            "the largest value over steps 1..=T",
            "`max accuracy` (001 Table 1 reports it). Step 0's untrained model is left out:\n\
             write `max accuracy from step 0` to take it in, or `from step K` for the steps from K on.",
        ),
        Stat::Max,
    ),
    (
        word(
            Kind::Statistic,
            "min",
            "the smallest value over steps 1..=T",
            "`min loss`. Step 0's untrained model is left out:\n\
             write `min loss from step 0` to take it in, or `from step K` for the steps from K on.",
        ),
        Stat::Min,
    ),
    (
        word(
            Kind::Statistic,
            "mean",
            "the average over the recorded steps 1..=T",
            "`mean loss`: the average over the steps at which the metric was recorded (every\n\
             step for loss, every `report every k` steps and the last for accuracy). Step 0's\n\
             untrained model is left out: write `mean loss from step 0` to take it in (000 eq. (8)\n\
             sums the loss from the first model on), or `from step K` for the steps from K on.",
        ),
        Stat::Mean,
    ),
];

/// Every metric a run records.
pub const METRICS: [(Spec, Metric); 2] = [
    (
        word(
            Kind::Metric,
            "loss",
            "the honest training loss, every step",
            "The honest training loss at the current model, recorded at every step from 0 (the\n\
             untrained model) to T.",
        ),
        Metric::Loss,
    ),
    (
        word(
            Kind::Metric,
            "accuracy",
            "held-out accuracy, every `report every k` steps",
            "The model's accuracy on the task's test split, recorded every k steps with\n\
             `report every k { accuracy }` and at the last step (data tasks only).",
        ),
        Metric::Accuracy,
    ),
];
