//! The words of the language that are not components: what `report`
//! records, the statistics and metrics of `table` and `expect`, and the
//! warnings `allow` accepts.

use super::{Kind, Spec};
use crate::plan::{Metric, Stat};

/// A word of the language that is not a component: a name and its meaning, no parameters.
pub(super) const fn word(kind: Kind, name: &'static str, summary: &'static str, doc: &'static str) -> Spec {
    Spec { name, kind, aliases: &[], summary, doc, params: &[], requires: None, degenerate: None, needs_labels: false }
}

/// Every statistic a table or expectation can take of a metric.
pub const STATISTICS: [(Spec, Stat); 5] = [
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
    (
        word(
            Kind::Statistic,
            "negative",
            "the share of steps 1..=T whose value is below zero",
            "`negative inner_product`: the share of the steps whose aggregate F had a negative inner\n\
             product with the honest mean ḡ, i.e. ascended the honest loss to first order (002\n\
             Definition 4). Shown in percent in tables; in `expect`, a share in [0, 1].",
        ),
        Stat::Negative,
    ),
];

/// Every metric a run records.
pub const METRICS: [(Spec, Metric); 4] = [
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
    (
        word(
            Kind::Metric,
            "inner_product",
            "⟨ḡ, F⟩ of each step, with `report { inner_product }`",
            "The inner product of the honest workers' mean vector ḡ and the server's aggregate F at\n\
             each step 1..=T (002 Definition 4: F should point along ḡ); recorded with\n\
             `report { inner_product }`.",
        ),
        Metric::InnerProduct,
    ),
    (
        word(
            Kind::Metric,
            "cosine",
            "cos(ḡ, F) of each step, with `report { inner_product }`",
            "The cosine between the honest mean ḡ and the aggregate F at each step 1..=T (0 when\n\
             either is zero); recorded with `report { inner_product }`.",
        ),
        Metric::Cosine,
    ),
];

/// What a `report` section can ask for (`report every 50 { accuracy, trajectory }`).
pub const REPORT_ITEMS: [Spec; 4] = [
    word(
        Kind::ReportItem,
        "loss",
        "record the honest training loss at every step",
        "Always recorded; naming it keeps it in the curves when other items are asked for.",
    ),
    word(
        Kind::ReportItem,
        "accuracy",
        "evaluate the held-out accuracy every `report every k` steps",
        "On the data set's test split, every k steps (`report every k { accuracy }`) and at the
         last step; data tasks only.",
    ),
    word(
        Kind::ReportItem,
        "trajectory",
        "draw the model's path over the landscape",
        "Keeps θ at every step and draws each run's path over the loss landscape's filled contours
         (2-D tasks only).",
    ),
    word(
        Kind::ReportItem,
        "inner_product",
        "record ⟨ḡ, F⟩ and cos(ḡ, F) at every step",
        "The inner product and the cosine of the honest mean vector ḡ and the aggregate F: a
         negative value means the server moved against the honest workers.",
    ),
];

/// Every kind of warning: settings that make an experiment test less than it
/// names. `allow KIND` in a scenario (or a base it extends) accepts them.
pub const WARNINGS: [Spec; 4] = [
    word(
        Kind::Warning,
        "degenerate",
        "a component that provably equals a simpler one for this n and f",
        "ALIE with z = 0 sends the honest mean (it is `none`); multikrum with m >= n,\n\
         bucketing with s >= n and gm with 0 iterations are the plain mean. A paper's\n\
         setting may be degenerate (001 Table 5's z is 0 for n = 13, f = 1): reproduce it\n\
         with `allow degenerate` and a comment saying so.",
    ),
    word(
        Kind::Warning,
        "ignored",
        "a setting whose value no run uses",
        "`batch`, `l2` or `heterogeneity` without a data task, `report every k` without\n\
         `accuracy`, an attack when no run has a Byzantine worker.",
    ),
    word(
        Kind::Warning,
        "unused_lr_phase",
        "a phase of the learning-rate schedule that starts after the last step",
        "`lr 0.1 until 200, then 0.01` with `steps 150` never uses 0.01.",
    ),
    word(
        Kind::Warning,
        "single_seed",
        "a table whose cells hold one run each",
        "With one seed per cell a table has no confidence interval and no spread.\n\
         Accept it for runs without randomness (a landscape task, no random attack).",
    ),
];
