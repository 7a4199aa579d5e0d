//! Speed of the honest workers' side of one D-SGD step on MNIST (001 Table 2's
//! CNN and logistic regression from `std.models`, 12 honest workers, batch 32):
//! every worker's gradient from one candle graph, and the honest loss. Needs
//! the digits (`scripts/fetch-mnist`). Run with `cargo bench --bench task`;
//! whole steps are measured by `byz bench` (README, Speed).

use std::sync::OnceLock;

use byz::task::Task;
use divan::Bencher;

fn main() {
    byz::alloc::keep_freed_memory();
    divan::main();
}

/// The task of a scenario with `model`, and its initial θ.
fn task(model: &str) -> &'static (Box<dyn Task>, Vec<f32>) {
    static CNN: OnceLock<(Box<dyn Task>, Vec<f32>)> = OnceLock::new();
    static LOGREG: OnceLock<(Box<dyn Task>, Vec<f32>)> = OnceLock::new();
    let cell = if model == "cnn_mnist" { &CNN } else { &LOGREG };
    cell.get_or_init(|| {
        let src = byz::check::SourceFile::new(
            "bench.byz",
            format!(
                "use std.models\nscenario s {{ data mnist(\"data/mnist\"); model {model} \
                 workers {{ honest 12; byzantine 3; heterogeneity dirichlet(alpha: 0.1) }} \
                 train {{ steps 1; batch 32; lr 0.1; l2 1e-4 }} aggregate cm }}"
            ),
        );
        let plans = byz::check::check_source(&src, None).expect("the benchmark scenario checks");
        let plan = &plans[0].runs[0];
        let t = byz::task::build(&plan.task, plan.workers.honest, plan.seed, None)
            .expect("the MNIST digits are in data/mnist (scripts/fetch-mnist)");
        let theta = t.init();
        (t, theta)
    })
}

#[divan::bench(args = ["cnn_mnist", "logreg"], sample_count = 10, sample_size = 1)]
fn honest_gradients(bencher: Bencher, model: &str) {
    let (t, theta) = task(model);
    let mut step = 0;
    bencher.bench_local(|| {
        step += 1;
        t.honest_gradients(theta, step).expect("gradients")
    });
}

#[divan::bench(args = ["cnn_mnist", "logreg"], sample_count = 10, sample_size = 1)]
fn honest_loss(bencher: Bencher, model: &str) {
    let (t, theta) = task(model);
    let mut step = 0;
    bencher.bench_local(|| {
        step += 1;
        t.loss(theta, step).expect("loss")
    });
}
