//! Coordinate-wise mean (plain averaging, the non-robust baseline).
//!
//! `mean(v)_j = (1/n) Σ_i v_i[j]`. This is the aggregation rule of standard
//! distributed (mini-batch) SGD, used as the reference in every robust
//! aggregation paper, e.g. Blanchard et al., "Machine Learning with
//! Adversaries: Byzantine Tolerant Gradient Descent", NeurIPS 2017.
//!
//! Sums are accumulated in `f64` in index order, so the result is accurate and
//! bit-for-bit deterministic. Preconditions (caller guarantees): all vectors
//! have the same length. `n = 0` yields an empty vector. Non-finite inputs
//! propagate (IEEE semantics) and never panic.

use super::Vectors;
use super::{Capabilities, RuleEntry};
use crate::spec::{Kind, Spec};

/// Coordinates per block: each block's `f64` sums (128 KB) stay in a core's L2.
pub(crate) const BLOCK: usize = 1 << 14;

/// Coordinate-wise average of the vectors, accumulated in `f64`. Blocks of
/// coordinates run in parallel; each coordinate's sum is in index order.
pub fn mean(v: &Vectors) -> Vec<f32> {
    use rayon::prelude::*;
    let Some(first) = v.first() else {
        return Vec::new();
    };
    let mut out = vec![0f32; first.len()];
    out.par_chunks_mut(BLOCK).enumerate().for_each(|(b, out)| {
        let piece = b * BLOCK..b * BLOCK + out.len();
        block_mean(v.iter().map(|x| &x[piece.clone()]), v.len(), out);
    });
    out
}

/// [`mean`] of the rows, each rewritten first by `update(row, start, piece)`
/// (the piece of row `row` from coordinate `start`), block by block, so that
/// each piece is summed while it is still in cache: one pass over the rows
/// instead of two. Momentum's update and the honest mean an attack reads
/// were two passes over 12 × 1.2 M numbers of the MNIST CNN, bound by memory
/// (`perf`: 1.8 % and 2.3 % of a step's samples). The same numbers as
/// `update` on every row and then [`mean`] (rows of equal length).
pub(crate) fn mean_updating<F>(rows: &mut [Vec<f32>], update: F) -> Vec<f32>
where
    F: Fn(usize, usize, &mut [f32]) + Sync,
{
    use rayon::prelude::*;
    let Some(d) = rows.first().map(Vec::len) else {
        return Vec::new();
    };
    assert!(rows.iter().all(|r| r.len() == d), "mean_updating: rows of unequal length");
    let n = rows.len();
    // The rows' pieces, gathered block by block.
    let mut blocks: Vec<Vec<&mut [f32]>> = (0..d.div_ceil(BLOCK)).map(|_| Vec::with_capacity(n)).collect();
    for row in rows.iter_mut() {
        row.chunks_mut(BLOCK).zip(&mut blocks).for_each(|(piece, block)| block.push(piece));
    }
    let mut out = vec![0f32; d];
    out.par_chunks_mut(BLOCK).zip(blocks.par_iter_mut()).enumerate().for_each(|(b, (out, pieces))| {
        for (row, piece) in pieces.iter_mut().enumerate() {
            update(row, b * BLOCK, piece);
        }
        block_mean(pieces.iter().map(|p| &**p), n, out);
    });
    out
}

/// One block of [`mean`]: `out` = (Σ pieces, in order, in `f64` from 0) / n.
fn block_mean<'a>(pieces: impl Iterator<Item = &'a [f32]>, n: usize, out: &mut [f32]) {
    let mut acc = vec![0.0f64; out.len()];
    for piece in pieces {
        for (a, &x) in acc.iter_mut().zip(piece) {
            *a += f64::from(x);
        }
    }
    let n = n as f64;
    out.iter_mut().zip(acc).for_each(|(o, a)| *o = (a / n) as f32);
}

/// The registry entry of the plain mean (`mean`), the non-robust baseline.
pub const ENTRY: RuleEntry = RuleEntry {
    spec: Spec {
        name: "mean",
        kind: Kind::Rule,
        aliases: &["average"],
        summary: "the plain average (not robust)",
        doc: "F(x_1..x_n) = (1/n) Σ x_i, the D-SGD update (001 §2).",
        params: &[],
        requires: None,
        degenerate: None,
        needs_labels: false,
    },
    build: |_| Box::new(|v, _| mean(v)),
    capabilities: Capabilities::NONE,
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_and_single() {
        assert!(mean(&[]).is_empty());
        assert_eq!(mean(&[vec![1.5, -2.0]]), vec![1.5, -2.0]);
    }

    #[test]
    fn hand_computed() {
        let v = [vec![1.0, 2.0], vec![3.0, -4.0], vec![5.0, 8.0]];
        // (1+3+5)/3 = 3, (2-4+8)/3 = 2
        assert_eq!(mean(&v), vec![3.0, 2.0]);
        let v = [vec![0.0, 1.0], vec![1.0, 0.0]];
        assert_eq!(mean(&v), vec![0.5, 0.5]);
    }

    #[test]
    fn accumulates_in_f64() {
        // In f32, 1e8 + 1 rounds back to 1e8 and the sum would be 0.
        let v = [vec![1e8], vec![1.0], vec![-1e8]];
        assert_eq!(mean(&v), vec![1.0 / 3.0]);
    }

    #[test]
    fn non_finite_does_not_panic() {
        let v = [vec![f32::NAN, 1.0], vec![0.0, f32::INFINITY]];
        let m = mean(&v);
        assert!(m[0].is_nan() && m[1] == f32::INFINITY);
    }

    #[test]
    fn mean_updating_is_update_then_mean_bit_for_bit() {
        // Across blocks (BLOCK = 2^14), values over many binades so that a
        // changed order of additions would change bits.
        let d = 2 * BLOCK + 77;
        let rows: Vec<Vec<f32>> = (0..7)
            .map(|w| (0..d).map(|i| ((i * 31 + w * 7) % 97) as f32 * 2f32.powi((i % 40) as i32 - 20) - 3.0).collect())
            .collect();
        let update = |row: usize, start: usize, piece: &mut [f32]| {
            piece.iter_mut().enumerate().for_each(|(i, x)| *x = 0.9 * *x + (start + i + row) as f32 * 1e-3)
        };
        let mut want = rows.clone();
        want.iter_mut().enumerate().for_each(|(r, row)| update(r, 0, row));
        let mut got = rows.clone();
        let mean_got = mean_updating(&mut got, update);
        assert_eq!(got, want);
        let (a, b): (Vec<u32>, Vec<u32>) =
            (mean_got.iter().map(|x| x.to_bits()).collect(), mean(&want).iter().map(|x| x.to_bits()).collect());
        assert_eq!(a, b);
        assert!(mean_updating(&mut [], update).is_empty());
        assert_eq!(mean_updating(&mut [vec![]], update), Vec::<f32>::new());
    }

    #[test]
    fn permutation_invariant() {
        let (v, w) = crate::aggregate::testing::reordered(7, (0, 3));
        assert_eq!(mean(&v), mean(&w));
    }
}
