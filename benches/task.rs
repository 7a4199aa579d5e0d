//! Speed of the honest workers' side of one D-SGD step on MNIST (001 Table 2's
//! CNN and logistic regression, 12 honest workers, batch 32): every worker's
//! gradient from one candle graph, and the honest loss. Needs the digits
//! (`scripts/fetch-mnist`). Run with `cargo bench --bench task`; whole steps
//! are measured by `byz bench` (README, Speed).

use std::sync::OnceLock;

use byz::plan::{Layer, ModelPlan};
use byz::task::Task;
use byz::task::classify::Classification;
use byz::task::data::DataKind;
use byz::task::split::Heterogeneity;
use divan::Bencher;

fn main() {
    byz::alloc::keep_freed_memory();
    divan::main();
}

fn cnn() -> ModelPlan {
    use Layer::*;
    let layers = vec![
        Conv { out: 32 },
        Relu,
        Conv { out: 64 },
        MaxPool,
        Dropout { p: 0.25 },
        Linear { out: 128 },
        Relu,
        Dropout { p: 0.5 },
        Linear { out: 10 },
    ];
    ModelPlan { input: [1, 28, 28], layers }
}

fn task(model: &str) -> &'static (Classification, Vec<f32>) {
    static CNN: OnceLock<(Classification, Vec<f32>)> = OnceLock::new();
    static LOGREG: OnceLock<(Classification, Vec<f32>)> = OnceLock::new();
    let (cell, plan) = match model {
        "cnn" => (&CNN, cnn()),
        _ => (&LOGREG, ModelPlan { input: [1, 28, 28], layers: vec![Layer::Linear { out: 10 }] }),
    };
    cell.get_or_init(|| {
        let alpha = Heterogeneity::Dirichlet { alpha: 0.1 };
        let t = Classification::new(DataKind::Mnist, "data/mnist", &plan, 32, 1e-4, alpha, 12, 1)
            .expect("the MNIST digits are in data/mnist (scripts/fetch-mnist)");
        let theta = t.init();
        (t, theta)
    })
}

#[divan::bench(args = ["cnn", "logreg"], sample_count = 10, sample_size = 1)]
fn honest_gradients(bencher: Bencher, model: &str) {
    let (t, theta) = task(model);
    let mut step = 0;
    bencher.bench_local(|| {
        step += 1;
        t.honest_gradients(theta, step).expect("gradients")
    });
}

#[divan::bench(args = ["cnn", "logreg"], sample_count = 10, sample_size = 1)]
fn honest_loss(bencher: Bencher, model: &str) {
    let (t, theta) = task(model);
    let mut step = 0;
    bencher.bench_local(|| {
        step += 1;
        t.loss(theta, step).expect("loss")
    });
}
