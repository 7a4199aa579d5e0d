//! Products with ten outputs (the classes of MNIST, Fashion-MNIST and
//! CIFAR-10) for a linear model's honest loss, which a planning adversary
//! evaluates dozens of times per step on the same batch. A general matrix
//! product packs the whole batch every time (100 µs for MNIST logistic
//! regression here); this kernel reads the rows where they lie, two rows at a
//! time against the ten weight rows, with twenty 16-lane sums in registers
//! (45 µs).

/// Outputs of the kernel.
pub const OUT: usize = 10;
const LANES: usize = 16;
/// The ten weight rows (31 KB for MNIST) and a pair of batch rows overflow a
/// 32 KB L1 cache: inputs are taken CHUNK at a time for every pair of rows,
/// each pair's twenty sums kept between chunks (MNIST's honest loss, 384
/// digits, on AMD EPYC: 118.6 → 90.1 µs, `honest_loss_again`). Every sum sees the same products in
/// the same order as in one pass, so the bits do not change (tested).
const CHUNK: usize = 256;

/// y (rows × 10) = x·wᵀ + bias, x row-major (rows × inputs), w in PyTorch's (10, inputs) layout.
pub(crate) fn product(x: &[f32], rows: usize, w: &[f32], bias: &[f32], y: &mut [f32]) {
    let inputs = x.len() / rows.max(1);
    assert!(
        x.len() == rows * inputs && w.len() == OUT * inputs && bias.len() == OUT && y.len() == rows * OUT,
        "product: shapes"
    );
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx512f") && std::arch::is_x86_feature_detected!("fma") {
        // SAFETY: the CPU has AVX-512F and FMA, checked just above.
        return unsafe { product_avx512(x, rows, inputs, w, bias, y, CHUNK) };
    }
    product_portable(x, inputs, w, bias, y)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,fma")]
fn product_avx512(x: &[f32], rows: usize, inputs: usize, w: &[f32], bias: &[f32], y: &mut [f32], chunk: usize) {
    use std::arch::x86_64::{
        __m512, _mm512_fmadd_ps, _mm512_loadu_ps, _mm512_maskz_loadu_ps, _mm512_reduce_add_ps, _mm512_setzero_ps,
    };
    let full = inputs / LANES * LANES;
    let tail = ((1u32 << (inputs - full)) - 1) as u16;
    // SAFETY (both): `at + 16 ≤ full ≤ len` for whole loads; the tail's mask
    // reads only the inputs − full numbers left in the row.
    let whole = |p: *const f32, at: usize| -> __m512 { unsafe { _mm512_loadu_ps(p.add(at)) } };
    let part = |p: *const f32| -> __m512 { unsafe { _mm512_maskz_loadu_ps(tail, p.add(full)) } };
    let wrows: [*const f32; OUT] = std::array::from_fn(|o| w[o * inputs..(o + 1) * inputs].as_ptr());
    let pair_rows = |r: usize| {
        let pair = (rows - r).min(2);
        (pair, x[r * inputs..(r + 1) * inputs].as_ptr(), x[(r + pair - 1) * inputs..(r + pair) * inputs].as_ptr())
    };
    debug_assert!(chunk > 0 && chunk.is_multiple_of(LANES), "whole 16-lane loads per chunk");
    let mut sums = vec![([_mm512_setzero_ps(); OUT], [_mm512_setzero_ps(); OUT]); rows.div_ceil(2)];
    for start in (0..full).step_by(chunk) {
        let end = (start + chunk).min(full);
        for (p, (a0, a1)) in sums.iter_mut().enumerate() {
            let (_, x0, x1) = pair_rows(2 * p);
            let (mut b0, mut b1) = (*a0, *a1);
            let mut k = start;
            while k < end {
                let (v0, v1) = (whole(x0, k), whole(x1, k));
                for o in 0..OUT {
                    let wv = whole(wrows[o], k);
                    b0[o] = _mm512_fmadd_ps(v0, wv, b0[o]);
                    b1[o] = _mm512_fmadd_ps(v1, wv, b1[o]);
                }
                k += LANES;
            }
            (*a0, *a1) = (b0, b1);
        }
    }
    for (p, (mut a0, mut a1)) in sums.into_iter().enumerate() {
        let r = 2 * p;
        let (pair, x0, x1) = pair_rows(r);
        if full < inputs {
            let (v0, v1) = (part(x0), part(x1));
            for o in 0..OUT {
                let wv = part(wrows[o]);
                a0[o] = _mm512_fmadd_ps(v0, wv, a0[o]);
                a1[o] = _mm512_fmadd_ps(v1, wv, a1[o]);
            }
        }
        for o in 0..OUT {
            y[r * OUT + o] = _mm512_reduce_add_ps(a0[o]) + bias[o];
            if pair == 2 {
                y[(r + 1) * OUT + o] = _mm512_reduce_add_ps(a1[o]) + bias[o];
            }
        }
    }
}

/// The same products without SIMD registers (other CPUs).
fn product_portable(x: &[f32], inputs: usize, w: &[f32], bias: &[f32], y: &mut [f32]) {
    for (row, out) in x.chunks_exact(inputs.max(1)).zip(y.chunks_exact_mut(OUT)) {
        for (o, out) in out.iter_mut().enumerate() {
            *out = bias[o] + row.iter().zip(&w[o * inputs..(o + 1) * inputs]).map(|(a, b)| a * b).sum::<f32>();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(target_arch = "x86_64")]
    #[test]
    fn chunks_of_inputs_do_not_change_the_bits() {
        if !(std::arch::is_x86_feature_detected!("avx512f") && std::arch::is_x86_feature_detected!("fma")) {
            eprintln!("skipped: this CPU has no AVX-512");
            return;
        }
        let (rows, inputs) = (37, 785);
        let x: Vec<f32> = (0..rows * inputs).map(|i| ((i * 7) % 13) as f32 * 0.37 - 1.9).collect();
        let w: Vec<f32> = (0..OUT * inputs).map(|i| ((i * 5) % 11) as f32 * 0.29 - 1.3).collect();
        let bias: Vec<f32> = (0..OUT).map(|o| o as f32 * 0.1).collect();
        let run = |chunk| {
            let mut y = vec![0f32; rows * OUT];
            // SAFETY: the CPU has AVX-512F and FMA, checked above.
            unsafe { product_avx512(&x, rows, inputs, &w, &bias, &mut y, chunk) };
            y.iter().map(|v| v.to_bits()).collect::<Vec<_>>()
        };
        let one_pass = run(usize::MAX);
        assert_eq!(run(CHUNK), one_pass);
        assert_eq!(run(16), one_pass);
    }

    #[test]
    fn matches_the_definition_with_an_odd_row_and_a_partial_last_chunk() {
        let (rows, inputs) = (37, 23);
        let x: Vec<f32> = (0..rows * inputs).map(|i| ((i * 7) % 13) as f32 * 0.25 - 1.0).collect();
        let w: Vec<f32> = (0..OUT * inputs).map(|i| ((i * 5) % 11) as f32 * 0.5 - 2.0).collect();
        let bias: Vec<f32> = (0..OUT).map(|o| o as f32).collect();
        let (mut y, mut portable) = (vec![f32::NAN; rows * OUT], vec![f32::NAN; rows * OUT]);
        product(&x, rows, &w, &bias, &mut y);
        product_portable(&x, inputs, &w, &bias, &mut portable);
        for r in 0..rows {
            for o in 0..OUT {
                let want = bias[o] + (0..inputs).map(|k| x[r * inputs + k] * w[o * inputs + k]).sum::<f32>();
                assert!((y[r * OUT + o] - want).abs() < 1e-3, "({r}, {o}): {} vs {want}", y[r * OUT + o]);
                assert!((portable[r * OUT + o] - want).abs() < 1e-3);
            }
        }
    }
}
