//! Four squared distances at once, for the pairwise distances of Krum, NNM,
//! MDA and the other distance-based rules, with explicit vector instructions.
//!
//! One pair's block sum is a single chain of f64 additions per lane: each
//! addition waits for the one before (4 cycles), so one pair at a time leaves
//! the adders idle most of the time. Four pairs with the same first vector
//! keep four chains in flight and convert that vector's f32 coordinates once.
//! The autovectoriser turned such loops into shuffles (2.2× slower, measured),
//! hence the intrinsics. Each lane adds exactly what `block_sq_distance` adds,
//! in the same order (convert, subtract, multiply, add — never fused), so
//! every distance keeps its bits.

use super::kernels::{block_sq_distance, finish};

/// `block_sq_distance(a, b[p])` for the four `b`s (all as long as `a`).
#[inline]
pub(crate) fn block_sq_distances(a: &[f32], b: [&[f32]; 4]) -> [f64; 4] {
    let len = b.iter().fold(a.len(), |m, b| m.min(b.len()));
    let (a, b) = (&a[..len], b.map(|b| &b[..len]));
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx512f") {
            // SAFETY: the CPU has AVX-512F, checked just above; all slices are `len` long.
            return unsafe { avx512(a, b) };
        }
        if std::arch::is_x86_feature_detected!("avx") {
            // SAFETY: the CPU has AVX, checked just above; all slices are `len` long.
            return unsafe { avx(a, b) };
        }
    }
    b.map(|b| block_sq_distance(a, b))
}

/// Eight lanes in one 512-bit register per pair.
///
/// # Safety
/// The CPU has AVX-512F, and every `b[p]` is at least as long as `a`.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn avx512(a: &[f32], b: [&[f32]; 4]) -> [f64; 4] {
    use std::arch::x86_64::{
        __m512d, _mm256_loadu_ps, _mm512_add_pd, _mm512_cvtps_pd, _mm512_mul_pd, _mm512_setzero_pd, _mm512_storeu_pd,
        _mm512_sub_pd,
    };
    let whole = a.len() / 8 * 8;
    // SAFETY: every slice is at least `a.len()` long (the caller's promise) and `k + 8 ≤ whole ≤ a.len()`.
    let load = |p: &[f32], k: usize| -> __m512d { unsafe { _mm512_cvtps_pd(_mm256_loadu_ps(p.as_ptr().add(k))) } };
    let mut acc = [_mm512_setzero_pd(); 4];
    let mut k = 0;
    while k < whole {
        let x = load(a, k);
        for p in 0..4 {
            let t = _mm512_sub_pd(x, load(b[p], k));
            acc[p] = _mm512_add_pd(acc[p], _mm512_mul_pd(t, t));
        }
        k += 8;
    }
    std::array::from_fn(|p| {
        let mut lanes = [0.0f64; 8];
        // SAFETY: `lanes` holds 8 f64.
        unsafe { _mm512_storeu_pd(lanes.as_mut_ptr(), acc[p]) };
        finish(lanes, &a[whole..], &b[p][whole..])
    })
}

/// Eight lanes in two 256-bit registers per pair (lanes 0–3 and 4–7).
///
/// # Safety
/// The CPU has AVX, and every `b[p]` is at least as long as `a`.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx")]
unsafe fn avx(a: &[f32], b: [&[f32]; 4]) -> [f64; 4] {
    use std::arch::x86_64::{
        __m256d, _mm_loadu_ps, _mm256_add_pd, _mm256_cvtps_pd, _mm256_mul_pd, _mm256_setzero_pd, _mm256_storeu_pd,
        _mm256_sub_pd,
    };
    let whole = a.len() / 8 * 8;
    // SAFETY: every slice is at least `a.len()` long (the caller's promise) and `k + 4 ≤ k + 8 ≤ whole ≤ a.len()`.
    let load = |p: &[f32], k: usize| -> __m256d { unsafe { _mm256_cvtps_pd(_mm_loadu_ps(p.as_ptr().add(k))) } };
    let mut acc = [[_mm256_setzero_pd(); 2]; 4];
    let mut k = 0;
    while k < whole {
        let x = [load(a, k), load(a, k + 4)];
        for p in 0..4 {
            for h in 0..2 {
                let t = _mm256_sub_pd(x[h], load(b[p], k + 4 * h));
                acc[p][h] = _mm256_add_pd(acc[p][h], _mm256_mul_pd(t, t));
            }
        }
        k += 8;
    }
    std::array::from_fn(|p| {
        let mut lanes = [0.0f64; 8];
        // SAFETY: `lanes` holds 8 f64, two halves of 4.
        unsafe {
            _mm256_storeu_pd(lanes.as_mut_ptr(), acc[p][0]);
            _mm256_storeu_pd(lanes.as_mut_ptr().add(4), acc[p][1]);
        }
        finish(lanes, &a[whole..], &b[p][whole..])
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every path gives the bits of one pair at a time, on awkward values and lengths.
    #[test]
    fn four_at_once_keep_every_bit() {
        let value = |i: usize, s: usize| ((i * 7919 + s * 104_729) % 1000) as f32 * 1e-3 - 0.5 + (s as f32) * 1e-7;
        for len in [0, 1, 7, 8, 9, 31, 4096, 4099] {
            let v: Vec<Vec<f32>> =
                (0..5).map(|s| (0..len).map(|i| value(i, s) * 10f32.powi(s as i32 - 2)).collect()).collect();
            let b = [&v[1][..], &v[2][..], &v[3][..], &v[4][..]];
            let want = b.map(|b| block_sq_distance(&v[0], b));
            assert_eq!(block_sq_distances(&v[0], b).map(f64::to_bits), want.map(f64::to_bits), "len {len}");
            #[cfg(target_arch = "x86_64")]
            if std::arch::is_x86_feature_detected!("avx") {
                // SAFETY: AVX checked just above; the slices are equally long.
                assert_eq!(unsafe { avx(&v[0], b) }.map(f64::to_bits), want.map(f64::to_bits), "avx, len {len}");
            }
        }
    }
}
