//! What the honest workers learn: the tasks written in a file (`task
//! landscape`, `task mean_estimation`), the data sets of a data task and the
//! layers of its model's compact notation (`(1,28,28)-C(32)-R-M-L(10)`).

use super::{Default, Kind, Param, ParamType, Spec};
use crate::plan::DataKind;

/// A word of the language with a summary and a doc, and these parameters.
const fn entry(
    kind: Kind,
    name: &'static str,
    params: &'static [Param],
    summary: &'static str,
    doc: &'static str,
) -> Spec {
    Spec { name, kind, aliases: &[], summary, doc, params, requires: None, degenerate: None, needs_labels: false }
}

/// The tasks a `task` section names (a data task is a `data` section and a `model` instead).
pub const TASKS: [Spec; 2] = [
    entry(
        Kind::Task,
        "landscape",
        &[],
        "a loss landscape written in the file",
        "`task landscape { init [1.75, -0.2]; honest w1 = sqnorm(theta - [1, 0]); ... }`: each honest\n\
         worker's loss is an expression of `theta`, one `honest NAME = EXPR` per worker (001 §4's\n\
         two wells are one), its gradient from autograd. Settings: `init` (required).",
    ),
    entry(
        Kind::Task,
        "mean_estimation",
        &[],
        "estimate the mean of a Gaussian",
        "Each honest worker draws a fresh x ~ N(μ, σ² I) per step and its loss is ½‖θ − x‖² (000 §5.2);\n\
         the reported loss is ½‖θ − μ‖². Settings: `dim`, `mean`, `std`, `init`.",
    ),
];

/// The data sets a `data` section names, each with the directory it reads.
pub const DATA_SETS: [(Spec, DataKind); 3] = [
    (
        entry(
            Kind::DataSet,
            "mnist",
            &[],
            "handwritten digits: 60,000 training and 10,000 test images of 28 × 28, 10 classes",
            "`data mnist(\"data/mnist\")` reads the four IDX files (optionally .gz) from that folder;\n\
             `scripts/fetch-mnist` fetches a real 10,000-digit subset.",
        ),
        DataKind::Mnist,
    ),
    (
        entry(
            Kind::DataSet,
            "fashion",
            &[],
            "Fashion-MNIST: 60,000 training and 10,000 test images of clothes, 28 × 28, 10 classes",
            "`data fashion(\"data/fashion\")` reads the IDX files, named as MNIST's (optionally .gz).",
        ),
        DataKind::Fashion,
    ),
    (
        entry(
            Kind::DataSet,
            "cifar10",
            &[],
            "CIFAR-10: 50,000 training and 10,000 test colour images of 32 × 32, 10 classes",
            "`data cifar10(\"data/cifar10\")` reads the binary version (cifar-10-batches-bin).",
        ),
        DataKind::Cifar10,
    ),
];

const fn count(doc: &'static str) -> Param {
    Param { name: "k", ty: ParamType::Int { min: 1 }, default: Default::Required, doc }
}

/// The layers of the compact model notation, in the order a message lists them.
pub const LAYERS: [Spec; 6] = [
    entry(
        Kind::Layer,
        "C",
        &[count("output channels, at most 65,536")],
        "3 × 3 convolution to k channels",
        "`C(32)`: a 3 × 3 convolution without padding, stride 1, with a bias per channel.",
    ),
    entry(Kind::Layer, "R", &[], "ReLU", "`R`: max(0, x), element by element."),
    entry(Kind::Layer, "M", &[], "2 × 2 max-pooling", "`M`: the largest of each 2 × 2 block, stride 2."),
    entry(
        Kind::Layer,
        "D",
        &[Param {
            name: "p",
            ty: ParamType::Share { zero: true },
            default: Default::Required,
            doc: "the probability of zeroing an activation, in [0, 1)",
        }],
        "dropout with probability p",
        "`D(0.25)`: zeroes each activation with probability p in training and scales the others by\n\
         1/(1 − p); nothing at evaluation.",
    ),
    entry(
        Kind::Layer,
        "L",
        &[count("outputs, at most 65,536")],
        "fully connected to k outputs",
        "`L(10)`: flattens its input and applies a weight matrix and a bias; the last layer has one\n\
         output per class.",
    ),
    entry(
        Kind::Layer,
        "B",
        &[],
        "batch normalisation",
        "`B`: normalises each channel by its mean and variance over the batch (also when evaluating: no\n         running averages are kept), then a learnt scale and shift.",
    ),
];

/// How a layer is written: `C(k)`, `R`.
pub(crate) fn layer_usage(spec: &Spec) -> String {
    match spec.params {
        [] => spec.name.to_string(),
        params => format!("{}({})", spec.name, params.iter().map(|p| p.name).collect::<Vec<_>>().join(", ")),
    }
}
