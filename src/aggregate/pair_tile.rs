//! Squared distances R × 4 pairs at a time, for Krum, NNM, MDA, MoNNA and
//! Bulyan, with explicit vector instructions.
//!
//! One pair at a time costs a load and a conversion of both slices per
//! coordinate, and its one chain of additions waits 4 cycles per step. With
//! AVX-512 a tile of 4 × 4 pairs converts 8 slices for 16 pairs, keeps 16
//! chains in flight, and takes a subtraction and a fused multiply-add per
//! coordinate and pair (on AMD's Zen 4 these go to separate pipes: about one
//! cycle per 8 coordinates and pair); with AVX's sixteen registers, one row
//! of four pairs at a time. The autovectoriser turned such loops into
//! shuffles (2.2× slower, measured), hence the intrinsics.
//!
//! Differences, not a Gram matrix: (‖a‖² + ‖b‖²) − 2⟨a, b⟩ would save the
//! subtraction, but it cancels for close vectors (10⁻⁹ of the distance at
//! norms 250 times the distance, measured) and changed Krum's choices on the
//! two-wells problem, where honest gradients nearly tie.
//!
//! Every lane adds exactly what [`block_sq_distance`] adds, in the same order,
//! on every path: a fused multiply-add (AVX-512, AVX with FMA, or
//! `f64::mul_add`, which rounds once on every platform; without an FMA
//! instruction it is a call to libm's `fma`, slow but exact).

use super::kernels::{block_sq_distance, finish};

/// `block_sq_distance(a[p], b[q])` for the R × 4 pairs (all as long as the shortest), as `[p][q]`.
#[inline]
pub(crate) fn block_sq_distances<const R: usize>(a: [&[f32]; R], b: [&[f32]; 4]) -> [[f64; 4]; R] {
    let len = b.iter().chain(&a).fold(usize::MAX, |m, s| m.min(s.len()));
    let (a, b) = (a.map(|a| &a[..len]), b.map(|b| &b[..len]));
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx512f") {
            // SAFETY: the CPU has AVX-512F, checked just above; all slices are `len` long.
            return unsafe { avx512(a, b) };
        }
        if std::arch::is_x86_feature_detected!("avx") && std::arch::is_x86_feature_detected!("fma") {
            // SAFETY: the CPU has AVX and FMA, checked just above; all slices are `len` long.
            return unsafe { avx_fma(a, b) };
        }
    }
    a.map(|a| b.map(|b| block_sq_distance(a, b)))
}

/// Eight lanes in one 512-bit register per pair: R × 4 accumulators.
///
/// # Safety
/// The CPU has AVX-512F, and every slice is equally long.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn avx512<const R: usize>(a: [&[f32]; R], b: [&[f32]; 4]) -> [[f64; 4]; R] {
    use std::arch::x86_64::{
        __m512d, _mm256_loadu_ps, _mm512_cvtps_pd, _mm512_fmadd_pd, _mm512_setzero_pd, _mm512_storeu_pd, _mm512_sub_pd,
    };
    let len = b[0].len();
    let whole = len / 8 * 8;
    // SAFETY: every slice is `len` long (the caller's promise) and `k + 8 ≤ whole ≤ len`.
    let load = |p: &[f32], k: usize| -> __m512d { unsafe { _mm512_cvtps_pd(_mm256_loadu_ps(p.as_ptr().add(k))) } };
    let mut acc = [[_mm512_setzero_pd(); 4]; R];
    let mut k = 0;
    while k < whole {
        let x: [__m512d; R] = std::array::from_fn(|p| load(a[p], k));
        for q in 0..4 {
            let y = load(b[q], k);
            for p in 0..R {
                let t = _mm512_sub_pd(x[p], y);
                acc[p][q] = _mm512_fmadd_pd(t, t, acc[p][q]);
            }
        }
        k += 8;
    }
    std::array::from_fn(|p| {
        std::array::from_fn(|q| {
            let mut lanes = [0.0f64; 8];
            // SAFETY: `lanes` holds 8 f64.
            unsafe { _mm512_storeu_pd(lanes.as_mut_ptr(), acc[p][q]) };
            finish(lanes, &a[p][whole..], &b[q][whole..])
        })
    })
}

/// Eight lanes in two 256-bit registers per pair (lanes 0–3 and 4–7), one row
/// of four pairs at a time (sixteen registers hold no more).
///
/// # Safety
/// The CPU has AVX and FMA, and every slice is equally long.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx,fma")]
unsafe fn avx_fma<const R: usize>(a: [&[f32]; R], b: [&[f32]; 4]) -> [[f64; 4]; R] {
    use std::arch::x86_64::{
        __m256d, _mm_loadu_ps, _mm256_cvtps_pd, _mm256_fmadd_pd, _mm256_setzero_pd, _mm256_storeu_pd, _mm256_sub_pd,
    };
    let len = b[0].len();
    let whole = len / 8 * 8;
    // SAFETY: every slice is `len` long (the caller's promise) and `k + 4 ≤ k + 8 ≤ whole ≤ len`.
    let load = |p: &[f32], k: usize| -> __m256d { unsafe { _mm256_cvtps_pd(_mm_loadu_ps(p.as_ptr().add(k))) } };
    a.map(|a| {
        let mut acc = [[_mm256_setzero_pd(); 2]; 4];
        let mut k = 0;
        while k < whole {
            let x = [load(a, k), load(a, k + 4)];
            for q in 0..4 {
                for h in 0..2 {
                    let t = _mm256_sub_pd(x[h], load(b[q], k + 4 * h));
                    acc[q][h] = _mm256_fmadd_pd(t, t, acc[q][h]);
                }
            }
            k += 8;
        }
        std::array::from_fn(|q| {
            let mut lanes = [0.0f64; 8];
            // SAFETY: `lanes` holds 8 f64, two halves of 4.
            unsafe {
                _mm256_storeu_pd(lanes.as_mut_ptr(), acc[q][0]);
                _mm256_storeu_pd(lanes.as_mut_ptr().add(4), acc[q][1]);
            }
            finish(lanes, &a[whole..], &b[q][whole..])
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every path gives the bits of one pair at a time, on awkward values
    /// (mixed magnitudes down to f32's subnormals) and lengths.
    #[test]
    fn tiles_keep_every_bit() {
        let value = |i: usize, s: usize| ((i * 7919 + s * 104_729) % 1000) as f32 * 1e-3 - 0.5 + (s as f32) * 1e-7;
        let scale = |s: usize| if s == 6 { 1e-41 } else { 10f32.powi(s as i32 - 3) };
        for len in [0, 1, 7, 8, 9, 31, 4096, 4099] {
            let v: Vec<Vec<f32>> = (0..8).map(|s| (0..len).map(|i| value(i, s) * scale(s)).collect()).collect();
            let a = [&v[0][..], &v[1][..], &v[2][..], &v[6][..]];
            let b = [&v[3][..], &v[4][..], &v[5][..], &v[7][..]];
            let want = a.map(|a| b.map(|b| block_sq_distance(a, b).to_bits()));
            let bits = |t: [[f64; 4]; 4]| t.map(|r| r.map(f64::to_bits));
            assert_eq!(bits(block_sq_distances(a, b)), want, "len {len}");
            assert_eq!(block_sq_distances([a[2]], b)[0].map(f64::to_bits), want[2], "one row, len {len}");
            #[cfg(target_arch = "x86_64")]
            if std::arch::is_x86_feature_detected!("avx") && std::arch::is_x86_feature_detected!("fma") {
                // SAFETY: AVX and FMA checked just above; the slices are equally long.
                assert_eq!(bits(unsafe { avx_fma(a, b) }), want, "avx, len {len}");
            }
        }
    }
}
