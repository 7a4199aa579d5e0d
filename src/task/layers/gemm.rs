//! Single-threaded matrix products on strided views, through the `gemm` crate
//! (the kernels candle uses; AVX-512 where the CPU has it). The layers split
//! their work over images or workers in fixed pieces and each product runs on
//! one thread, so results do not depend on the thread count.

/// A matrix view: element (i, j) is `data[i * rs + j * cs]`.
#[derive(Clone, Copy)]
pub struct Mat<'a> {
    data: &'a [f32],
    rows: usize,
    cols: usize,
    rs: usize,
    cs: usize,
}

impl<'a> Mat<'a> {
    /// A row-major rows × cols matrix at the start of `data`.
    pub fn new(data: &'a [f32], rows: usize, cols: usize) -> Self {
        Mat { data, rows, cols, rs: cols, cs: 1 }
    }

    /// The transpose, as a view of the same numbers.
    pub fn t(self) -> Self {
        Mat { rows: self.cols, cols: self.rows, rs: self.cs, cs: self.rs, ..self }
    }

    fn in_bounds(&self) -> bool {
        self.rows == 0 || self.cols == 0 || (self.rows - 1) * self.rs + (self.cols - 1) * self.cs < self.data.len()
    }
}

/// The rows × cols row-major matrix `a` transposed into a new row-major
/// cols × rows one, in strips of 64 columns, one strip per task: each row's
/// 64 numbers are read in one run and written to the strip's 64 output rows,
/// which stay in cache from one row to the next (fc1's 128 × 9,216 on one
/// thread, warm: 0.9 ms against 1.8 in 32 × 32 tiles, whose 32 rows, 36 KiB
/// apart, share an L1 set).
pub(crate) fn transposed(a: &[f32], rows: usize, cols: usize) -> Vec<f32> {
    use rayon::prelude::*;
    const STRIP: usize = 64;
    assert!(a.len() >= rows * cols, "transposed: too few numbers");
    let mut t = vec![0f32; rows * cols];
    if rows == 0 {
        return t;
    }
    t.par_chunks_mut(STRIP * rows).enumerate().for_each(|(piece, t)| {
        let j0 = piece * STRIP;
        for i in 0..rows {
            for (dj, &x) in a[i * cols + j0..i * cols + j0 + t.len() / rows].iter().enumerate() {
                t[dj * rows + i] = x;
            }
        }
    });
    t
}

/// Whether gemm sums each entry of an m × n product in an order that does not
/// depend on the operands' strides: its blocked kernel (one chain of fused
/// multiply-adds per depth block) does; the matrix-vector kernels it takes
/// for one row or column and the horizontal one for at most 256 entries read
/// along the strides (gemm-common 0.19, `gemm.rs`, the dispatch before
/// `kernel_params`). Only then may a product read a rearranged copy of an
/// operand and keep its bits.
pub(crate) fn order_ignores_strides(m: usize, n: usize) -> bool {
    m > 1 && n > 1 && m * n > 256
}

/// `dst` (row-major, a.rows × b.cols) = a·b, or `dst` += a·b with `accumulate`.
pub(crate) fn matmul(dst: &mut [f32], a: Mat, b: Mat, accumulate: bool) {
    let (m, k, n) = (a.rows, a.cols, b.cols);
    assert!(b.rows == k && a.in_bounds() && b.in_bounds() && dst.len() >= m * n, "matmul: shapes do not agree");
    if m == 0 || n == 0 {
        return;
    }
    if k == 0 {
        if !accumulate {
            dst[..m * n].fill(0.0);
        }
        return;
    }
    // SAFETY: the assert keeps every element the three views address inside their slices.
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            dst.as_mut_ptr(),
            1,
            n as isize,
            accumulate,
            a.data.as_ptr(),
            a.cs as isize,
            a.rs as isize,
            b.data.as_ptr(),
            b.cs as isize,
            b.rs as isize,
            1.0,
            1.0,
            false,
            false,
            false,
            gemm::Parallelism::None,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transposed_swaps_rows_and_columns_across_strips() {
        let (rows, cols) = (37, 70);
        let a: Vec<f32> = (0..rows * cols).map(|x| x as f32).collect();
        let t = transposed(&a, rows, cols);
        for i in 0..rows {
            for j in 0..cols {
                assert_eq!(t[j * rows + i], a[i * cols + j]);
            }
        }
    }

    #[test]
    fn products_of_views_match_the_definition() {
        let a: Vec<f32> = (0..6).map(|x| x as f32).collect(); // 2 × 3
        let b: Vec<f32> = (0..12).map(|x| (x as f32) * 0.5 - 1.0).collect(); // 3 × 4
        let mut c = vec![1.0; 8];
        matmul(&mut c, Mat::new(&a, 2, 3), Mat::new(&b, 3, 4), true);
        for i in 0..2 {
            for j in 0..4 {
                let want = 1.0 + (0..3).map(|k| a[i * 3 + k] * b[k * 4 + j]).sum::<f32>();
                assert_eq!(c[i * 4 + j], want);
            }
        }
        // (aᵀ)ᵀ·b through two transposed views: bᵀ (4 × 3) · aᵀ (3 × 2) = (a·b)ᵀ.
        let mut ct = vec![0.0; 8];
        matmul(&mut ct, Mat::new(&b, 3, 4).t(), Mat::new(&a, 2, 3).t(), false);
        for i in 0..2 {
            for j in 0..4 {
                assert_eq!(ct[j * 2 + i], c[i * 4 + j] - 1.0);
            }
        }
    }
}
