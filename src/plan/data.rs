//! The data a classification task names: which data set, and how it is
//! split among the honest workers. Plain data; `task::data` loads it.

use serde::Serialize;

/// A data set byz can load.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DataKind {
    Mnist,
    Fashion,
    Cifar10,
}

impl DataKind {
    /// The files a directory must hold.
    pub fn files(self) -> &'static [&'static str] {
        match self {
            DataKind::Mnist | DataKind::Fashion => &[
                "train-images-idx3-ubyte",
                "train-labels-idx1-ubyte",
                "t10k-images-idx3-ubyte",
                "t10k-labels-idx1-ubyte",
            ],
            DataKind::Cifar10 => &[
                "data_batch_1.bin",
                "data_batch_2.bin",
                "data_batch_3.bin",
                "data_batch_4.bin",
                "data_batch_5.bin",
                "test_batch.bin",
            ],
        }
    }

    /// Training and test images in the full data set (a subset holds fewer):
    /// an upper bound of what `load` keeps in memory.
    pub(crate) fn full_size(self) -> (usize, usize) {
        match self {
            DataKind::Mnist | DataKind::Fashion => (60_000, 10_000),
            DataKind::Cifar10 => (50_000, 10_000),
        }
    }

    /// How to get the files.
    pub(crate) fn how_to_get(self) -> &'static str {
        match self {
            DataKind::Mnist => {
                "run `scripts/fetch-mnist` (a real 10,000-digit subset), or put the full MNIST IDX files there"
            }
            DataKind::Fashion => "put the Fashion-MNIST IDX files there (same names as MNIST's, optionally .gz)",
            DataKind::Cifar10 => "put the CIFAR-10 binary version there (cifar-10-batches-bin)",
        }
    }

    /// Per-channel mean and standard deviation used for normalisation.
    pub(crate) fn normalisation(self) -> (&'static [f32], &'static [f32]) {
        match self {
            DataKind::Mnist => (&[0.1307], &[0.3081]),
            DataKind::Fashion => (&[0.2860], &[0.3530]),
            DataKind::Cifar10 => (&[0.4914, 0.4822, 0.4465], &[0.2470, 0.2435, 0.2616]),
        }
    }
}

/// The server's clean root data set, for rules that weigh the vectors
/// against the server's own (`fltrust`): how many examples, drawn from the
/// training data as `split` would deal it to one more worker (`iid`: uniformly).
#[derive(Debug, Clone, PartialEq)]
pub struct RootData {
    pub size: usize,
    pub split: super::ComponentPlan,
}

/// How the training data is split among the honest workers.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Heterogeneity {
    /// A uniform shuffle dealt round-robin.
    Iid,
    /// Per class, proportions over the workers drawn from Dir(α·1) (Hsu et al. 2019; 001 §5.1).
    Dirichlet { alpha: f64 },
    /// Sorted by label and cut into equal contiguous shards.
    Extreme,
    /// Class c keeps a fraction β^c of its samples, then an iid split (a long-tailed
    /// class distribution, after Karimireddy et al. 2022; used in 000 §5.4).
    Longtail { beta: f64 },
    /// A share γ of the data (a random sample) dealt iid, the rest sorted by
    /// label and cut into contiguous shards (ByzFL's `gamma_similarity_niid`).
    GammaSimilarity { gamma: f64 },
}
