//! 3 × 3 convolutions (stride 1, no padding) on channels-last images, each
//! worker with its own kernels. Forward: per image, im2col into a buffer that
//! stays in cache, then one matrix product with the worker's kernels. Backward,
//! per worker in image order: ∂W += colsᵀ·G, ∂b += Σ G and, when the input
//! needs a gradient, ∂cols = G·Wᵀ folded back by col2im.

use candle_core::{CpuStorage, CustomOp3, Layout, Result, Shape, Tensor};
use rayon::prelude::*;

use super::gemm::{Mat, matmul};
use super::numbers;

/// (h, B, H, W, C) images, kernels (h, out·C·9) in PyTorch's (out, C, 3, 3)
/// layout and biases (h, out) → (h, B, H−2, W−2, out).
#[derive(Clone, Copy)]
pub struct Conv3x3 {
    pub workers: usize,
    pub batch: usize,
    pub h: usize,
    pub w: usize,
    pub c: usize,
    pub out: usize,
}

/// (images, kernels, gradient of the output) → [∂images (when asked) | ∂kernels | ∂biases], flat.
struct Conv3x3Grad {
    conv: Conv3x3,
    input: bool,
}

impl Conv3x3 {
    /// Output positions per image.
    fn positions(&self) -> usize {
        (self.h - 2) * (self.w - 2)
    }

    /// Rows of im2col's kernel matrix: (di, dj, channel).
    fn depth(&self) -> usize {
        9 * self.c
    }

    fn image_len(&self) -> usize {
        self.h * self.w * self.c
    }

    fn kernel_len(&self) -> usize {
        self.out * self.depth()
    }

    /// The workers' kernels rearranged from (out, C, 3, 3) to im2col's (9C, out).
    fn kernel_matrices(&self, w: &[f32]) -> Vec<f32> {
        let (c, out) = (self.c, self.out);
        let mut m = vec![0f32; w.len()];
        m.chunks_mut(self.kernel_len()).zip(w.chunks(self.kernel_len())).for_each(|(m, w)| {
            for o in 0..out {
                for ch in 0..c {
                    for d in 0..9 {
                        m[(d * c + ch) * out + o] = w[(o * c + ch) * 9 + d];
                    }
                }
            }
        });
        m
    }

    /// One image (H, W, C) → its patches (positions, 9C), entries ordered (di, dj, channel).
    fn im2col(&self, img: &[f32], cols: &mut [f32]) {
        let (c, wo) = (self.c, self.w - 2);
        for (p, row) in cols.chunks_mut(9 * c).enumerate() {
            let (y, x) = (p / wo, p % wo);
            for di in 0..3 {
                // The three pixels (y + di, x..x + 3) are contiguous: 3C numbers.
                let at = ((y + di) * self.w + x) * c;
                row[di * 3 * c..(di + 1) * 3 * c].copy_from_slice(&img[at..at + 3 * c]);
            }
        }
    }

    /// The adjoint of `im2col`: adds each patch back onto the image.
    fn col2im(&self, cols: &[f32], img: &mut [f32]) {
        let (c, wo) = (self.c, self.w - 2);
        for (p, row) in cols.chunks(9 * c).enumerate() {
            let (y, x) = (p / wo, p % wo);
            for di in 0..3 {
                let at = ((y + di) * self.w + x) * c;
                img[at..at + 3 * c].iter_mut().zip(&row[di * 3 * c..(di + 1) * 3 * c]).for_each(|(a, b)| *a += b);
            }
        }
    }

    fn check(&self) -> Result<()> {
        if self.h < 3 || self.w < 3 || self.c == 0 || self.out == 0 {
            candle_core::bail!("conv3x3: needs images of at least 3 × 3 and channels")
        }
        Ok(())
    }
}

impl CustomOp3 for Conv3x3 {
    fn name(&self) -> &'static str {
        "conv3x3"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
        s3: &CpuStorage,
        l3: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        self.check()?;
        let (images, out, depth, positions) = (self.workers * self.batch, self.out, self.depth(), self.positions());
        let x = numbers(s1, l1, images * self.image_len(), "conv3x3 images")?;
        let w = numbers(s2, l2, self.workers * self.kernel_len(), "conv3x3 kernels")?;
        let bias = numbers(s3, l3, self.workers * out, "conv3x3 biases")?;
        let kernels = self.kernel_matrices(w);
        let mut y = vec![0f32; images * positions * out];
        y.par_chunks_mut(positions * out).enumerate().for_each_init(
            || vec![0f32; positions * depth],
            |cols, (i, y)| {
                let worker = i / self.batch.max(1);
                self.im2col(&x[i * self.image_len()..(i + 1) * self.image_len()], cols);
                y.chunks_mut(out).for_each(|row| row.copy_from_slice(&bias[worker * out..(worker + 1) * out]));
                let k = &kernels[worker * self.kernel_len()..(worker + 1) * self.kernel_len()];
                matmul(y, Mat::new(cols, positions, depth), Mat::new(k, depth, out), true);
            },
        );
        Ok((CpuStorage::F32(y), Shape::from((self.workers, self.batch, self.h - 2, self.w - 2, out))))
    }

    fn bwd(
        &self,
        x: &Tensor,
        w: &Tensor,
        bias: &Tensor,
        _res: &Tensor,
        grad: &Tensor,
    ) -> Result<(Option<Tensor>, Option<Tensor>, Option<Tensor>)> {
        let input = x.track_op();
        let packed = x.apply_op3_no_bwd(w, &grad.contiguous()?, &Conv3x3Grad { conv: *self, input })?;
        let nx = if input { x.elem_count() } else { 0 };
        let dx = if input { Some(packed.narrow(0, 0, nx)?.reshape(x.dims())?) } else { None };
        let dw = packed.narrow(0, nx, w.elem_count())?.reshape(w.dims())?;
        let db = packed.narrow(0, nx + w.elem_count(), bias.elem_count())?.reshape(bias.dims())?;
        Ok((dx, Some(dw), Some(db)))
    }
}

impl CustomOp3 for Conv3x3Grad {
    fn name(&self) -> &'static str {
        "conv3x3-grad"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
        s3: &CpuStorage,
        l3: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let conv = self.conv;
        conv.check()?;
        let (workers, batch, out, depth, positions) =
            (conv.workers, conv.batch, conv.out, conv.depth(), conv.positions());
        let image = conv.image_len();
        let x = numbers(s1, l1, workers * batch * image, "conv3x3-grad images")?;
        let w = numbers(s2, l2, workers * conv.kernel_len(), "conv3x3-grad kernels")?;
        let g = numbers(s3, l3, workers * batch * positions * out, "conv3x3-grad gradient")?;
        let kernels = conv.kernel_matrices(w);
        let nx = if self.input { x.len() } else { 0 };
        let mut packed = vec![0f32; nx + w.len() + workers * out];
        let (dx, rest) = packed.split_at_mut(nx);
        let (dw, db) = rest.split_at_mut(w.len());
        let dx: Vec<&mut [f32]> = if self.input {
            dx.chunks_mut(batch * image).collect()
        } else {
            (0..workers).map(|_| <&mut [f32]>::default()).collect()
        };
        dx.into_par_iter().zip(dw.par_chunks_mut(conv.kernel_len())).zip(db.par_chunks_mut(out)).enumerate().for_each(
            |(worker, ((dx, dw), db))| {
                let kernel =
                    Mat::new(&kernels[worker * conv.kernel_len()..(worker + 1) * conv.kernel_len()], depth, out);
                let mut cols = vec![0f32; positions * depth];
                let mut dcols = vec![0f32; if self.input { positions * depth } else { 0 }];
                let mut dk = vec![0f32; conv.kernel_len()];
                for j in 0..batch {
                    let i = worker * batch + j;
                    let gi = &g[i * positions * out..(i + 1) * positions * out];
                    conv.im2col(&x[i * image..(i + 1) * image], &mut cols);
                    matmul(&mut dk, Mat::new(&cols, positions, depth).t(), Mat::new(gi, positions, out), j > 0);
                    gi.chunks(out).for_each(|row| db.iter_mut().zip(row).for_each(|(b, g)| *b += g));
                    if self.input {
                        matmul(&mut dcols, Mat::new(gi, positions, out), kernel.t(), false);
                        conv.col2im(&dcols, &mut dx[j * image..(j + 1) * image]);
                    }
                }
                // Back to PyTorch's (out, C, 3, 3) layout.
                for o in 0..out {
                    for ch in 0..conv.c {
                        for d in 0..9 {
                            dw[(o * conv.c + ch) * 9 + d] = dk[(d * conv.c + ch) * out + o];
                        }
                    }
                }
            },
        );
        Ok((CpuStorage::F32(packed), Shape::from(nx + w.len() + workers * out)))
    }
}
