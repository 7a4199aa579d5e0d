//! Speed of the robust-aggregation pipelines on n = 15 float32 vectors, f = 3,
//! at the sizes of 001 Table 2: the MNIST CNN (d = 1,199,882) and MNIST
//! logistic regression (d = 7,850). Run with `cargo bench --bench aggregate`;
//! the measured table is in benches/README.md.

use std::sync::OnceLock;

use byz::aggregate::{Aggregator, Ctx};
use byz::cli::aggregate as cli;
use divan::Bencher;
use rand::SeedableRng;
use rand_distr::{Distribution, StandardNormal};

const N: usize = 15;
const F: usize = 3;
const DIMS: [usize; 2] = [7_850, 1_199_882];

fn main() {
    divan::main();
}

/// 12 honest N(0, 1) vectors and 3 Byzantine ones at 10 + N(0, 1), per dimension.
fn vectors(d: usize) -> &'static [Vec<f32>] {
    static SMALL: OnceLock<Vec<Vec<f32>>> = OnceLock::new();
    static LARGE: OnceLock<Vec<Vec<f32>>> = OnceLock::new();
    let cell = if d == DIMS[0] { &SMALL } else { &LARGE };
    cell.get_or_init(|| {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
        (0..N)
            .map(|i| {
                let shift = if i < N - F { 0.0 } else { 10.0 };
                (0..d).map(|_| shift + Distribution::<f32>::sample(&StandardNormal, &mut rng)).collect()
            })
            .collect()
    })
}

fn run(bencher: Bencher, pipeline: &str, d: usize) {
    let v = vectors(d);
    let plan = cli::pipeline(pipeline, N, F, d).expect("the benchmarked pipelines check");
    let aggregator = Aggregator::build(&plan);
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0);
    // The server's own vector (`fltrust`): an honest-like one.
    let server = &v[0];
    bencher.bench_local(|| {
        aggregator.aggregate(divan::black_box(v), &mut Ctx { f: F, rng: &mut rng, previous: &[], norms: &[], server })
    });
}

#[divan::bench(args = DIMS, sample_count = 20)]
fn cm(bencher: Bencher, d: usize) {
    run(bencher, "cm", d);
}

#[divan::bench(args = DIMS, sample_count = 20)]
fn tm(bencher: Bencher, d: usize) {
    run(bencher, "tm", d);
}

#[divan::bench(args = DIMS, sample_count = 20)]
fn krum(bencher: Bencher, d: usize) {
    run(bencher, "krum", d);
}

#[divan::bench(args = DIMS, sample_count = 20)]
fn gm_8_iterations(bencher: Bencher, d: usize) {
    run(bencher, "gm(iters: 8, tol: 0)", d);
}

#[divan::bench(args = DIMS, sample_count = 20)]
fn nnm_cm(bencher: Bencher, d: usize) {
    run(bencher, "nnm |> cm", d);
}

#[divan::bench(args = DIMS, sample_count = 10)]
fn meamed(bencher: Bencher, d: usize) {
    run(bencher, "meamed", d);
}

#[divan::bench(args = DIMS, sample_count = 10)]
fn bulyan(bencher: Bencher, d: usize) {
    run(bencher, "bulyan", d);
}

#[divan::bench(args = DIMS, sample_count = 10)]
fn mda(bencher: Bencher, d: usize) {
    run(bencher, "mda", d);
}

#[divan::bench(args = DIMS, sample_count = 10)]
fn arc_cc(bencher: Bencher, d: usize) {
    run(bencher, "arc |> cc", d);
}

#[divan::bench(args = DIMS, sample_count = 10)]
fn dnc(bencher: Bencher, d: usize) {
    run(bencher, "dnc", d);
}

#[divan::bench(args = DIMS, sample_count = 10)]
fn caf(bencher: Bencher, d: usize) {
    run(bencher, "caf", d);
}

#[divan::bench(args = DIMS, sample_count = 10)]
fn smea(bencher: Bencher, d: usize) {
    run(bencher, "smea", d);
}

#[divan::bench(args = DIMS, sample_count = 10)]
fn clipped_clustering(bencher: Bencher, d: usize) {
    run(bencher, "clipped_clustering", d);
}

#[divan::bench(args = DIMS, sample_count = 10)]
fn signguard(bencher: Bencher, d: usize) {
    run(bencher, "signguard", d);
}

#[divan::bench(args = DIMS, sample_count = 10)]
fn fltrust(bencher: Bencher, d: usize) {
    run(bencher, "fltrust", d);
}

#[divan::bench(args = DIMS, sample_count = 10)]
fn scc(bencher: Bencher, d: usize) {
    run(bencher, "scc", d);
}
