//! Each layer against candle's own ops on NCHW tensors (forward values and
//! autograd's gradients), per worker, on small random shapes.

use candle_core::{D, DType, Device, Tensor, Var};
use rand::{Rng, SeedableRng};

use super::*;

const DEV: Device = Device::Cpu;

fn random(n: usize, seed: u64) -> Vec<f32> {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    (0..n).map(|_| rng.random_range(-1.0..1.0)).collect()
}

fn max_diff(a: &Tensor, b: &Tensor) -> f32 {
    (a - b).unwrap().abs().unwrap().flatten_all().unwrap().max(D::Minus1).unwrap().to_scalar::<f32>().unwrap()
}

/// Worker w's slice [off, off + len) of the rows, as a tensor of `shape`.
fn row_part(rows: &[Vec<f32>], w: usize, off: usize, len: usize, shape: &[usize]) -> Tensor {
    Tensor::from_slice(&rows[w][off..off + len], shape, &DEV).unwrap()
}

#[test]
fn conv_matches_candle_forward_and_backward_with_relu_and_pooling_fused_or_not() {
    let (h, b, hh, ww, out) = (2, 2, 7, 6, 4);
    // One, three and 32 channels take im2col's fixed-size copies, two the general one.
    let cases = [1, 2, 3, 32]
        .into_iter()
        .flat_map(|c| [(false, false), (true, false), (false, true), (true, true)].map(|f| (c, f)));
    for (c, (relu, pool)) in cases {
        let x = Var::from_vec(random(h * b * hh * ww * c, 1), (h, b, hh, ww, c), &DEV).unwrap();
        let kernel = Var::from_vec(random(out * c * 9, 2), (1, out * c * 9), &DEV).unwrap();
        let bias = Var::from_vec(random(out, 3), (1, out), &DEV).unwrap();
        let grads = ParamGrads::new(h, 5 + out * c * 9 + out);
        let target = Some(Target { grads: grads.clone(), offset: 5 });
        let argmax = Default::default();
        let conv = Conv3x3 { workers: h, batch: b, h: hh, w: ww, c, out, relu, pool, argmax, grads: target };
        let y = x.as_tensor().apply_op3(kernel.as_tensor(), bias.as_tensor(), conv.clone()).unwrap();
        let weights = Tensor::from_vec(random(y.elem_count(), 4), y.dims(), &DEV).unwrap();
        let store = (&y * &weights).unwrap().sum_all().unwrap().backward().unwrap();
        let rows = grads.take().unwrap();
        let case = format!("{c} channels, relu {relu}, pool {pool}");
        // Without ∂images (a first layer), the same kernel and bias gradients.
        let untracked = ParamGrads::new(h, 5 + out * c * 9 + out);
        let target = Some(Target { grads: untracked.clone(), offset: 5 });
        let conv = Conv3x3 { argmax: Default::default(), grads: target, ..conv };
        let x_plain = x.as_tensor().detach();
        let y2 = x_plain.apply_op3(kernel.as_tensor(), bias.as_tensor(), conv).unwrap();
        (&y2 * &weights).unwrap().sum_all().unwrap().backward().unwrap();
        assert!(untracked.take().unwrap() == rows, "gradients without ∂images, {case}");
        for w in 0..h {
            // Reference: candle's conv2d on this worker's images in NCHW, then
            // relu, then our pooling (checked against candle's on its own).
            let xw = x.as_tensor().get(w).unwrap().permute((0, 3, 1, 2)).unwrap().contiguous().unwrap();
            let xw = Var::from_tensor(&xw).unwrap();
            let kw = Var::from_tensor(&kernel.as_tensor().reshape((out, c, 3, 3)).unwrap()).unwrap();
            let bw = Var::from_tensor(&bias.as_tensor().reshape((1, out, 1, 1)).unwrap()).unwrap();
            let mut r = xw.as_tensor().conv2d(kw.as_tensor(), 0, 1, 1, 1).unwrap();
            r = r.broadcast_add(bw.as_tensor()).unwrap();
            if relu {
                r = r.relu().unwrap();
            }
            let mut r = r.permute((0, 2, 3, 1)).unwrap().contiguous().unwrap();
            if pool {
                let argmax = Default::default();
                r = r.apply_op1(MaxPool2 { n: b, h: hh - 2, w: ww - 2, c: out, argmax }).unwrap();
            }
            assert!(max_diff(&r, &y.get(w).unwrap()) < 1e-5, "forward, {case}");
            let ref_store = (&r * &weights.get(w).unwrap()).unwrap().sum_all().unwrap().backward().unwrap();
            let dx_ref = ref_store.get(xw.as_tensor()).unwrap().permute((0, 2, 3, 1)).unwrap();
            let dx = store.get(x.as_tensor()).unwrap().get(w).unwrap();
            assert!(max_diff(&dx_ref, &dx) < 1e-5, "∂x, {case}");
            let dk_ref = ref_store.get(kw.as_tensor()).unwrap().flatten_all().unwrap();
            assert!(max_diff(&dk_ref, &row_part(&rows, w, 5, out * c * 9, &[out * c * 9])) < 1e-4, "∂W, {case}");
            let db_ref = ref_store.get(bw.as_tensor()).unwrap().flatten_all().unwrap();
            assert!(max_diff(&db_ref, &row_part(&rows, w, 5 + out * c * 9, out, &[out])) < 1e-4, "∂b, {case}");
        }
    }
}

#[test]
fn linear_matches_candle_forward_and_backward_on_images_and_vectors() {
    let (h, b, inputs, out) = (3, 4, 12, 5);
    for (shape, relu) in [(vec![h, b, inputs], false), (vec![h, b, 2, 3, 2], true)] {
        let x = Var::from_vec(random(h * b * inputs, 5), shape.as_slice(), &DEV).unwrap();
        let weight = Var::from_vec(random(out * inputs, 6), (1, out * inputs), &DEV).unwrap();
        let bias = Var::from_vec(random(out, 7), (1, out), &DEV).unwrap();
        let grads = ParamGrads::new(h, out * inputs + out);
        let layer =
            Linear { workers: h, batch: b, inputs, out, relu, grads: Some(Target { grads: grads.clone(), offset: 0 }) };
        let y = x.as_tensor().apply_op3(weight.as_tensor(), bias.as_tensor(), layer).unwrap();
        let weights = Tensor::from_vec(random(y.elem_count(), 8), y.dims(), &DEV).unwrap();
        let store = (&y * &weights).unwrap().sum_all().unwrap().backward().unwrap();
        let rows = grads.take().unwrap();
        let dx_all = store.get(x.as_tensor()).unwrap().reshape((h, b, inputs)).unwrap();
        for w in 0..h {
            let xw = Var::from_tensor(&x.as_tensor().get(w).unwrap().reshape((b, inputs)).unwrap()).unwrap();
            let ww = Var::from_tensor(&weight.as_tensor().reshape((out, inputs)).unwrap()).unwrap();
            let bw = Var::from_tensor(&bias.as_tensor().reshape(out).unwrap()).unwrap();
            let mut r =
                xw.as_tensor().matmul(&ww.as_tensor().t().unwrap()).unwrap().broadcast_add(bw.as_tensor()).unwrap();
            if relu {
                r = r.relu().unwrap();
            }
            assert!(max_diff(&r, &y.get(w).unwrap()) < 1e-5);
            let ref_store = (&r * &weights.get(w).unwrap()).unwrap().sum_all().unwrap().backward().unwrap();
            assert!(max_diff(ref_store.get(xw.as_tensor()).unwrap(), &dx_all.get(w).unwrap()) < 1e-5);
            let dw_ref = ref_store.get(ww.as_tensor()).unwrap().flatten_all().unwrap();
            assert!(max_diff(&dw_ref, &row_part(&rows, w, 0, out * inputs, &[out * inputs])) < 1e-5);
            assert!(
                max_diff(ref_store.get(bw.as_tensor()).unwrap(), &row_part(&rows, w, out * inputs, out, &[out])) < 1e-5
            );
        }
    }
}

#[test]
fn max_pool_matches_candle_routes_gradients_to_the_maximum_and_drops_an_odd_last_row() {
    let (n, hh, ww, c) = (3, 4, 6, 2);
    let x = Var::from_vec(random(n * hh * ww * c, 9), (n, hh, ww, c), &DEV).unwrap();
    let y = x.as_tensor().apply_op1(MaxPool2 { n, h: hh, w: ww, c, argmax: Default::default() }).unwrap();
    let weights = Tensor::from_vec(random(y.elem_count(), 10), y.dims(), &DEV).unwrap();
    let dx = (&y * &weights).unwrap().sum_all().unwrap().backward().unwrap().get(x.as_tensor()).unwrap().clone();
    let xr = x.as_tensor().permute((0, 3, 1, 2)).unwrap().contiguous().unwrap();
    let r = xr.max_pool2d(2).unwrap().permute((0, 2, 3, 1)).unwrap();
    assert_eq!(max_diff(&r, &y), 0.0);
    // ∂x by hand: each output's weight at its window's largest input (candle's
    // own max_pool2d backward divides by the window's area).
    let (xs, ws) = (
        x.as_tensor().flatten_all().unwrap().to_vec1::<f32>().unwrap(),
        weights.flatten_all().unwrap().to_vec1::<f32>().unwrap(),
    );
    let mut want = vec![0f32; xs.len()];
    let at = |i: usize, yy: usize, xx: usize, ch: usize| ((i * hh + yy) * ww + xx) * c + ch;
    for i in 0..n {
        for (yy, xx, ch) in (0..hh / 2).flat_map(|a| (0..ww / 2).flat_map(move |b| (0..c).map(move |ch| (a, b, ch)))) {
            let cells = [
                at(i, 2 * yy, 2 * xx, ch),
                at(i, 2 * yy, 2 * xx + 1, ch),
                at(i, 2 * yy + 1, 2 * xx, ch),
                at(i, 2 * yy + 1, 2 * xx + 1, ch),
            ];
            let best = cells.into_iter().fold(cells[0], |b, k| if xs[k] > xs[b] { k } else { b });
            want[best] = ws[((i * (hh / 2) + yy) * (ww / 2) + xx) * c + ch];
        }
    }
    assert_eq!(dx.flatten_all().unwrap().to_vec1::<f32>().unwrap(), want);
    // An odd last row and column are dropped and get no gradient (candle's backward
    // does not take odd sizes, so this is checked directly).
    let x = Var::from_vec(random(5 * 5 * 2, 11), (1, 5, 5, 2), &DEV).unwrap();
    let y = x.as_tensor().apply_op1(MaxPool2 { n: 1, h: 5, w: 5, c: 2, argmax: Default::default() }).unwrap();
    assert_eq!(y.dims(), &[1, 2, 2, 2]);
    let dx = y.sum_all().unwrap().backward().unwrap().get(x.as_tensor()).unwrap().clone();
    let last_row = dx.narrow(1, 4, 1).unwrap().abs().unwrap().sum_all().unwrap().to_scalar::<f32>().unwrap();
    let last_col = dx.narrow(2, 4, 1).unwrap().abs().unwrap().sum_all().unwrap().to_scalar::<f32>().unwrap();
    assert_eq!((last_row, last_col), (0.0, 0.0));
    assert_eq!(dx.sum_all().unwrap().to_scalar::<f32>().unwrap(), 8.0);
}

#[test]
fn max_pool_passes_nan_on() {
    let x = Tensor::from_vec(vec![1.0, f32::NAN, 3.0, 2.0], (1, 2, 2, 1), &DEV).unwrap();
    let y = x
        .apply_op1(MaxPool2 { n: 1, h: 2, w: 2, c: 1, argmax: Default::default() })
        .unwrap()
        .flatten_all()
        .unwrap()
        .to_vec1::<f32>()
        .unwrap();
    assert!(y[0].is_nan());
}

/// A large layer's forward pass reads Wᵀ from a contiguous copy (linear.rs):
/// the same bits as the product through W's transposed view, piece by piece,
/// also for the pieces gemm gives to other kernels (a last piece of one row;
/// pieces of at most 256 entries).
#[test]
fn large_linear_layers_keep_the_bits() {
    use super::gemm::{Mat, matmul};
    // All above `SMALL_WORK`: 1,100 inputs are three of gemm's depth blocks;
    // 65 rows end in a piece of one; 8 outputs make pieces of 256 entries.
    for (workers, batch, inputs, out) in [(2, 32, 1100, 60), (1, 65, 1100, 60), (1, 65, 8100, 8), (3, 11, 1100, 128)] {
        assert!(!small(workers * batch * inputs * out));
        let (x, w, b) = (random(workers * batch * inputs, 1), random(out * inputs, 2), random(out, 3));
        let op = Linear { workers, batch, inputs, out, relu: true, grads: None };
        let t = |v: &[f32], shape: &[usize]| Tensor::from_slice(v, shape, &DEV).unwrap();
        let y = t(&x, &[workers, batch, inputs]).apply_op3(&t(&w, &[out * inputs]), &t(&b, &[out]), op).unwrap();
        let y: Vec<f32> = y.flatten_all().unwrap().to_vec1().unwrap();
        let mut want = vec![0f32; workers * batch * out];
        for (piece, xs) in want.chunks_mut(32 * out).zip(x.chunks(32 * inputs)) {
            piece.chunks_mut(out).for_each(|r| r.copy_from_slice(&b));
            matmul(piece, Mat::new(xs, piece.len() / out, inputs), Mat::new(&w, out, inputs).t(), true);
        }
        super::relu::relu_in_place(&mut want);
        let same = y.iter().zip(&want).all(|(a, b)| a.to_bits() == b.to_bits());
        assert!(same, "the forward pass changed: {workers} × {batch} × {inputs} → {out}");
    }
}

#[test]
fn conv_pair_gives_the_bits_of_the_two_layers() {
    // Odd sizes after each layer (7 × 6, then 5 × 4), and two numbers
    // between the layers' rows.
    let (h, b, hh, ww, c, mid, out) = (2, 3, 9, 8, 2, 3, 4);
    let (n1, n2) = (mid * c * 9, out * mid * 9);
    let (off1, off2) = (5, 5 + n1 + mid + 2);
    // (ReLU, pooling, dropout) on the second layer; dropout only without a ReLU.
    let flags = [(false, false, false), (true, false, false), (false, true, false), (true, true, false)];
    let flags = flags.into_iter().chain([(false, false, true), (false, true, true)]);
    for (tracked, (relu, pool, drop)) in [false, true].into_iter().flat_map(|t| flags.clone().map(move |f| (t, f))) {
        let case = format!("∂images {tracked}, relu {relu}, pool {pool}, dropout {drop}");
        let (ho, wo) = if pool { ((hh - 4) / 2, (ww - 4) / 2) } else { (hh - 4, ww - 4) };
        // Dropped entries (0) where the gradient is negative too, so that 0 · g = −0 is met.
        let mask =
            Mask(Arc::new(random(h * b * ho * wo * out, 7).iter().map(|&r| if r < 0.0 { 0.0 } else { 1.6 }).collect()));
        let x = Var::from_vec(random(h * b * hh * ww * c, 1), (h, b, hh, ww, c), &DEV).unwrap();
        let x = if tracked { x.as_tensor().clone() } else { x.as_tensor().detach() };
        let [w1, b1, w2, b2] = [(n1, 2), (mid, 3), (n2, 4), (out, 5)]
            .map(|(n, seed)| Var::from_vec(random(n, seed), (1, n), &DEV).unwrap());
        let conv = |off: usize, grads: &Arc<ParamGrads>, (hh, ww, c, out): (usize, usize, usize, usize), fused| {
            let (relu, pool) = fused;
            let target = Some(Target { grads: grads.clone(), offset: off });
            Conv3x3 {
                workers: h,
                batch: b,
                h: hh,
                w: ww,
                c,
                out,
                relu,
                pool,
                argmax: Default::default(),
                grads: target,
            }
        };
        let run = |pair: bool| {
            let grads = ParamGrads::new(h, off2 + n2 + out + 3);
            let first = conv(off1, &grads, (hh, ww, c, mid), (true, false));
            let second = conv(off2, &grads, (hh - 2, ww - 2, mid, out), (relu, pool));
            let y = if pair {
                let values = |v: &Var| v.as_tensor().flatten_all().unwrap().to_vec1::<f32>().unwrap();
                let (k1, k2, c1, c2) = (values(&w1), values(&w2), values(&b1), values(&b2));
                let pair = ConvPair::new(first, second, [&k1, &k2], [&c1, &c2]).unwrap();
                let pair = if drop { pair.with_dropout(mask.clone()).unwrap() } else { pair };
                x.apply_op3(w1.as_tensor(), w2.as_tensor(), pair).unwrap()
            } else {
                let y1 = x.apply_op3(w1.as_tensor(), b1.as_tensor(), first).unwrap();
                let y2 = y1.apply_op3(w2.as_tensor(), b2.as_tensor(), second).unwrap();
                if drop { y2.apply_op1(mask.clone()).unwrap() } else { y2 }
            };
            let weights = Tensor::from_vec(random(y.elem_count(), 6), y.dims(), &DEV).unwrap();
            let store = (&y * &weights).unwrap().sum_all().unwrap().backward().unwrap();
            let dx = store.get(&x).map(|d| d.flatten_all().unwrap().to_vec1::<f32>().unwrap());
            (y.flatten_all().unwrap().to_vec1::<f32>().unwrap(), grads.take().unwrap(), dx)
        };
        let (apart, together) = (run(false), run(true));
        let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&apart.0), bits(&together.0), "output, {case}");
        for (w, (a, t)) in apart.1.iter().zip(&together.1).enumerate() {
            assert_eq!(bits(a), bits(t), "worker {w}'s gradient row, {case}");
            assert!(a[off1..off1 + n1].iter().any(|&g| g != 0.0), "the first layer's ∂kernels, {case}");
        }
        assert_eq!(apart.2.is_some(), tracked, "∂images, {case}");
        assert_eq!(apart.2.map(|d| bits(&d)), together.2.map(|d| bits(&d)), "∂images, {case}");
    }
}

#[test]
fn pooling_a_one_pixel_wide_output_is_an_error_not_a_panic() {
    let x = Tensor::from_vec(random(2 * 3 * 5, 1), (1, 2, 3, 5, 1), &DEV).unwrap();
    let (w, bias) =
        (Tensor::from_vec(random(9, 2), (1, 9), &DEV).unwrap(), Tensor::zeros((1, 1), DType::F32, &DEV).unwrap());
    let conv = Conv3x3 {
        workers: 1,
        batch: 2,
        h: 3,
        w: 5,
        c: 1,
        out: 1,
        relu: false,
        pool: true,
        argmax: Default::default(),
        grads: None,
    };
    let err = x.apply_op3(&w, &bias, conv).unwrap_err().to_string();
    assert!(err.contains("pooling needs an output of at least 2 × 2"), "{err}");
}
