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

/// The honest loss at one step again and again, as a planning adversary
/// evaluates its candidates (the batches are drawn once).
#[divan::bench(args = ["logreg"], sample_count = 50, sample_size = 20)]
fn honest_loss_again(bencher: Bencher, model: &str) {
    let (t, theta) = task(model);
    t.loss(theta, 1).expect("loss");
    bencher.bench_local(|| t.loss(theta, 1).expect("loss"));
}

/// Each layer of the MNIST CNN at its shapes in a step (12 workers × 32
/// digits), forward and backward as the step runs it: `conv1` (1 → 32
/// channels, ReLU; its input needs no gradient), `conv2` (32 → 64, 2 × 2
/// pooling fused), `conv_pair` (the two as the step runs them, image by
/// image: `ConvPair`), `fc1` (9,216 → 128, ReLU), `fc2` (128 → 10). The time
/// includes summing the output and seeding its gradient (candle's backward).
/// benches/README.md turns the times into GFLOP/s.
#[divan::bench(args = ["conv1", "conv2", "conv_pair", "fc1", "fc2"], sample_count = 10, sample_size = 1)]
fn cnn_layer(bencher: Bencher, layer: &str) {
    use byz::task::layers::{Conv3x3, ConvPair, Linear, ParamGrads, Target};
    use candle_core::{Device, Tensor, Var};
    let (h, b) = (12, 32);
    let numbers =
        |n: usize| Tensor::from_vec((0..n).map(|i| ((i * 7919) % 1000) as f32 * 2e-3 - 1.0).collect(), n, &Device::Cpu);
    let (input, params, out): (Vec<usize>, usize, usize) = match layer {
        "conv1" => (vec![h, b, 28, 28, 1], 32 * 9, 32),
        // Both layers' kernels and biases: [w1 | b1 | w2] and b2.
        "conv_pair" => (vec![h, b, 28, 28, 1], 32 * 9 + 32 + 64 * 32 * 9, 64),
        "conv2" => (vec![h, b, 26, 26, 32], 64 * 32 * 9, 64),
        "fc1" => (vec![h, b, 9216], 128 * 9216, 128),
        _ => (vec![h, b, 128], 10 * 128, 10),
    };
    let x = numbers(input.iter().product()).and_then(|t| t.reshape(input.as_slice())).expect("the input");
    // The first layer's input is the data: no gradient.
    let first = matches!(layer, "conv1" | "conv_pair");
    let x = if first { x } else { Var::from_tensor(&x).expect("a variable").as_tensor().clone() };
    let w = Var::from_tensor(&numbers(params).and_then(|t| t.reshape((1, params))).expect("weights")).expect("var");
    let bias = Var::from_tensor(&numbers(out).and_then(|t| t.reshape((1, out))).expect("biases")).expect("var");
    bencher.bench_local(|| {
        // Fresh rows each time, as each step has (`take` empties them).
        let grads = ParamGrads::new(h, params + out);
        let target = || Some(Target { grads: grads.clone(), offset: 0 });
        let y = if layer == "conv_pair" {
            let conv = |offset, (hh, c, out), (relu, pool)| Conv3x3 {
                workers: h,
                batch: b,
                h: hh,
                w: hh,
                c,
                out,
                relu,
                pool,
                argmax: Default::default(),
                grads: Some(Target { grads: grads.clone(), offset }),
            };
            let (first, second) = (conv(0, (28, 1, 32), (true, false)), conv(320, (26, 32, 64), (false, true)));
            let values = w.as_tensor().flatten_all().and_then(|t| t.to_vec1::<f32>()).expect("the parameters");
            let b2 = bias.as_tensor().flatten_all().and_then(|t| t.to_vec1::<f32>()).expect("the biases");
            let (w1, rest) = values.split_at(288);
            let (b1, w2) = rest.split_at(32);
            let pair = ConvPair::new(first, second, [w1, w2], [b1, &b2]).expect("the pair");
            // Each kernel block a variable of its own, as in a step.
            let block = |at, len| w.as_tensor().narrow(1, at, len).and_then(|t| Var::from_tensor(&t)).expect("kernels");
            x.apply_op3(block(0, 288).as_tensor(), block(320, 64 * 32 * 9).as_tensor(), pair)
        } else if layer.starts_with("conv") {
            let (hh, c) = (input[2], input[4]);
            let op = Conv3x3 {
                workers: h,
                batch: b,
                h: hh,
                w: hh,
                c,
                out,
                relu: layer == "conv1",
                pool: layer == "conv2",
                argmax: Default::default(),
                grads: target(),
            };
            x.apply_op3(w.as_tensor(), bias.as_tensor(), op)
        } else {
            let op = Linear { workers: h, batch: b, inputs: input[2], out, relu: layer == "fc1", grads: target() };
            x.apply_op3(w.as_tensor(), bias.as_tensor(), op)
        }
        .expect("the layer runs");
        y.sum_all().and_then(|s| s.backward()).expect("the backward pass");
        grads.take().expect("the gradients")
    });
}

/// The matrix product the layers are built on, 1,024³ in f32 (2.15 GFLOP):
/// the compute bound benches/README.md compares the layers with.
#[divan::bench(sample_count = 10, sample_size = 1)]
fn matmul_1024(bencher: Bencher) {
    use candle_core::{Device, Tensor};
    let m =
        Tensor::from_vec((0..1 << 20).map(|i| ((i * 7919) % 1000) as f32 * 1e-3).collect(), (1024, 1024), &Device::Cpu)
            .expect("a matrix");
    bencher.bench_local(|| m.matmul(&m).expect("the product"));
}
