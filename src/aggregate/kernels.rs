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

use std::collections::HashMap;

use rayon::prelude::*;

use super::Vectors;
use super::exact_sums;

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
/// cancels for close vectors (exactly the case an attack such as ALIE
/// creates), while Σ(a_j − b_j)² has only positive terms (see [`pair_tile`]
/// for what the Gram matrix measured). Everything is in `f64` (an `f32`
/// accumulation changed Krum's choices among near-equal vectors, e.g. under
/// `attack none`); within a block 8 lanes accumulate (each square fused into
/// its addition), and block sums are added in block order. For d < 8 the sum
/// is the plain sequential one.
///
/// A finite vector equal (bit for bit) to the one before it is not compared
/// again but given that one's row: attacks send f copies of one vector
/// (`sf`, `alie`, `ipm`, `foe`, ...), and a copy's distances are the first
/// copy's additions, 0 among the copies.
///
/// [`pair_tile`]: super::pair_tile
pub(crate) fn pairwise_sq_distances(v: &Vectors) -> Vec<f64> {
    let n = v.len();
    let (rows, of) = distinct_rows(v, dim(v));
    let m = rows.len();
    let distinct = distinct_sq_distances::<Exact>(&rows);
    if m == n {
        return distinct;
    }
    let mut full = vec![0.0f64; n * n];
    for i in 0..n {
        for j in 0..n {
            full[i * n + j] = distinct[of[i] * m + of[j]];
        }
    }
    full
}

/// The distinct vectors (cut to `d`), and which of them each vector is: a
/// finite vector equal, bit for bit, to the one before it is that one.
pub(super) fn distinct_rows(v: &Vectors, d: usize) -> (Vec<&[f32]>, Vec<usize>) {
    let mut rows: Vec<&[f32]> = Vec::with_capacity(v.len());
    let mut of = Vec::with_capacity(v.len());
    for x in v {
        if !rows.last().is_some_and(|last| copy_of(&x[..d], last)) {
            rows.push(&x[..d]);
        }
        of.push(rows.len() - 1);
    }
    (rows, of)
}

/// The runs of copies in `v` (cut to `d`), as in [`distinct_rows`]: each
/// run's vector and length, or `None` once there are more than `most` runs
/// (the rest of `v` is then not read).
pub(super) fn runs_of_copies(v: &Vectors, d: usize, most: usize) -> Option<Vec<(&[f32], usize)>> {
    let mut runs: Vec<(&[f32], usize)> = Vec::with_capacity(most + 1);
    for x in v {
        let x = &x[..d];
        if let Some((last, count)) = runs.last_mut()
            && copy_of(x, last)
        {
            *count += 1;
        } else if runs.len() == most {
            return None;
        } else {
            runs.push((x, 1));
        }
    }
    Some(runs)
}

/// Whether `x` is a copy of the finite vector `last`, bit for bit (both cut to one length).
fn copy_of(x: &[f32], last: &[f32]) -> bool {
    // One pass over both: equal bits, and finite.
    x.iter().zip(last).all(|(a, b)| a.to_bits() == b.to_bits() && b.is_finite())
}

/// How one block's squared distances are summed: [`Exact`] here, or in single
/// precision to screen Krum's choices (`aggregate::screen`).
pub(super) trait BlockKernel {
    /// The R × 4 pairs of one block, as [`pair_tile::block_sq_distances`].
    ///
    /// [`pair_tile::block_sq_distances`]: super::pair_tile::block_sq_distances
    fn rows<const R: usize>(a: [&[f32]; R], b: [&[f32]; 4]) -> [[f64; 4]; R];
    /// One pair of one block.
    fn pair(a: &[f32], b: &[f32]) -> f64 {
        block_sq_distance(a, b)
    }
}

/// The `f64` sums every rule's distances are.
pub(super) struct Exact;

impl BlockKernel for Exact {
    #[inline(always)]
    fn rows<const R: usize>(a: [&[f32]; R], b: [&[f32]; 4]) -> [[f64; 4]; R] {
        super::pair_tile::block_sq_distances(a, b)
    }
}

/// [`pairwise_sq_distances`] of `v`'s rows, all equally long, each block's
/// pairs summed by `K`.
pub(super) fn distinct_sq_distances<K: BlockKernel>(v: &[&[f32]]) -> Vec<f64> {
    let n = v.len();
    let d = v.first().map_or(0, |x| x.len());
    // Tasks are (block of coordinates, pair of tiles of vectors, the second
    // not before the first): the 2 × TILE slices a task reads (16 KB each)
    // stay in L2 while it computes its pairs, instead of streaming all n
    // slices from memory for every vector.
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
            let (rows, cols) = (ti * TILE..((ti + 1) * TILE).min(n), tj * TILE..((tj + 1) * TILE).min(n));
            let slice = |i: usize| &v[i][r.clone()];
            // Pair (i, j) of the tile at (i − rows.start) · TILE + j − cols.start; only j > i is read.
            let mut out = vec![0.0f64; TILE * TILE];
            let mut put = |i: usize, j: usize, x: f64| out[(i - rows.start) * TILE + j - cols.start] = x;
            vectorized(
                #[inline(always)]
                || {
                    for j0 in cols.clone().step_by(4) {
                        let js = j0..(j0 + 4).min(cols.end);
                        // Rows with a pair above the diagonal in these columns.
                        let is = rows.start..rows.end.min(js.end - 1);
                        if js.len() < 4 {
                            for i in is {
                                for j in js.clone().filter(|&j| j > i) {
                                    put(i, j, K::pair(slice(i), slice(j)));
                                }
                            }
                            continue;
                        }
                        // 4 × 4 tiles, the diagonal's too (its pairs below the diagonal are computed
                        // and not read: a tile costs a third of four rows one by one), then rows one by one.
                        let b: [&[f32]; 4] = std::array::from_fn(|q| slice(j0 + q));
                        let mut i = is.start;
                        while i < is.end {
                            if i + 4 <= rows.end {
                                let t = K::rows::<4>(std::array::from_fn(|p| slice(i + p)), b);
                                for (p, row) in t.iter().enumerate() {
                                    for (q, &x) in row.iter().enumerate() {
                                        put(i + p, j0 + q, x);
                                    }
                                }
                                i += 4;
                            } else {
                                let [row] = K::rows([slice(i)], b);
                                for (q, &x) in row.iter().enumerate() {
                                    put(i, j0 + q, x);
                                }
                                i += 1;
                            }
                        }
                    }
                },
            );
            out
        })
        .collect();
    // Block sums added in block order: tasks are listed block by block.
    let mut sums = vec![0.0f64; n * n];
    for (&(_, ti, tj), p) in tasks.iter().zip(&partials) {
        for i in ti * TILE..((ti + 1) * TILE).min(n) {
            for j in (tj * TILE).max(i + 1)..((tj + 1) * TILE).min(n) {
                sums[i * n + j] += p[(i - ti * TILE) * TILE + j - tj * TILE];
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
                    let [four] = super::pair_tile::block_sq_distances([a], std::array::from_fn(|p| &q[p][r.clone()]));
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
pub(super) fn blocks_per_task(work: usize) -> usize {
    const TASK: usize = 1 << 20;
    TASK.div_ceil(work.max(1))
}

/// Vectors per tile of `pairwise_sq_distances`: 2 × 16 slices of a block, 512 KB, in L2.
const TILE: usize = 16;

/// Σ_j (a_j − b_j)² over one block, in `f64`: 8 lanes, each square fused into
/// its lane's addition (`mul_add` rounds once, as the vector kernels' FMA),
/// then [`finish`].
#[inline(always)]
pub(super) fn block_sq_distance(a: &[f32], b: &[f32]) -> f64 {
    const LANES: usize = 8;
    let mut acc = [0.0f64; LANES];
    let (ca, cb) = (a.chunks_exact(LANES), b.chunks_exact(LANES));
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        for k in 0..LANES {
            let t = f64::from(x[k]) - f64::from(y[k]);
            acc[k] = t.mul_add(t, acc[k]);
        }
    }
    finish(acc, ra, rb)
}

/// The lanes' sum in lane order, then the remainder's squared differences in
/// order (not fused: a vector shorter than 8, as the two-wells problem's,
/// keeps the plain sum of squares).
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
///
/// A set that repeats an earlier one is summed once: the same additions give
/// the same bits. NNM under an attack far from the honest vectors has one set
/// for every honest vector and one for every copy of the attack.
pub(crate) fn means_of(v: &Vectors, sets: &[Vec<usize>]) -> Vec<Vec<f32>> {
    let mut first: HashMap<&[usize], usize> = HashMap::with_capacity(sets.len());
    let mut distinct: Vec<&[usize]> = Vec::new();
    let which: Vec<usize> = sets
        .iter()
        .map(|s| {
            *first.entry(s).or_insert_with(|| {
                distinct.push(s);
                distinct.len() - 1
            })
        })
        .collect();
    let mut means: Vec<Option<Vec<f32>>> = means_of_distinct(v, &distinct).into_iter().map(Some).collect();
    // Each mean moves to its last user and is copied for the others.
    let mut last = vec![0; distinct.len()];
    for (at, &k) in which.iter().enumerate() {
        last[k] = at;
    }
    let copy = |k: usize, at: usize, means: &mut [Option<Vec<f32>>]| {
        if last[k] == at { means[k].take() } else { means[k].clone() }.unwrap_or_default()
    };
    which.iter().enumerate().map(|(at, &k)| copy(k, at, &mut means)).collect()
}

/// [`means_of`] for sets that do not repeat.
fn means_of_distinct(v: &Vectors, sets: &[&[usize]]) -> Vec<Vec<f32>> {
    let d = dim(v);
    let mut outs: Vec<Vec<f32>> = sets.iter().map(|s| vec![0.0f32; if s.is_empty() { 0 } else { d }]).collect();
    let mut chunks: Vec<Vec<&mut [f32]>> =
        (0..d.div_ceil(MEAN_CHUNK)).map(|_| Vec::with_capacity(sets.len())).collect();
    for out in &mut outs {
        for (c, chunk) in out.chunks_mut(MEAN_CHUNK).enumerate() {
            chunks[c].push(chunk);
        }
    }
    let n = v.len();
    // Sets summed from the total or the set before, where that keeps the bits.
    let plan = exact_sums::plan(n, sets);
    chunks.into_par_iter().enumerate().for_each(|(c, outs)| {
        let start = c * MEAN_CHUNK;
        let runs_here = (d - start).min(MEAN_CHUNK) / SUMS;
        // The remainder after the runs of SUMS: fewer than SUMS coordinates.
        let mut acc = [0.0f64; SUMS];
        let mut total = [0.0f64; MEAN_CHUNK];
        let mut exact = [false; MEAN_CHUNK / SUMS];
        // The last planned set's sums, run by run.
        let mut previous = [[0.0f64; SUMS]; MEAN_CHUNK / SUMS];
        let nonempty = sets.iter().enumerate().filter(|(_, s)| !s.is_empty());
        vectorized(
            #[inline(always)]
            || {
                if plan.is_some() {
                    // All n vectors summed in order, and each coordinate's span of exponents.
                    let len = runs_here * SUMS;
                    let mut span = [exact_sums::Span::EMPTY; MEAN_CHUNK];
                    for x in v {
                        for ((t, s), &x) in total.iter_mut().zip(span.iter_mut()).zip(&x[start..start + len]) {
                            *t += f64::from(x);
                            *s = s.add(x);
                        }
                    }
                    for (e, run) in exact.iter_mut().zip(span[..len].chunks_exact(SUMS)) {
                        *e = run.iter().all(|s| s.exact_for(n));
                    }
                }
                for (out, (k_set, set)) in outs.into_iter().zip(nonempty) {
                    let k = set.len() as f64;
                    let via = plan.as_ref().and_then(|p| p[k_set].as_ref());
                    // Runs of `SUMS` coordinates whose sums stay in registers
                    // over the whole set (no load and store of the sums per
                    // vector); each coordinate still adds the set's vectors in
                    // the set's order, so the bits are those of one long loop.
                    let mut runs = out.chunks_exact_mut(SUMS);
                    let mut at = start;
                    for (r, run) in runs.by_ref().enumerate() {
                        let sums = match via {
                            Some(via) if exact[r] => {
                                let mut sums: [f64; SUMS] = if via.from_previous {
                                    previous[r]
                                } else {
                                    total[r * SUMS..(r + 1) * SUMS].try_into().expect("a run of SUMS")
                                };
                                for &i in &via.subtract {
                                    let x: &[f32; SUMS] = v[i][at..at + SUMS].try_into().expect("a run of SUMS");
                                    for (s, &x) in sums.iter_mut().zip(x) {
                                        *s -= f64::from(x);
                                    }
                                }
                                for &i in &via.add {
                                    let x: &[f32; SUMS] = v[i][at..at + SUMS].try_into().expect("a run of SUMS");
                                    for (s, &x) in sums.iter_mut().zip(x) {
                                        *s += f64::from(x);
                                    }
                                }
                                previous[r] = sums;
                                sums
                            }
                            _ => {
                                let mut sums = [0.0f64; SUMS];
                                for &i in set.iter() {
                                    let x: &[f32; SUMS] = v[i][at..at + SUMS].try_into().expect("a run of SUMS");
                                    for (s, &x) in sums.iter_mut().zip(x) {
                                        *s += f64::from(x);
                                    }
                                }
                                sums
                            }
                        };
                        for (o, s) in run.iter_mut().zip(sums) {
                            *o = (s / k) as f32;
                        }
                        at += SUMS;
                    }
                    let rest = runs.into_remainder();
                    if rest.is_empty() {
                        continue; // every chunk but the last: not a pass over the set for nothing
                    }
                    let acc = &mut acc[..rest.len()];
                    acc.fill(0.0);
                    for &i in set.iter() {
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
            // Plain loops: an iterator adapter's fold is a function of its own,
            // compiled for baseline x86-64 outside `vectorized` (measured: SSE2
            // code, 20 % of a JUMP run under GM).
            vectorized(
                #[inline(always)]
                || {
                    let mut out = Vec::with_capacity(pairs.len());
                    for &(i, k) in &pairs {
                        out.push(block_centered_dot(&rows[i][r.clone()], &rows[k][r.clone()], base));
                    }
                    out
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
    // Plain loops, as in `centered_gram`.
    vectorized(
        #[inline(always)]
        || {
            let mut out = Vec::with_capacity(rows.len());
            for r in rows {
                let mut s = 0.0;
                let mut b = 0;
                while b < d {
                    let at = b..(b + BLOCK).min(d);
                    s += block_centered_dot(&r[at.clone()], &v[at.clone()], &base[at]);
                    b += BLOCK;
                }
                out.push(s);
            }
            out
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

/// Each row's [`norm`], bit for bit, for many rows at once. `norm`'s sum is
/// one chain of `f64` additions, each waiting for the one before (3–4 cycles
/// on the CPUs here: 12 CNN gradients of 1.2 M numbers took about 3 % of the
/// step's samples in `perf` before this kernel; 0.8–1.9 % with it, in later
/// sittings);
/// here the chains of up to [`LANES`] rows advance together, each still in
/// index order, and the groups of rows run on the threads.
pub(crate) fn norms(rows: &[&[f32]]) -> Vec<f64> {
    let groups = rows.len().div_ceil(LANES).max(1);
    // Groups of equal size, so that 12 rows make two groups of 6, not 8 and 4.
    let size = rows.len().div_ceil(groups).max(1);
    let work: usize = rows.iter().map(|r| r.len()).sum();
    let min = crate::task::min_len(work, groups);
    let sums: Vec<Vec<f64>> = rows.par_chunks(size).with_min_len(min).map(sums_of_squares).collect();
    sums.into_iter().flatten().map(f64::sqrt).collect()
}

/// Rows whose sums [`norms`] interleaves: enough independent chains to keep
/// both of a core's adders busy.
const LANES: usize = 8;

/// Σ x² of each of at most [`LANES`] rows, each in index order from −0.0 (as
/// `Iterator::sum` starts), chained together up to the shortest row.
fn sums_of_squares(rows: &[&[f32]]) -> Vec<f64> {
    fn interleaved<const L: usize>(rows: &[&[f32]]) -> Vec<f64> {
        let d = rows.iter().map(|r| r.len()).min().unwrap_or(0);
        let heads: [&[f32]; L] = std::array::from_fn(|k| &rows[k][..d]);
        let mut acc = [-0.0f64; L];
        // One index into all L rows: entry i of every row before entry i + 1 of any.
        #[allow(clippy::needless_range_loop)]
        for i in 0..d {
            for k in 0..L {
                let x = f64::from(heads[k][i]);
                acc[k] += x * x;
            }
        }
        for (a, row) in acc.iter_mut().zip(rows) {
            *a = row[d..].iter().fold(*a, |a, &x| a + f64::from(x) * f64::from(x));
        }
        acc.to_vec()
    }
    match rows.len() {
        8 => interleaved::<8>(rows),
        7 => interleaved::<7>(rows),
        6 => interleaved::<6>(rows),
        5 => interleaved::<5>(rows),
        4 => interleaved::<4>(rows),
        3 => interleaved::<3>(rows),
        2 => interleaved::<2>(rows),
        1 => interleaved::<1>(rows),
        // Zero rows: `norms` never makes a group of more than LANES.
        _ => rows.iter().map(|r| r.iter().map(|&t| f64::from(t).powi(2)).sum()).collect(),
    }
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

    /// Close vectors keep their distances (coordinates 1 ± 0.005: norms about
    /// 250 times the distances), against Σ(a_j − b_j)² summed in `f64` one
    /// coordinate at a time; a copy of a vector has its row and is at distance
    /// exactly 0, while copies of a NaN vector stay infinitely far apart.
    #[test]
    fn close_vectors_and_copies() {
        let d = 7850;
        let mut v: Vec<Vec<f32>> = (0..6)
            .map(|i| (0..d).map(|j| 1.0 + 0.01 * (((i * 7919 + j * 104_729) % 1000) as f32 * 1e-3 - 0.5)).collect())
            .collect();
        v.insert(3, v[2].clone());
        let n = v.len();
        let got = pairwise_sq_distances(&v);
        let mut worst = 0.0f64;
        for i in 0..n {
            for j in 0..n {
                let exact: f64 = v[i].iter().zip(&v[j]).map(|(&a, &b)| (f64::from(a) - f64::from(b)).powi(2)).sum();
                if exact == 0.0 {
                    assert_eq!(got[i * n + j], 0.0, "({i}, {j})");
                } else {
                    worst = worst.max((got[i * n + j] / exact - 1.0).abs());
                }
            }
        }
        assert!(worst < 1e-13, "relative error {worst:e}");
        assert_eq!(got[2 * n..3 * n], got[3 * n..4 * n]);
        let nan = vec![f32::NAN; 9];
        let got = pairwise_sq_distances(&[vec![0.0; 9], nan.clone(), nan]);
        assert_eq!(got[5], f64::INFINITY);
        assert_eq!(got[1], f64::INFINITY);
    }

    /// Sets summed as the total minus what they leave out keep the bits of the
    /// sum in the set's order: runs whose values span few binades take that
    /// path, runs with a wide span, a NaN or an infinity are summed in order.
    #[test]
    fn sums_via_the_total_keep_every_bit() {
        let (n, d) = (41, 3 * MEAN_CHUNK + 70);
        let v: Vec<Vec<f32>> = (0..n)
            .map(|i| {
                (0..d)
                    .map(|j| {
                        let x = ((i * 7919 + j * 104_729) as f32).sin() * 3.0;
                        match j / SUMS {
                            // Few binades: the exact path.
                            0 | 2 => x,
                            // ±2^40 in vectors 0, 7, 14 and 21 (in every set), cancelling
                            // within each set: refused, summed in order.
                            1 if i % 7 == 0 && i < 28 => [1.0, -1.0, 3.0, -3.0][i / 7] * 2f32.powi(40),
                            1 => x,
                            // Mostly zeros and -0.0, one subnormal.
                            3 => [0.0, -0.0, f32::from_bits(3), 0.0][(i + j) % 4],
                            4 if i == 5 && j % 3 == 0 => [f32::NAN, f32::INFINITY, f32::NEG_INFINITY][j % 9 / 3],
                            _ => x * 2f32.powi((i % 5) as i32),
                        }
                    })
                    .collect()
            })
            .collect();
        // Sets far apart (from the total), and sets a vector apart (each from the one before).
        let sets: Vec<Vec<usize>> = (0..n)
            .map(|i| (0..n).filter(|j| (i * j) % 7 != 3).collect())
            .chain((0..n).map(|i| (0..n).filter(|j| !(i..i + 3).contains(j)).collect()))
            .collect();
        for (set, mean) in sets.iter().zip(means_of(&v, &sets)) {
            for (c, m) in mean.iter().enumerate() {
                let want = (set.iter().fold(0.0f64, |s, &i| s + f64::from(v[i][c])) / set.len() as f64) as f32;
                assert_eq!(m.to_bits(), want.to_bits(), "coordinate {c} of {set:?}");
            }
        }
        // Both ways were taken.
        let plan = exact_sums::plan(n, &sets.iter().map(Vec::as_slice).collect::<Vec<_>>()).expect("a plan");
        assert!(plan.iter().flatten().any(|via| via.from_previous));
        assert!(plan.iter().flatten().any(|via| !via.from_previous && !via.subtract.is_empty()));
    }

    /// A repeated set is summed once and handed to each of its places.
    #[test]
    fn repeated_sets_have_the_mean_of_each() {
        let v: Vec<Vec<f32>> =
            (0..5).map(|i| (0..300).map(|j| ((i * 31 + j * 7) % 13) as f32 * 0.1).collect()).collect();
        let (a, b) = (vec![0, 2, 4], vec![1, 2, 3]);
        let got = means_of(&v, &[a.clone(), b.clone(), a.clone(), vec![], a.clone()]);
        let (ma, mb) = (mean_of(&v, &a), mean_of(&v, &b));
        assert_ne!(ma, mb);
        assert_eq!(got, vec![ma.clone(), mb, ma.clone(), vec![], ma]);
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

    /// `norms` is `norm` of each row, bit for bit: every group size from 1 to
    /// past two groups, rows of unequal length (the tails after the shortest),
    /// empty rows (−0.0, as `sum`) and non-finite entries.
    #[test]
    fn norms_are_each_rows_norm_bit_for_bit() {
        let mut rng = 0x2545_f491_4f6c_dd1du64;
        let mut next = move || {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            // Magnitudes over many binades, so that rounding in the sum matters.
            ((rng >> 40) as f32 / (1u64 << 24) as f32 - 0.5) * 2f32.powi((rng % 40) as i32 - 20)
        };
        for n in 1..=19 {
            let rows: Vec<Vec<f32>> = (0..n).map(|k| (0..1000 + 37 * (k % 4)).map(|_| next()).collect()).collect();
            let slices: Vec<&[f32]> = rows.iter().map(Vec::as_slice).collect();
            let got = norms(&slices);
            assert_eq!(got.len(), n);
            for (row, g) in rows.iter().zip(&got) {
                assert_eq!(g.to_bits(), norm(row).to_bits(), "n = {n}");
            }
        }
        let special: [&[f32]; 4] = [&[], &[f32::NAN, 1.0], &[3.0, 4.0, f32::INFINITY], &[3.0, 4.0]];
        let got = norms(&special);
        for (row, g) in special.iter().zip(&got) {
            assert_eq!(g.to_bits(), norm(row).to_bits());
        }
        assert!(
            got[0] == 0.0 && got[0].is_sign_negative() && got[1].is_nan() && got[2] == f64::INFINITY && got[3] == 5.0
        );
        assert!(norms(&[]).is_empty());
    }
}
