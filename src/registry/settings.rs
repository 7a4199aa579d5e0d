//! The settings of the blocks: `workers { honest 12 }`, `train { lr 0.1 }`
//! and the tasks' own blocks, each declared once with what it sets and the
//! value it takes. The checker's block reader knows a block's settings from
//! here, the sweep offers `workers.*` and `train.*` as fields, `byz explain
//! lr` (or `train.lr`) prints an entry, and completion offers them.

use super::{Kind, Spec};

/// A setting of a block.
pub struct SettingEntry {
    /// The block it belongs to as the user writes it: `workers`, `train`,
    /// `task landscape`, `task mean_estimation`.
    pub block: &'static str,
    /// Its name, summary and doc (which says the value it takes and its
    /// default); its alias is the field a sweep names (`train.lr`).
    pub spec: Spec,
    /// The kind of component its value is (`heterogeneity dirichlet(alpha: 0.1)`):
    /// a sweep may then vary the component's arguments (`workers.heterogeneity.alpha`)
    /// and completion offers the components.
    pub component: Option<Kind>,
}

const fn setting(
    block: &'static str,
    name: &'static str,
    field: &'static [&'static str],
    summary: &'static str,
    doc: &'static str,
) -> SettingEntry {
    SettingEntry {
        block,
        spec: Spec { aliases: field, ..super::words::word(Kind::Setting, name, summary, doc) },
        component: None,
    }
}

/// Every setting, block by block, in the order completion offers them.
pub const SETTINGS: &[SettingEntry] = &[
    setting(
        "workers",
        "honest",
        &["workers.honest"],
        "how many honest workers",
        "A whole number of at least 1. A landscape defines one loss per honest worker, so there it\n\
         defaults to the number of `honest` losses; elsewhere it is required.",
    ),
    setting(
        "workers",
        "byzantine",
        &["workers.byzantine"],
        "how many Byzantine workers (f)",
        "A whole number, default 0; f must be a minority of n = honest + byzantine. The attack\n\
         controls these workers' vectors.",
    ),
    setting(
        "workers",
        "declared",
        &["workers.declared"],
        "the f the rules are told, when it differs from the real one",
        "A whole number, default `byzantine`. Rules, pre-aggregators, their defaults and requirements\n\
         see the declared f; the attacks control the real number of workers. An under-estimated f is\n\
         an experiment worth running (ByzFL drops such settings).",
    ),
    SettingEntry {
        component: Some(Kind::Split),
        ..setting(
            "workers",
            "heterogeneity",
            &["workers.heterogeneity"],
            "how the training data is divided among the honest workers",
            "A data split, default `iid`: `dirichlet(alpha: 0.1)`, `extreme`, `longtail(beta: 0.5)`,\n\
             `gamma_similarity(gamma: 0.5)` (`byz explain dirichlet`). Data tasks only.",
        )
    },
    setting(
        "train",
        "steps",
        &["train.steps"],
        "how many steps of robust D-SGD",
        "A whole number of at least 1, required. Step t aggregates the workers' vectors at θ_t and\n\
         moves the model to θ_{t+1}.",
    ),
    setting(
        "train",
        "lr",
        &["train.lr"],
        "the learning rate, or a schedule of them",
        "A number above 0, required; or pieces `lr 0.25 until 1000, then 0.025` (001 Table 2's\n\
         CIFAR-10 schedule), each piece's end after the one before.",
    ),
    setting(
        "train",
        "momentum",
        &["train.momentum"],
        "the workers' momentum β",
        "A number in [0, 1), default 0. Each honest worker sends m_t = β m_{t−1} + (1 − β) g_t\n\
         rather than its gradient g_t, which shrinks the honest vectors' spread.",
    ),
    setting(
        "train",
        "clip",
        &["train.clip"],
        "clip each honest gradient to this norm",
        "A number above 0, default none: each honest worker scales its gradient down to this\n\
         norm before momentum.",
    ),
    setting(
        "train",
        "noise",
        &["train.noise"],
        "Gaussian noise σ on each honest worker's clipped gradient",
        "A number of at least 0, default none: each honest worker adds N(0, σ² I) to its gradient\n\
         after clipping and before momentum, as differentially private SGD does (the privacy then\n\
         follows from σ and `clip`). Its draws come from the run's seed, per worker and step.\n\
         Byzantine workers add none: label flipping sends its flipped gradients without noise.",
    ),
    setting(
        "train",
        "batch",
        &["train.batch"],
        "how many examples each honest worker draws per step",
        "A whole number of at least 1, default 32. Data tasks only.",
    ),
    setting(
        "train",
        "l2",
        &["train.l2"],
        "the weight of an L2 penalty on the model",
        "A number of at least 0, default 0: each honest loss gets + l2/2 ‖θ‖². Data tasks only.",
    ),
    setting(
        "task landscape",
        "init",
        &[],
        "the starting point θ_0",
        "A vector of numbers, required: its length is the model's dimension, `theta`'s length in\n\
         the losses.",
    ),
    setting(
        "task mean_estimation",
        "dim",
        &[],
        "the dimension d",
        "A whole number of at least 1; default the length of `mean`, else 2.",
    ),
    setting(
        "task mean_estimation",
        "mean",
        &[],
        "the honest distribution's mean μ",
        "A vector of `dim` numbers, default zeros.",
    ),
    setting(
        "task mean_estimation",
        "std",
        &[],
        "the honest distribution's standard deviation σ",
        "A number of at least 0, default 1: each honest point is drawn from N(μ, σ² I).",
    ),
    setting("task mean_estimation", "init", &[], "the starting point θ_0", "A vector of `dim` numbers, default zeros."),
];

/// The names of the settings `block` knows, in order.
pub fn names(block: &str) -> Vec<&'static str> {
    SETTINGS.iter().filter(|s| s.block == block).map(|s| s.spec.name).collect()
}

/// The setting `key` of `block`, with its name as the registry spells it, when its value is a component: that kind.
pub fn component_setting(block: &str, key: &str) -> Option<(&'static str, &'static str, Kind)> {
    SETTINGS
        .iter()
        .find(|s| s.block == block && s.spec.name == key)
        .and_then(|s| Some((s.block, s.spec.name, s.component?)))
}

/// The fields a sweep can vary through settings: `workers.byzantine`, `train.lr`, ...
pub fn sweep_fields() -> impl Iterator<Item = String> {
    let settings = SETTINGS.iter().flat_map(|s| s.spec.aliases.iter().map(|a| a.to_string()));
    // And the arguments of a component-valued setting's components: `workers.heterogeneity.alpha`.
    let arguments = SETTINGS.iter().filter_map(|s| Some((s, s.component?))).flat_map(|(s, kind)| {
        super::specs(kind)
            .into_iter()
            .flat_map(move |c| c.params.iter().map(move |p| format!("{}.{}.{}", s.block, s.spec.name, p.name)))
    });
    settings.chain(arguments)
}
