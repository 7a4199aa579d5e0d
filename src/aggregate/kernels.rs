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

/// Runs `f` compiled for the widest vector instructions this CPU has
/// (AVX-512, else AVX2, else the baseline x86-64 the binary is built for),
/// chosen at run time so that one binary serves every machine. The loops
/// inside `f` (and the `#[inline(always)]` helpers they call) are then
/// vectorised 8 or 16 lanes wide instead of 2 or 4. Results are the same bits
/// on every path: the compiler neither reorders floating-point additions nor
/// fuses multiplies and adds without fast-math flags, which Rust never sets.
#[inline(always)]
pub(crate) fn vectorized<R>(f: impl FnOnce() -> R) -> R {
    pulp::Arch::new().dispatch(f)
}

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
pub(crate) fn pairwise_sq_distances(v: &Vectors) -> Vec<f64> {
    let n = v.len();
    let d = dim(v);
    // Tasks are (block of coordinates, pair of tiles of vectors): the 2 × TILE
    // slices a task reads (16 KB each) stay in L2 while it computes its
    // TILE² pairs, instead of streaming all n slices from memory for every
    // vector (n = 1,200: 1.3 s → see benches/README.md). Each pair's block
    // sum is the same `block_sq_distance` as before, so the bits do not change.
    let tiles = n.div_ceil(TILE);
    let tasks: Vec<(usize, usize, usize)> = (0..d.div_ceil(BLOCK))
        .flat_map(|b| (0..tiles).flat_map(move |ti| (ti..tiles).map(move |tj| (b, ti, tj))))
        .collect();
    let per_task = (n.min(TILE).pow(2) / 2).max(1) * BLOCK.min(d);
    let partials: Vec<Vec<f64>> = tasks
        .par_iter()
        .with_min_len(blocks_per_task(per_task))
        .map(|&(b, ti, tj)| {
            let r = b * BLOCK..((b + 1) * BLOCK).min(d);
            let mut out = Vec::with_capacity(TILE * TILE);
            vectorized(
                #[inline(always)]
                || {
                    for i in ti * TILE..((ti + 1) * TILE).min(n) {
                        let a = &v[i][r.clone()];
                        let js = (tj * TILE).max(i + 1)..((tj + 1) * TILE).min(n);
                        // Four pairs at once where there are four (same bits, see `four_pairs`).
                        let mut quads = v[js].chunks_exact(4);
                        for q in quads.by_ref() {
                            let b = [&q[0][r.clone()], &q[1][r.clone()], &q[2][r.clone()], &q[3][r.clone()]];
                            out.extend(super::four_pairs::block_sq_distances(a, b));
                        }
                        out.extend(quads.remainder().iter().map(|b| block_sq_distance(a, &b[r.clone()])));
                    }
                },
            );
            out
        })
        .collect();
    // Block sums added in block order, as they always were: tasks are listed block by block.
    let mut sums = vec![0.0f64; n * n];
    for (&(_, ti, tj), p) in tasks.iter().zip(&partials) {
        let mut p = p.iter();
        for i in ti * TILE..((ti + 1) * TILE).min(n) {
            for j in (tj * TILE).max(i + 1)..((tj + 1) * TILE).min(n) {
                sums[i * n + j] += p.next().copied().unwrap_or(0.0);
            }
        }
    }
    for i in 0..n {
        for j in i + 1..n {
            let s = sums[i * n + j];
            let s = if s.is_finite() { s } else { f64::INFINITY };
            sums[i * n + j] = s;
            sums[j * n + i] = s;
        }
    }
    sums
}

/// ‖v − r‖² for each of `rows`, exactly as `pairwise_sq_distances` computes
/// each pair (block sums added in block order, a non-finite sum read as +∞;
/// a squared difference does not depend on which vector comes first), for
/// callers that need one vector's distances to vectors whose matrix they hold.
pub(crate) fn sq_distances_to(v: &[f32], rows: &[&[f32]]) -> Vec<f64> {
    let d = rows.iter().fold(v.len(), |m, r| m.min(r.len()));
    let mut sums = vec![0.0f64; rows.len()];
    vectorized(
        #[inline(always)]
        || {
            for start in (0..d).step_by(BLOCK) {
                let r = start..(start + BLOCK).min(d);
                let a = &v[r.clone()];
                let mut quads = rows.chunks_exact(4);
                let mut at = 0;
                for q in quads.by_ref() {
                    let four = super::four_pairs::block_sq_distances(a, std::array::from_fn(|p| &q[p][r.clone()]));
                    for (s, p) in sums[at..at + 4].iter_mut().zip(four) {
                        *s += p;
                    }
                    at += 4;
                }
                for (s, b) in sums[at..].iter_mut().zip(quads.remainder()) {
                    *s += block_sq_distance(a, &b[r.clone()]);
                }
            }
        },
    );
    sums.into_iter().map(|s| if s.is_finite() { s } else { f64::INFINITY }).collect()
}

/// Blocks a parallel task takes at least, for blocks of `work` operations
/// each: about a million operations (a fraction of a millisecond), below which
/// waking another thread costs more than it saves. JUMP's search calls the
/// kernels dozens of times per step on MNIST-sized vectors.
fn blocks_per_task(work: usize) -> usize {
    const TASK: usize = 1 << 20;
    TASK.div_ceil(work.max(1))
}

/// Vectors per tile of `pairwise_sq_distances`: 2 × 16 slices of a block, 512 KB, in L2.
const TILE: usize = 16;

/// Σ_j (a_j − b_j)² over one block, in `f64` (8 lanes, then the remainder in order).
#[inline(always)]
pub(super) fn block_sq_distance(a: &[f32], b: &[f32]) -> f64 {
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
    finish(acc, ra, rb)
}

/// The lanes' sum in lane order, then the remainder's squared differences in order.
#[inline(always)]
pub(super) fn finish(acc: [f64; 8], ra: &[f32], rb: &[f32]) -> f64 {
    let mut s: f64 = acc.iter().sum();
    for (&x, &y) in ra.iter().zip(rb) {
        s += (f64::from(x) - f64::from(y)).powi(2);
    }
    s
}

/// Mean of the vectors at `idx`, accumulated in `f64` in the order of `idx`.
/// Empty `idx` gives an empty vector.
pub(crate) fn mean_of(v: &Vectors, idx: &[usize]) -> Vec<f32> {
    means_of(v, std::slice::from_ref(&idx.to_vec())).pop().unwrap_or_default()
}

/// For each index set, the mean of those vectors (as [`mean_of`]), all computed
/// in one pass over the data: chunk by chunk of [`MEAN_CHUNK`] coordinates, so
/// each chunk of the inputs (n = 1,200 vectors: 1.2 MB) stays in cache while
/// every output that needs it is summed. Each coordinate's sum is the same
/// sequence of `f64` additions in the order of its set, whatever the chunks
/// or threads.
pub(crate) fn means_of(v: &Vectors, sets: &[Vec<usize>]) -> Vec<Vec<f32>> {
    let d = dim(v);
    let mut outs: Vec<Vec<f32>> = sets.iter().map(|s| vec![0.0f32; if s.is_empty() { 0 } else { d }]).collect();
    let mut chunks: Vec<Vec<&mut [f32]>> =
        (0..d.div_ceil(MEAN_CHUNK)).map(|_| Vec::with_capacity(sets.len())).collect();
    for out in &mut outs {
        for (c, chunk) in out.chunks_mut(MEAN_CHUNK).enumerate() {
            chunks[c].push(chunk);
        }
    }
    chunks.into_par_iter().enumerate().for_each(|(c, outs)| {
        let start = c * MEAN_CHUNK;
        // The remainder after the runs of SUMS: fewer than SUMS coordinates.
        let mut acc = [0.0f64; SUMS];
        let nonempty = sets.iter().filter(|s| !s.is_empty());
        vectorized(
            #[inline(always)]
            || {
                for (out, set) in outs.into_iter().zip(nonempty) {
                    let k = set.len() as f64;
                    // Runs of `SUMS` coordinates whose sums stay in registers
                    // over the whole set (no load and store of the sums per
                    // vector); each coordinate still adds the set's vectors in
                    // the set's order, so the bits are those of one long loop.
                    let mut runs = out.chunks_exact_mut(SUMS);
                    let mut at = start;
                    for run in runs.by_ref() {
                        let mut sums = [0.0f64; SUMS];
                        for &i in set {
                            let x: &[f32; SUMS] = v[i][at..at + SUMS].try_into().expect("a run of SUMS");
                            for (s, &x) in sums.iter_mut().zip(x) {
                                *s += f64::from(x);
                            }
                        }
                        for (o, s) in run.iter_mut().zip(sums) {
                            *o = (s / k) as f32;
                        }
                        at += SUMS;
                    }
                    let rest = runs.into_remainder();
                    let acc = &mut acc[..rest.len()];
                    acc.fill(0.0);
                    for &i in set {
                        for (a, &x) in acc.iter_mut().zip(&v[i][at..at + rest.len()]) {
                            *a += f64::from(x);
                        }
                    }
                    for (o, a) in rest.iter_mut().zip(acc.iter()) {
                        *o = (a / k) as f32;
                    }
                }
            },
        );
    });
    outs
}

/// Coordinates whose sums [`means_of`] keeps in registers: 8 AVX-512 registers of 8 f64.
const SUMS: usize = 64;

/// Coordinates per task of [`means_of`]: 1 KB of each input vector.
const MEAN_CHUNK: usize = 256;

/// Row-major m × m Gram matrix of the rows centred on the first one,
/// `G_ik = Σ_j (x_i[j] − x_0[j]) (x_k[j] − x_0[j])`, in `f64`: per block with
/// 8 lanes, blocks added in block order.
pub(crate) fn centered_gram(rows: &[&[f32]]) -> Vec<f64> {
    let m = rows.len();
    let d = rows.iter().map(|r| r.len()).min().unwrap_or(0);
    let pairs: Vec<(usize, usize)> = (1..m).flat_map(|i| (i..m).map(move |k| (i, k))).collect();
    let partials: Vec<Vec<f64>> = (0..d.div_ceil(BLOCK))
        .into_par_iter()
        .with_min_len(blocks_per_task(pairs.len() * BLOCK))
        .map(|b| {
            let r = b * BLOCK..((b + 1) * BLOCK).min(d);
            let base = &rows[0][r.clone()];
            vectorized(
                #[inline(always)]
                || {
                    let dot =
                        |(i, k): &(usize, usize)| block_centered_dot(&rows[*i][r.clone()], &rows[*k][r.clone()], base);
                    pairs.iter().map(dot).collect()
                },
            )
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

/// `centered_gram`'s entries between `v` and each of `rows` (centred on
/// `base`, the Gram matrix's first row), each computed as the matrix computes
/// it (blocks added in block order; the product of two differences does not
/// depend on their order): for callers that hold the rest of the matrix.
pub(crate) fn centered_dots_to(v: &[f32], rows: &[&[f32]], base: &[f32]) -> Vec<f64> {
    let d = rows.iter().fold(v.len().min(base.len()), |m, r| m.min(r.len()));
    vectorized(
        #[inline(always)]
        || {
            let dot = |r: &&[f32]| {
                (0..d).step_by(BLOCK).fold(0.0, |s, b| {
                    let at = b..(b + BLOCK).min(d);
                    s + block_centered_dot(&r[at.clone()], &v[at.clone()], &base[at])
                })
            };
            rows.iter().map(dot).collect()
        },
    )
}

/// Σ_j (a_j − c_j)(b_j − c_j) over one block, in `f64`.
#[inline(always)]
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
pub(crate) fn weighted_mean(rows: &[&[f32]], w: &[f64]) -> Vec<f32> {
    combination(rows, w, w.iter().sum())
}

/// `Σ_i w_i x_i / divisor`, per coordinate in `f64`, in row order: a mean of
/// scaled rows (clipped ones, say) without copying them.
pub(crate) fn combination(rows: &[&[f32]], w: &[f64], divisor: f64) -> Vec<f32> {
    let d = rows.iter().map(|r| r.len()).min().unwrap_or(0);
    let mut out = vec![0.0f32; d];
    out.par_chunks_mut(BLOCK).with_min_len(blocks_per_task(rows.len() * BLOCK)).enumerate().for_each(|(b, chunk)| {
        let start = b * BLOCK;
        let mut acc = vec![0.0f64; chunk.len()];
        vectorized(
            #[inline(always)]
            || {
                for (row, &wi) in rows.iter().zip(w) {
                    for (a, &x) in acc.iter_mut().zip(&row[start..start + chunk.len()]) {
                        *a += wi * f64::from(x);
                    }
                }
            },
        );
        for (o, a) in chunk.iter_mut().zip(acc) {
            *o = (a / divisor) as f32;
        }
    });
    out
}

/// ⟨a, b⟩ in `f64`, in index order.
pub(crate) fn dot(a: &[f32], b: &[f32]) -> f64 {
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
        assert_eq!(mean_of(&v, &[0, 1]), vec![1.0]);
    }

    #[test]
    fn clipping() {
        assert_eq!(clipped(&[3.0, 4.0], 1.0), vec![0.6, 0.8]);
        assert_eq!(clipped(&[3.0, 4.0], 5.0), vec![3.0, 4.0]);
        assert!(clipped(&[f32::NAN, 1.0], 1.0)[0].is_nan());
    }

    /// The tiled loops give exactly the sums of the plain ones: per pair, the
    /// blocks' sums added in block order; per mean, the set's vectors added in
    /// the set's order, in f64.
    #[test]
    fn tiles_and_chunks_keep_every_bit() {
        // The last block has a 256-chunk with runs of 64 and a remainder.
        let (n, d) = (37, 2 * BLOCK + 100);
        let v: Vec<Vec<f32>> =
            (0..n).map(|i| (0..d).map(|j| ((i * 7919 + j * 104_729) % 1000) as f32 * 0.013 - 6.1).collect()).collect();
        let got = pairwise_sq_distances(&v);
        for i in 0..n {
            for j in 0..n {
                let blocks = (0..d.div_ceil(BLOCK)).map(|b| b * BLOCK..((b + 1) * BLOCK).min(d));
                let want = if i == j {
                    0.0
                } else {
                    blocks.fold(0.0, |s, r| s + block_sq_distance(&v[i][r.clone()], &v[j][r]))
                };
                assert_eq!(got[i * n + j].to_bits(), want.to_bits(), "({i}, {j})");
            }
        }
        let sets: Vec<Vec<usize>> = (0..n).map(|i| (0..n).filter(|j| (i + j) % 3 != 0).rev().collect()).collect();
        for (set, mean) in sets.iter().zip(means_of(&v, &sets)) {
            for (c, m) in mean.iter().enumerate() {
                let want = (set.iter().fold(0.0f64, |s, &i| s + f64::from(v[i][c])) / set.len() as f64) as f32;
                assert_eq!(m.to_bits(), want.to_bits());
            }
        }
    }
}
