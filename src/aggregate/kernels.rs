//! The loops every rule shares, written once for speed and determinism:
//! pairwise squared distances, per-coordinate reductions and means of chosen
//! vectors.
//!
//! Coordinates are cut into fixed blocks of [`BLOCK`] and the blocks are spread
//! over rayon's threads. Each block's result depends only on the block, and
//! blocks are combined in block order, so results are bit-for-bit the same
//! whatever the thread count. Nothing here allocates n × d.
//!
//! Vectors of unequal length are read up to the shortest one's length, so no
//! index is ever out of bounds (callers that accept user input check lengths
//! themselves and report the mismatch).

use rayon::prelude::*;

use super::Vectors;

/// Coordinates per block: 15 vectors × 4096 × 4 bytes = 240 KB, in L2.
pub const BLOCK: usize = 4096;

/// The common length of the vectors (the shortest one's).
pub fn dim(v: &Vectors) -> usize {
    v.iter().map(Vec::len).min().unwrap_or(0)
}

/// Row-major n × n squared Euclidean distances, in `f64`; a non-finite entry
/// (NaN or infinite input) becomes `+inf`, so such a vector is maximally far.
///
/// Computed from differences, not from a Gram matrix: ‖a‖² + ‖b‖² − 2a·b
/// cancels catastrophically for close vectors (exactly the case an attack such
/// as ALIE creates), while Σ(a_j − b_j)² has only positive terms. Everything
/// is in `f64` (an `f32` accumulation changed Krum's choices among near-equal
/// vectors, e.g. under `attack none`); within a block 8 lanes accumulate, and
/// block sums are added in block order. For d < 8 the sum is the plain
/// sequential one.
pub fn pairwise_sq_distances(v: &Vectors) -> Vec<f64> {
    let n = v.len();
    let d = dim(v);
    let pairs: Vec<(usize, usize)> = (0..n).flat_map(|i| (i + 1..n).map(move |j| (i, j))).collect();
    let partials: Vec<Vec<f64>> = (0..d.div_ceil(BLOCK))
        .into_par_iter()
        .map(|b| {
            let r = b * BLOCK..((b + 1) * BLOCK).min(d);
            pairs.iter().map(|&(i, j)| block_sq_distance(&v[i][r.clone()], &v[j][r.clone()])).collect()
        })
        .collect();
    let mut sums = vec![0.0f64; pairs.len()];
    for p in &partials {
        for (s, x) in sums.iter_mut().zip(p) {
            *s += x;
        }
    }
    let mut out = vec![0.0f64; n * n];
    for (&(i, j), &s) in pairs.iter().zip(&sums) {
        let s = if s.is_finite() { s } else { f64::INFINITY };
        out[i * n + j] = s;
        out[j * n + i] = s;
    }
    out
}

/// Σ_j (a_j − b_j)² over one block, in `f64` (8 lanes, then the remainder in order).
fn block_sq_distance(a: &[f32], b: &[f32]) -> f64 {
    const LANES: usize = 8;
    let mut acc = [0.0f64; LANES];
    let (ca, cb) = (a.chunks_exact(LANES), b.chunks_exact(LANES));
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        for k in 0..LANES {
            let t = f64::from(x[k]) - f64::from(y[k]);
            acc[k] += t * t;
        }
    }
    let mut s: f64 = acc.iter().sum();
    for (&x, &y) in ra.iter().zip(rb) {
        s += (f64::from(x) - f64::from(y)).powi(2);
    }
    s
}

/// `out[j] = g(v_1[j], …, v_n[j])` for every coordinate; `g` may reorder its
/// buffer. Blocks run in parallel and each writes its own slice of `out`.
pub fn coordinatewise<R, G>(v: &[R], g: G) -> Vec<f32>
where
    R: AsRef<[f32]> + Sync,
    G: Fn(&mut [f32]) -> f32 + Sync,
{
    let n = v.len();
    let d = v.iter().map(|x| x.as_ref().len()).min().unwrap_or(0);
    if n == 0 {
        return Vec::new();
    }
    let mut out = vec![0.0f32; d];
    out.par_chunks_mut(BLOCK).enumerate().for_each(|(b, chunk)| {
        let start = b * BLOCK;
        let cols: Vec<&[f32]> = v.iter().map(|x| &x.as_ref()[start..start + chunk.len()]).collect();
        let mut buf = vec![0.0f32; n];
        for (j, o) in chunk.iter_mut().enumerate() {
            for (x, c) in buf.iter_mut().zip(&cols) {
                *x = c[j];
            }
            *o = g(&mut buf);
        }
    });
    out
}

/// Mean of the vectors at `idx`, accumulated in `f64` in the order of `idx`.
/// Empty `idx` gives an empty vector.
pub fn mean_of(v: &Vectors, idx: &[usize]) -> Vec<f32> {
    means_of(v, std::slice::from_ref(&idx.to_vec())).pop().unwrap_or_default()
}

/// For each index set, the mean of those vectors (as [`mean_of`]), all computed
/// in one pass over the data: block by block, so each block of the inputs is
/// read from cache by every output that needs it.
pub fn means_of(v: &Vectors, sets: &[Vec<usize>]) -> Vec<Vec<f32>> {
    let d = dim(v);
    let mut outs: Vec<Vec<f32>> = sets.iter().map(|s| vec![0.0f32; if s.is_empty() { 0 } else { d }]).collect();
    let mut blocks: Vec<Vec<&mut [f32]>> = (0..d.div_ceil(BLOCK)).map(|_| Vec::with_capacity(sets.len())).collect();
    for out in &mut outs {
        for (b, chunk) in out.chunks_mut(BLOCK).enumerate() {
            blocks[b].push(chunk);
        }
    }
    blocks.into_par_iter().enumerate().for_each(|(b, chunks)| {
        let start = b * BLOCK;
        let nonempty = sets.iter().filter(|s| !s.is_empty());
        for (chunk, set) in chunks.into_iter().zip(nonempty) {
            let rows: Vec<&[f32]> = set.iter().map(|&i| &v[i][start..start + chunk.len()]).collect();
            block_mean(&rows, chunk);
        }
    });
    outs
}

/// `out[j] = (1/k) Σ_r rows[r][j]` in `f64`, in row order, 8 coordinates at a time.
fn block_mean(rows: &[&[f32]], out: &mut [f32]) {
    const LANES: usize = 8;
    let k = rows.len() as f64;
    for (c, lanes) in out.chunks_mut(LANES).enumerate() {
        let start = c * LANES;
        let mut acc = [0.0f64; LANES];
        for row in rows {
            match <&[f32; LANES]>::try_from(&row[start..start + lanes.len()]) {
                Ok(x) => {
                    for l in 0..LANES {
                        acc[l] += f64::from(x[l]);
                    }
                }
                Err(_) => {
                    for (a, &x) in acc.iter_mut().zip(&row[start..start + lanes.len()]) {
                        *a += f64::from(x);
                    }
                }
            }
        }
        for (o, a) in lanes.iter_mut().zip(acc) {
            *o = (a / k) as f32;
        }
    }
}

/// Row-major m × m Gram matrix of the rows centred on the first one,
/// `G_ik = Σ_j (x_i[j] − x_0[j]) (x_k[j] − x_0[j])`, in `f64`: per block with
/// 8 lanes, blocks added in block order.
pub fn centered_gram(rows: &[&[f32]]) -> Vec<f64> {
    let m = rows.len();
    let d = rows.iter().map(|r| r.len()).min().unwrap_or(0);
    let pairs: Vec<(usize, usize)> = (1..m).flat_map(|i| (i..m).map(move |k| (i, k))).collect();
    let partials: Vec<Vec<f64>> = (0..d.div_ceil(BLOCK))
        .into_par_iter()
        .map(|b| {
            let r = b * BLOCK..((b + 1) * BLOCK).min(d);
            let base = &rows[0][r.clone()];
            pairs.iter().map(|&(i, k)| block_centered_dot(&rows[i][r.clone()], &rows[k][r.clone()], base)).collect()
        })
        .collect();
    let mut g = vec![0.0f64; m * m];
    for p in &partials {
        for (&(i, k), x) in pairs.iter().zip(p) {
            g[i * m + k] += x;
        }
    }
    for &(i, k) in &pairs {
        g[k * m + i] = g[i * m + k];
    }
    g
}

/// Σ_j (a_j − c_j)(b_j − c_j) over one block, in `f64`.
fn block_centered_dot(a: &[f32], b: &[f32], c: &[f32]) -> f64 {
    const LANES: usize = 8;
    let mut acc = [0.0f64; LANES];
    let (ca, cb, cc) = (a.chunks_exact(LANES), b.chunks_exact(LANES), c.chunks_exact(LANES));
    let (ra, rb, rc) = (ca.remainder(), cb.remainder(), cc.remainder());
    for ((x, y), z) in ca.zip(cb).zip(cc) {
        for k in 0..LANES {
            acc[k] += (f64::from(x[k]) - f64::from(z[k])) * (f64::from(y[k]) - f64::from(z[k]));
        }
    }
    let mut s: f64 = acc.iter().sum();
    for ((&x, &y), &z) in ra.iter().zip(rb).zip(rc) {
        s += (f64::from(x) - f64::from(z)) * (f64::from(y) - f64::from(z));
    }
    s
}

/// `Σ_i w_i x_i / Σ_i w_i`, per coordinate in `f64`, in row order.
pub fn weighted_mean(rows: &[&[f32]], w: &[f64]) -> Vec<f32> {
    combination(rows, w, w.iter().sum())
}

/// `Σ_i w_i x_i / divisor`, per coordinate in `f64`, in row order: a mean of
/// scaled rows (clipped ones, say) without copying them.
pub fn combination(rows: &[&[f32]], w: &[f64], divisor: f64) -> Vec<f32> {
    let d = rows.iter().map(|r| r.len()).min().unwrap_or(0);
    let mut out = vec![0.0f32; d];
    out.par_chunks_mut(BLOCK).enumerate().for_each(|(b, chunk)| {
        let start = b * BLOCK;
        let mut acc = vec![0.0f64; chunk.len()];
        for (row, &wi) in rows.iter().zip(w) {
            for (a, &x) in acc.iter_mut().zip(&row[start..start + chunk.len()]) {
                *a += wi * f64::from(x);
            }
        }
        for (o, a) in chunk.iter_mut().zip(acc) {
            *o = (a / divisor) as f32;
        }
    });
    out
}

/// ⟨a, b⟩ in `f64`, in index order.
pub fn dot(a: &[f32], b: &[f32]) -> f64 {
    a.iter().zip(b).map(|(&x, &y)| f64::from(x) * f64::from(y)).sum()
}

/// Euclidean norm in `f64`.
pub fn norm(x: &[f32]) -> f64 {
    x.iter().map(|&t| f64::from(t).powi(2)).sum::<f64>().sqrt()
}

/// `x` scaled to norm `c` if it is longer (Allouah et al. 2024, eq. (2):
/// clip_c(x) = min(1, c/‖x‖)·x). A vector of non-finite norm is returned
/// unchanged: it has no direction to keep, and the rule after decides.
pub fn clipped(x: &[f32], c: f64) -> Vec<f32> {
    let nx = norm(x);
    if nx > c && nx.is_finite() {
        let s = c / nx;
        x.iter().map(|&t| (f64::from(t) * s) as f32).collect()
    } else {
        x.to_vec()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances_hand_computed_and_across_blocks() {
        let v = [vec![0.0, 0.0], vec![3.0, 4.0], vec![f32::NAN, 0.0]];
        let inf = f64::INFINITY;
        assert_eq!(pairwise_sq_distances(&v), vec![0.0, 25.0, inf, 25.0, 0.0, inf, inf, inf, 0.0]);
        // Three blocks and a remainder: 2 · BLOCK + 5 coordinates of difference 1.
        let d = 2 * BLOCK + 5;
        let v = [vec![1.0f32; d], vec![0.0f32; d]];
        assert_eq!(pairwise_sq_distances(&v)[1], d as f64);
        // Large finite values overflow f32 squares but not f64.
        let v = [vec![1e30f32; 3], vec![-1e30f32; 3]];
        assert!((pairwise_sq_distances(&v)[1] / 12e60 - 1.0).abs() < 1e-6);
    }

    #[test]
    fn unequal_lengths_do_not_panic() {
        let v = [vec![1.0, 2.0, 3.0], vec![1.0]];
        assert_eq!(dim(&v), 1);
        assert_eq!(pairwise_sq_distances(&v), vec![0.0; 4]);
        assert_eq!(coordinatewise(&v, |b| b[0] + b[1]), vec![2.0]);
        assert_eq!(mean_of(&v, &[0, 1]), vec![1.0]);
    }

    #[test]
    fn clipping() {
        assert_eq!(clipped(&[3.0, 4.0], 1.0), vec![0.6, 0.8]);
        assert_eq!(clipped(&[3.0, 4.0], 5.0), vec![3.0, 4.0]);
        assert!(clipped(&[f32::NAN, 1.0], 1.0)[0].is_nan());
    }
}
