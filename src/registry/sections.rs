//! The sections of a scenario (`seeds`, `workers { ... }`, `attack sf`, ...),
//! each declared once with what it holds. The parser's messages, its
//! "starts a new section" hint, the checker's unknown-section error, `byz
//! explain workers` and completion read this list.
//!
//! A section of settings (`workers { honest 12 }`) needs no grammar of its
//! own: the grammar's `block` rule reads any `name { setting value ... }`, and
//! the checker looks the name up here. Its settings are declared in
//! `settings.rs` under the same block name.

use super::{Kind, Spec};

/// What a section holds, which says whether the grammar has a rule of its own for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// `name { setting value; ... }`: read by the grammar's generic `block`
    /// rule, its settings declared in `settings.rs`.
    Settings,
    /// Syntax of its own: a rule of the same name in `grammar/byz.pest`.
    Own,
}

/// One section of a scenario.
pub struct SectionEntry {
    /// Its keyword, summary and doc (with an example).
    pub spec: Spec,
    pub shape: Shape,
}

const fn section(name: &'static str, shape: Shape, summary: &'static str, doc: &'static str) -> SectionEntry {
    SectionEntry { spec: super::words::word(Kind::Section, name, summary, doc), shape }
}

/// Every section, in the order the parser's messages list them.
pub const SECTIONS: [SectionEntry; 13] = [
    section(
        "seeds",
        Shape::Own,
        "the random seeds each run is repeated with",
        "`seeds 1..=5`, `seeds [1, 7]` or `seeds 3` (default `1`); tables report the mean and a 95%\n\
         interval over them.",
    ),
    section(
        "data",
        Shape::Own,
        "the data set an image-classification run trains on",
        "`data mnist(\"data/mnist\")`, `fashion(..)` or `cifar10(..)`, with a `model`; `byz explain mnist`\n\
         tells where it is read from.",
    ),
    section(
        "model",
        Shape::Own,
        "the network a data task trains",
        "`model (1,28,28)-C(32)-R-M-L(10)` in the compact notation of 001 Table 2, or the name of a\n\
         declared model (`model cnn_mnist`).",
    ),
    section(
        "task",
        Shape::Own,
        "a task given by formulas instead of data",
        "`task landscape { init [1, 0]; honest a = sqnorm(theta - [1, 0]) }` or\n\
         `task mean_estimation { dim 2; mean [2, 2]; std 1 }`; each task's settings are its own block.",
    ),
    section(
        "workers",
        Shape::Settings,
        "how many honest and Byzantine workers, the f the rules are told, and how the data is split",
        "`workers { honest 12; byzantine 3; heterogeneity dirichlet(alpha: 0.1) }`; `declared 3`\n\
         tells the rules f = 3 while `byzantine` workers attack.",
    ),
    section(
        "train",
        Shape::Settings,
        "the server's training loop: steps, learning rate, batch, momentum, clipping, noise, ℓ2",
        "`train { steps 200; lr 0.1; batch 32; momentum 0.9; clip 2; l2 1e-4 }`.",
    ),
    section(
        "aggregate",
        Shape::Own,
        "the server's aggregation rule, after its pre-aggregators",
        "`aggregate cm`, `aggregate nnm |> krum`; `byz explain all` lists the rules.",
    ),
    section(
        "attack",
        Shape::Own,
        "what the Byzantine workers send",
        "`attack alie`, a schedule `attack { 0..100 none; 100..200 sf }`, or a lookahead\n\
         planner `attack plan { lookahead 8; choose [sf, alie] }`.",
    ),
    section(
        "report",
        Shape::Own,
        "what each run records besides the honest loss, and how often",
        "`report every 10 { accuracy }`; the items are `loss`, `accuracy`, `inner_product`\n\
         and `trajectory`.",
    ),
    section(
        "sweep",
        Shape::Own,
        "the values a scenario runs over, one run per combination and seed",
        "`sweep { attack in [sf, alie]; workers.byzantine in [1, 3] }`: the rule, the attack, any\n\
         `workers.KEY` or `train.KEY`, or a component's argument (`aggregate.trim`).",
    ),
    section(
        "table",
        Shape::Own,
        "a summary over seeds of a swept scenario",
        "`table { rows aggregate; columns attack; value max accuracy }`; `worst attack` reduces\n\
         each cell to the worst over attacks.",
    ),
    section(
        "expect",
        Shape::Own,
        "what every run must show, checked by `byz test`",
        "`expect { final accuracy > 0.9 }`.",
    ),
    section(
        "allow",
        Shape::Own,
        "warnings accepted as meant in this scenario and those extending it",
        "`allow degenerate, single_seed`.",
    ),
];

/// The section called `name`.
pub(crate) fn lookup(name: &str) -> Option<&'static SectionEntry> {
    SECTIONS.iter().find(|e| e.spec.name == name)
}

/// The sections of settings' names (`workers`, `train`), in order.
pub fn of_settings() -> impl Iterator<Item = &'static str> {
    SECTIONS.iter().filter(|e| e.shape == Shape::Settings).map(|e| e.spec.name)
}

/// Whether `name` is a section of settings (`workers`, `train`).
pub(crate) fn is_settings(name: &str) -> bool {
    lookup(name).is_some_and(|e| e.shape == Shape::Settings)
}

/// Every section's keyword, in order.
pub fn names() -> impl Iterator<Item = &'static str> {
    SECTIONS.iter().map(|e| e.spec.name)
}
