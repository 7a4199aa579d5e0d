//! Krum's and NNM's choices from single-precision distances, where they
//! provably make the same choices as the exact ones.
//!
//! Krum's pairwise distances are the part of its step that grows as n²: at
//! n = 120 on MNIST about 30 % of the step. The exact kernel
//! ([`pairwise_sq_distances`]) works in `f64`, 8 lanes a register, because an
//! `f32` sum changed Krum's choices among near-equal vectors. Here the same
//! sums are first taken in `f32`, 16 lanes a register with no conversion, with
//! a rigorous bound on their error; the exact kernel runs only when the
//! bounds cannot separate the chosen vectors from the others.
//!
//! The bound: every term (a_j − b_j)² is nonnegative, so each lane's chain of
//! `c` fused multiply-adds, after one rounded subtraction per term, is within
//! a relative γ_(c+2) = (c + 2)·u / (1 − (c + 2)·u) of the real sum, with 1 %
//! more for second-order products (u = 2⁻²⁴: the usual bound γ_c·Σ|terms| of
//! a recursive sum, relative when no term is negative), plus `2⁻¹⁴⁹` per
//! operation where it underflows. The
//! exact kernel's own `f64` rounding and the scores' `f64` sums are within
//! 10⁻¹² of the real values. A Krum score is a sum of the k smallest distances
//! of a row, which moves by at most the same relative amount. So if the `m`
//! vectors of smallest single-precision score have upper bounds below every
//! other vector's lower bound, they are exactly the `m` vectors the exact
//! scores choose, whatever the ties among them. NNM's sets are settled row by
//! row the same way: a row whose chosen neighbours' upper bounds are below
//! the others' lower bounds keeps them, and any other row takes its exact
//! distances (n − 1 of them, not the whole matrix).
//!
//! [`pairwise_sq_distances`]: super::kernels::pairwise_sq_distances

use super::Vectors;
use super::kernels::{BLOCK, BlockKernel, dim, distinct_rows, distinct_sq_distances, sq_distances_to};

/// Below this many coordinates the exact kernel is cheap and the screen is not
/// tried (two-wells has d = 2).
const MIN_DIM: usize = 256;

/// The 10⁻¹² allowed for the `f64` parts of the bound (the exact kernel's
/// chains and block sums, the scores' sums of up to n distances) holds with a
/// margin of about 2.5 up to these sizes (reviewed: about 4·10⁻¹³ at n = 1,200,
/// d = 1.2 M); beyond them the screen is not tried.
const MAX_N: usize = 2048;
const MAX_DIM: usize = 1 << 24;

/// Lanes of one single-precision register.
const LANES: usize = 16;

/// The indices (in increasing order) of the `m` vectors of smallest Krum score
/// with `k` neighbours each, when single-precision distances decide them;
/// `None` when they cannot (then the caller computes the exact distances).
pub(crate) fn krum_chosen(v: &Vectors, k: usize, m: usize) -> Option<Vec<usize>> {
    let n = v.len();
    let d = dim(v);
    if n < 2 || m >= n || k == 0 || k >= n {
        return None;
    }
    let near = Screened::of(v, d)?;
    let mut row = Vec::with_capacity(n);
    let bounds: Vec<(f64, f64, f64)> = (0..n)
        .map(|i| {
            row.clear();
            row.extend((0..n).filter(|&j| j != i).map(|j| near.get(i, j)));
            row.select_nth_unstable_by(k - 1, f64::total_cmp);
            let score: f64 = row[..k].iter().sum();
            let slack = score * near.relative + k as f64 * near.absolute;
            (score, score - slack, score + slack)
        })
        .collect();
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_unstable_by(|&a, &b| bounds[a].0.total_cmp(&bounds[b].0).then(a.cmp(&b)));
    let (chosen, rest) = order.split_at(m);
    let highest = chosen.iter().map(|&i| bounds[i].2).fold(f64::NEG_INFINITY, f64::max);
    let lowest = rest.iter().map(|&i| bounds[i].1).fold(f64::INFINITY, f64::min);
    (highest < lowest).then(|| {
        let mut chosen = chosen.to_vec();
        chosen.sort_unstable();
        chosen
    })
}

/// For each vector i, its `k − 1` nearest others and itself, in increasing
/// index order, as NNM chooses them (ties by lower index): from the
/// single-precision distances for the rows whose bounds separate the chosen
/// from the rest, from that row's exact distances for the others. `None` when
/// the screen does not apply (then the caller computes the exact matrix).
pub(crate) fn nearest_sets(
    v: &Vectors,
    k: usize,
    choose: impl Fn(&[f64], usize, usize) -> Vec<usize>,
) -> Option<Vec<Vec<usize>>> {
    settled(v, k, choose).map(|(sets, _)| sets)
}

/// [`nearest_sets`], and how many rows took their exact distances.
fn settled(
    v: &Vectors,
    k: usize,
    choose: impl Fn(&[f64], usize, usize) -> Vec<usize>,
) -> Option<(Vec<Vec<usize>>, usize)> {
    let n = v.len();
    let d = dim(v);
    if n < 3 || k < 2 || k >= n {
        return None;
    }
    let near = Screened::of(v, d)?;
    let all: Vec<&[f32]> = v.iter().map(|x| &x[..d]).collect();
    let mut exact_rows = 0;
    let sets = (0..n)
        .map(|i| {
            let row: Vec<f64> = (0..n).map(|j| if j == i { 0.0 } else { near.get(i, j) }).collect();
            let set = choose(&row, i, k);
            let inside = |j: usize| set.binary_search(&j).is_ok();
            let slack = |x: f64| x * near.relative + near.absolute;
            let others = (0..n).filter(|&j| j != i);
            let highest =
                others.clone().filter(|&j| inside(j)).map(|j| row[j] + slack(row[j])).fold(f64::NEG_INFINITY, f64::max);
            let lowest = others.filter(|&j| !inside(j)).map(|j| row[j] - slack(row[j])).fold(f64::INFINITY, f64::min);
            if highest < lowest {
                set
            } else {
                exact_rows += 1;
                choose(&sq_distances_to(all[i], &all), i, k)
            }
        })
        .collect();
    Some((sets, exact_rows))
}

/// Single-precision squared distances of a set of vectors, with the bound on
/// each one's error relative to the exact kernel's: |exact − near| ≤
/// near · relative + absolute.
struct Screened {
    /// Row-major over the `r` distinct vectors.
    near: Vec<f64>,
    r: usize,
    /// Which distinct vector each vector is.
    of: Vec<usize>,
    relative: f64,
    absolute: f64,
}

impl Screened {
    /// `None` where the screen is not tried (sizes, no AVX-512), and on an
    /// overflow (an infinity where the exact sum is finite) or a NaN input.
    fn of(v: &Vectors, d: usize) -> Option<Screened> {
        if v.len() > MAX_N || !(MIN_DIM..=MAX_DIM).contains(&d) || !has_avx512() {
            return None;
        }
        let (rows, of) = distinct_rows(v, d);
        let near = distinct_sq_distances::<Single>(&rows);
        if !near.iter().all(|x| x.is_finite()) {
            return None;
        }
        // A lane's chain within a block and its subtractions: γ_c = c·u/(1 − c·u),
        // and 1 % more for the products of the per-term factors (second order,
        // about c·u = 1.5·10⁻⁵ of the first); then (1e-12) the lanes' and
        // blocks' f64 sums and the exact kernel's and the scores' own f64
        // rounding; 1 − ε for bounds taken around the single-precision value
        // rather than the real one.
        let cu = (d.min(BLOCK).div_ceil(LANES) + 2) as f64 * f64::from(f32::EPSILON) / 2.0;
        let epsilon = 1.01 * cu / (1.0 - cu) + 1e-12;
        // Underflow: at most 2^-150 per fused multiply-add.
        let (r, relative, absolute) = (rows.len(), epsilon / (1.0 - epsilon), d as f64 * 2f64.powi(-149));
        Some(Screened { near, r, of, relative, absolute })
    }

    fn get(&self, i: usize, j: usize) -> f64 {
        self.near[self.of[i] * self.r + self.of[j]]
    }
}

fn has_avx512() -> bool {
    #[cfg(target_arch = "x86_64")]
    return std::arch::is_x86_feature_detected!("avx512f");
    #[cfg(not(target_arch = "x86_64"))]
    false
}

/// A block's squared distances in 16 lanes of `f32` fused multiply-adds, the
/// lanes and the remainder added in `f64`. Without AVX-512 (never reached:
/// [`krum_chosen`] checks it), the exact sums, which are within the bound too.
struct Single;

impl BlockKernel for Single {
    #[inline(always)]
    fn rows<const R: usize>(a: [&[f32]; R], b: [&[f32]; 4]) -> [[f64; 4]; R] {
        #[cfg(target_arch = "x86_64")]
        if has_avx512() {
            let len = b.iter().chain(&a).fold(usize::MAX, |m, s| m.min(s.len()));
            // SAFETY: AVX-512F checked just above; every slice is cut to `len`.
            return unsafe { single(a.map(|a| &a[..len]), b.map(|b| &b[..len])) };
        }
        a.map(|a| b.map(|b| Self::pair(a, b)))
    }
}

/// R × 4 pairs in 16 lanes of `f32` each.
///
/// # Safety
/// The CPU has AVX-512F, and every slice is equally long.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn single<const R: usize>(a: [&[f32]; R], b: [&[f32]; 4]) -> [[f64; 4]; R] {
    use std::arch::x86_64::{
        __m512, _mm512_fmadd_ps, _mm512_loadu_ps, _mm512_setzero_ps, _mm512_storeu_ps, _mm512_sub_ps,
    };
    let len = b[0].len();
    let whole = len / LANES * LANES;
    // SAFETY: every slice is `len` long and `k + 16 ≤ whole ≤ len`.
    let load = |p: &[f32], k: usize| -> __m512 { unsafe { _mm512_loadu_ps(p.as_ptr().add(k)) } };
    let mut acc = [[_mm512_setzero_ps(); 4]; R];
    let mut k = 0;
    while k < whole {
        let x: [__m512; R] = std::array::from_fn(|p| load(a[p], k));
        for q in 0..4 {
            let y = load(b[q], k);
            for p in 0..R {
                let t = _mm512_sub_ps(x[p], y);
                acc[p][q] = _mm512_fmadd_ps(t, t, acc[p][q]);
            }
        }
        k += LANES;
    }
    std::array::from_fn(|p| {
        std::array::from_fn(|q| {
            let mut lanes = [0.0f32; LANES];
            // SAFETY: `lanes` holds 16 f32.
            unsafe { _mm512_storeu_ps(lanes.as_mut_ptr(), acc[p][q]) };
            let tail = a[p][whole..].iter().zip(&b[q][whole..]);
            lanes.iter().map(|&x| f64::from(x)).sum::<f64>()
                + tail.map(|(&x, &y)| (f64::from(x) - f64::from(y)).powi(2)).sum::<f64>()
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aggregate::kernels::pairwise_sq_distances;
    use crate::aggregate::krum::select_from_distances;

    fn exact(v: &Vectors, discard: usize, m: usize) -> Vec<usize> {
        let mut s = select_from_distances(&pairwise_sq_distances(v), v.len(), discard, m);
        s.sort_unstable();
        s
    }

    fn k_of(n: usize, discard: usize) -> usize {
        crate::aggregate::krum::neighbours(n, discard)
    }

    /// Well-separated vectors are decided by the screen, and its choice is the exact one.
    #[test]
    fn screened_choices_are_the_exact_ones() {
        let (n, d) = (23, 1000);
        let v: Vec<Vec<f32>> = (0..n)
            .map(|i| (0..d).map(|j| ((i * 7919 + j * 104_729) as f32).sin() * (1.0 + i as f32 * 0.05)).collect())
            .collect();
        for m in [1, 3, 15] {
            let got = krum_chosen(&v, k_of(n, 5), m);
            if has_avx512() {
                assert_eq!(got.as_deref(), Some(&exact(&v, 5, m)[..]), "m = {m}");
            } else {
                assert_eq!(got, None);
            }
        }
    }

    /// Vectors in pairs a few roundings apart, many draws: whenever the screen
    /// decides, it decides as the exact distances do, and it does decide on
    /// most draws. (With no error bound, some draws choose the wrong one of a
    /// pair: checked by setting the bound to 0.)
    #[test]
    fn screened_near_pairs_choose_as_the_exact_kernel() {
        let (n, d) = (16, 700);
        let mut decided = 0;
        for draw in 0..60usize {
            let v: Vec<Vec<f32>> = (0..n)
                .map(|i| {
                    (0..d)
                        .map(|j| {
                            let center = ((i / 2 * 7919 + j * 104_729 + draw * 31) as f32).sin();
                            let nudge = ((i * 13 + j * 7 + draw) % 5) as f32 * 3e-7;
                            center + nudge
                        })
                        .collect()
                })
                .collect();
            for (discard, m) in [(4, 1), (3, 2), (6, 5)] {
                if let Some(got) = krum_chosen(&v, k_of(n, discard), m) {
                    assert_eq!(got, exact(&v, discard, m), "draw {draw}, discard {discard}, m {m}");
                    decided += 1;
                }
            }
        }
        if has_avx512() {
            assert!(decided >= 30, "decided {decided} of 180");
        }
    }

    /// NNM's sets from the screen are the exact ones, on vectors in near
    /// pairs (whose rows the bounds cannot always settle: those rows take
    /// their exact distances) and with f copies of one vector.
    #[test]
    fn nearest_sets_are_the_exact_ones() {
        use crate::aggregate::nnm::neighbours;
        let (n, d) = (16, 700);
        let (mut screened, mut rows) = (0, (0, 0));
        for draw in 0..30usize {
            let mut v: Vec<Vec<f32>> = (0..n)
                .map(|i| {
                    (0..d)
                        .map(|j| {
                            ((i / 2 * 7919 + j * 104_729 + draw * 31) as f32).sin()
                                + ((i * 13 + j * 7 + draw) % 5) as f32 * 3e-7
                        })
                        .collect()
                })
                .collect();
            if draw % 3 == 0 {
                for i in 12..n {
                    v[i] = v[11].clone(); // copies, as an attack sends
                }
            }
            let exact = pairwise_sq_distances(&v);
            for k in [2, 5, 9, 13] {
                let want: Vec<Vec<usize>> = (0..n).map(|i| neighbours(&exact[i * n..(i + 1) * n], i, k)).collect();
                if let Some(got) = nearest_sets(&v, k, neighbours) {
                    assert_eq!(got, want, "draw {draw}, k {k}");
                    screened += 1;
                }
                if let Some((_, exact_rows)) = settled(&v, k, neighbours) {
                    rows.0 += exact_rows;
                    rows.1 += n - exact_rows;
                }
            }
        }
        if has_avx512() {
            assert_eq!(screened, 120);
            // Both ways were taken: rows from their exact distances, rows from the screen.
            assert!(rows.0 > 0 && rows.1 > 0, "{rows:?}");
        }
    }

    /// Near ties (two vectors whose exact scores differ in the 8th digit) are
    /// left to the exact kernel, and copies, NaN and huge values too.
    #[test]
    fn near_ties_and_odd_inputs_go_to_the_exact_kernel() {
        let (n, d) = (12, 512);
        let base: Vec<f32> = (0..d).map(|j| (j as f32 * 0.37).sin()).collect();
        let mut v: Vec<Vec<f32>> = (0..n)
            .map(|i| base.iter().enumerate().map(|(j, &x)| x + ((i * 31 + j * 17) % 97) as f32 * 1e-3).collect())
            .collect();
        // Vector 1 mirrors vector 0 around the others' mean, coordinate by coordinate nearly.
        v[1] = v[0].clone();
        v[1][3] += 1e-7;
        assert_eq!(krum_chosen(&v, k_of(n, 3), 1), None);
        let mut w = v.clone();
        w[4][10] = f32::NAN;
        assert_eq!(krum_chosen(&w, k_of(n, 3), 1), None);
        // Squares beyond f32's range: an infinity, so the exact kernel.
        w[4][10] = 1e30;
        assert_eq!(krum_chosen(&w, k_of(n, 3), 1), None);
    }
}
