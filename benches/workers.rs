//! How the server's aggregation grows with the number of workers: n = 15,
//! 120 and 1,200 vectors (f = n/5) of MNIST logistic regression's d = 7,850,
//! under the rules of `scenarios/bench/workers.byz`. Run with
//! `cargo bench --bench workers`; the table is in benches/README.md.

use byz::aggregate::{Aggregator, Ctx};
use byz::cli::aggregate as cli;
use divan::Bencher;
use rand::SeedableRng;
use rand_distr::{Distribution, StandardNormal};

const D: usize = 7_850;
const WORKERS: [usize; 3] = [15, 120, 1_200];

fn main() {
    divan::main();
}

/// n − f honest N(0, 1) vectors and f Byzantine ones at 10 + N(0, 1).
fn vectors(n: usize) -> Vec<Vec<f32>> {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
    (0..n)
        .map(|i| {
            let shift = if i < n - n / 5 { 0.0 } else { 10.0 };
            (0..D).map(|_| shift + Distribution::<f32>::sample(&StandardNormal, &mut rng)).collect()
        })
        .collect()
}

fn run(bencher: Bencher, pipeline: &str, n: usize) {
    let v = vectors(n);
    let f = n / 5;
    let plan = cli::pipeline(pipeline, n, f, D).expect("the benchmarked pipelines check");
    let aggregator = Aggregator::build(&plan);
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0);
    let server = v[0].clone();
    bencher.bench_local(|| {
        aggregator
            .aggregate(divan::black_box(&v), &mut Ctx { f, rng: &mut rng, previous: &[], norms: &[], server: &server })
    });
}

#[divan::bench(args = WORKERS, sample_count = 10)]
fn cm(bencher: Bencher, n: usize) {
    run(bencher, "cm", n);
}

#[divan::bench(args = WORKERS, sample_count = 10)]
fn krum(bencher: Bencher, n: usize) {
    run(bencher, "krum", n);
}

#[divan::bench(args = WORKERS, sample_count = 10)]
fn nnm_cm(bencher: Bencher, n: usize) {
    run(bencher, "nnm |> cm", n);
}

#[divan::bench(args = WORKERS, sample_count = 10)]
fn tm(bencher: Bencher, n: usize) {
    run(bencher, "tm", n);
}
