//! Sorting the n values of each coordinate, 16 coordinates at a time.
//!
//! Coordinate-wise rules (CM, TM, MeaMed, Bulyan's second phase) need each
//! coordinate's n values in order. Sorting them one coordinate at a time
//! (`select_nth_unstable`) costs ~100 ns per coordinate; here 16 coordinates
//! are sorted together by one sorting network whose compare-exchanges are
//! lane-wise `min`/`max`, which the compiler turns into SIMD instructions.
//!
//! Values are mapped to `i32` keys whose order is `f32::total_cmp`'s
//! (−NaN < −inf < … < −0 < +0 < … < +inf < +NaN), so the result is exactly a
//! `total_cmp` sort, NaN included, and the map is its own inverse. The network
//! is Batcher's odd–even merge sort (Knuth, TAOCP vol. 3, §5.3.4, Algorithm M)
//! for the next power of two p ≥ n, without the compare-exchanges that touch
//! positions ≥ n: those would hold +∞ padding, which every compare-exchange
//! leaves in place, so dropping them is exact. Blocks of coordinates run in
//! parallel, each writing its own slice of the output.

use rayon::prelude::*;

use super::kernels::BLOCK;

/// Coordinates sorted together.
pub const LANES: usize = 16;

/// One row per input vector; after sorting, row r holds the r-th smallest value of each lane.
pub type Rows = [[i32; LANES]];

/// The `i32` key of `x` under `f32::total_cmp`; `value(key(x))` is `x`, bit for bit.
#[inline(always)]
pub fn key(x: f32) -> i32 {
    let b = x.to_bits() as i32;
    b ^ ((((b >> 31) as u32) >> 1) as i32)
}

/// The value of a key (the inverse of [`key`]).
pub fn value(k: i32) -> f32 {
    f32::from_bits((k ^ ((((k >> 31) as u32) >> 1) as i32)) as u32)
}

/// Compare-exchanges `(i, j)`, `i < j`, that sort `n` values.
pub(crate) fn network(n: usize) -> Vec<(usize, usize)> {
    let p = n.next_power_of_two();
    let mut out = Vec::new();
    let mut step = 1;
    while step < p {
        let mut k = step;
        while k >= 1 {
            let mut j = k % step;
            while j + k < p {
                for i in 0..k.min(p - j - k) {
                    if (i + j) / (2 * step) == (i + j + k) / (2 * step) && i + j + k < n {
                        out.push((i + j, i + j + k));
                    }
                }
                j += 2 * k;
            }
            k /= 2;
        }
        step *= 2;
    }
    out
}

/// The compare-exchanges of `net` that the values left at positions `needed`
/// depend on: walking back from the end, a compare-exchange is kept when it
/// writes a position still needed, and then both its inputs are needed. The
/// kept ones leave at `needed` exactly what the whole network leaves there.
/// For the median of 120 values, 1,124 of 1,372.
pub(crate) fn pruned(net: &[(usize, usize)], needed: std::ops::Range<usize>) -> Vec<(usize, usize)> {
    let mut live: Vec<bool> =
        (0..net.iter().map(|&(_, j)| j + 1).max().unwrap_or(0).max(needed.end)).map(|p| needed.contains(&p)).collect();
    let mut kept: Vec<(usize, usize)> = net
        .iter()
        .rev()
        .filter(|&&(i, j)| {
            let keep = live[i] || live[j];
            if keep {
                (live[i], live[j]) = (true, true);
            }
            keep
        })
        .copied()
        .collect();
    kept.reverse();
    kept
}

/// For each run of up to [`LANES`] coordinates, sorts their values and calls
/// `g(rows, out)`, which writes `out.len()` (≤ LANES) results, one per lane.
pub(crate) fn sorted_coordinatewise<R, G>(v: &[R], g: G) -> Vec<f32>
where
    R: AsRef<[f32]> + Sync,
    G: Fn(&Rows, &mut [f32]) + Sync,
{
    sorted_rows_coordinatewise(v, 0..v.len(), g)
}

/// [`sorted_coordinatewise`] where `g` reads only the rows `needed` (the
/// others are left partly sorted): the median needs about 80 % of the
/// compare-exchanges of a sort.
pub(crate) fn sorted_rows_coordinatewise<R, G>(v: &[R], needed: std::ops::Range<usize>, g: G) -> Vec<f32>
where
    R: AsRef<[f32]> + Sync,
    G: Fn(&Rows, &mut [f32]) + Sync,
{
    let n = v.len();
    let d = v.iter().map(|x| x.as_ref().len()).min().unwrap_or(0);
    if n == 0 {
        return Vec::new();
    }
    let net = pruned(&network(n), needed);
    let mut out = vec![0.0f32; d];
    out.par_chunks_mut(BLOCK).enumerate().for_each(|(b, block)| {
        let mut rows = vec![[0i32; LANES]; n];
        // 16 lanes of `min`/`max` are one AVX-512 instruction each (two with
        // AVX2); baseline x86-64 has no packed 32-bit min/max at all.
        super::kernels::vectorized(
            #[inline(always)]
            || {
                for (c, lanes) in block.chunks_mut(LANES).enumerate() {
                    let start = b * BLOCK + c * LANES;
                    for (row, x) in rows.iter_mut().zip(v) {
                        let x = &x.as_ref()[start..start + lanes.len()];
                        // A full run as one array, so that its keys are
                        // vector operations (perf on the CNN's step: 1.3 of
                        // CM's 3.7 % of the samples went to these keys, one
                        // lane at a time).
                        match <&[f32; LANES]>::try_from(x) {
                            Ok(x) => *row = x.map(key),
                            Err(_) => row.iter_mut().zip(x).for_each(|(r, &t)| *r = key(t)),
                        }
                    }
                    for &(i, j) in &net {
                        let (low, high) = rows.split_at_mut(j);
                        let (a, b) = (&mut low[i], &mut high[0]);
                        for l in 0..LANES {
                            let (x, y) = (a[l], b[l]);
                            a[l] = x.min(y);
                            b[l] = x.max(y);
                        }
                    }
                    g(&rows, lanes);
                }
            },
        );
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_order_as_total_cmp_and_invert() {
        let xs = [f32::NAN.copysign(-1.0), f32::NEG_INFINITY, -1.5, -0.0, 0.0, 1e-40, 2.0, f32::INFINITY, f32::NAN];
        for w in xs.windows(2) {
            assert!(key(w[0]) < key(w[1]), "{} < {}", w[0], w[1]);
        }
        for x in xs {
            assert_eq!(value(key(x)).to_bits(), x.to_bits());
        }
    }

    #[test]
    fn networks_sort_every_zero_one_input() {
        // The 0-1 principle (Knuth §5.3.4, Thm. Z): a network sorts all inputs iff it sorts all 0-1 inputs.
        for n in 1..=16 {
            let net = network(n);
            for bits in 0u32..(1 << n) {
                let mut a: Vec<u32> = (0..n).map(|i| (bits >> i) & 1).collect();
                for &(i, j) in &net {
                    if a[i] > a[j] {
                        a.swap(i, j);
                    }
                }
                assert!(a.windows(2).all(|w| w[0] <= w[1]), "n = {n}, input {bits:b}");
            }
        }
        assert_eq!((network(15).len(), network(16).len()), (59, 63));
    }

    /// A pruned network leaves every 0-1 input's needed positions as the sort
    /// does (the 0-1 principle holds for each output position), and on the
    /// median of 120 it drops about a fifth of the network.
    #[test]
    fn pruned_networks_keep_the_needed_positions() {
        for n in 1..=14 {
            let net = network(n);
            for needed in [0..1, n / 2..n / 2 + 1, (n - 1) / 2..n / 2 + 1, n - 1..n, 1..(n - 1).max(1)] {
                let kept = pruned(&net, needed.clone());
                for bits in 0u32..(1 << n) {
                    let run = |net: &[(usize, usize)]| {
                        let mut a: Vec<u32> = (0..n).map(|i| (bits >> i) & 1).collect();
                        for &(i, j) in net {
                            if a[i] > a[j] {
                                a.swap(i, j);
                            }
                        }
                        a
                    };
                    let (want, got) = (run(&net), run(&kept));
                    assert_eq!(got[needed.clone()], want[needed.clone()], "n = {n}, {needed:?}, input {bits:b}");
                }
            }
        }
        assert_eq!((network(120).len(), pruned(&network(120), 59..61).len()), (1372, 1124));
        assert_eq!(pruned(&network(120), 0..120).len(), 1372);
    }

    #[test]
    fn sorts_across_lanes_blocks_and_tails() {
        let d = BLOCK + LANES + 3;
        let v: Vec<Vec<f32>> =
            (0..7).map(|i| (0..d).map(|j| ((i * 31 + j * 17) % 13) as f32 - 6.0).collect()).collect();
        let mins = sorted_coordinatewise(&v, |rows, out| {
            for (l, o) in out.iter_mut().enumerate() {
                *o = value(rows[0][l]);
            }
        });
        let expected: Vec<f32> = (0..d).map(|j| v.iter().map(|x| x[j]).fold(f32::INFINITY, f32::min)).collect();
        assert_eq!(mins, expected);
    }
}
