//! 3 × 3 convolutions (stride 1, no padding) on channels-last images, an
//! optional ReLU and 2 × 2 max-pooling fused after them (the full-size output
//! then never leaves the cache: 57 MB less written and accumulated per MNIST
//! CNN step). Forward: per image, im2col into a buffer
//! that stays in cache, then one matrix product with the kernels. Backward,
//! per worker in image order: ∂W += colsᵀ·G, ∂b += Σ G, written into the
//! worker's gradient row, and, when the input needs a gradient,
//! ∂cols = G·Wᵀ folded back by col2im.

use candle_core::{CpuStorage, CustomOp3, Layout, Result, Shape, Tensor, bail};
use rayon::prelude::*;

use super::gemm::{Mat, matmul};
use super::pool::{Argmax, pool_image, pooled_len, unpool_image};
use super::relu::{relu_grad, relu_in_place, through_relu};
use super::{Target, numbers};

/// (h, B, H, W, C) images, kernels (out·C·9, PyTorch's (out, C, 3, 3) layout)
/// and biases (out) → (h, B, H−2, W−2, out).
#[derive(Clone)]
pub struct Conv3x3 {
    pub workers: usize,
    pub batch: usize,
    pub h: usize,
    pub w: usize,
    pub c: usize,
    pub out: usize,
    /// A ReLU follows (fused: one node and one pass less).
    pub relu: bool,
    /// A 2 × 2 max-pooling follows (fused); `argmax` keeps its choices.
    pub pool: bool,
    pub argmax: Argmax,
    /// Where each worker's kernel and bias gradients go (needed for a backward pass).
    pub grads: Option<Target>,
}

/// One thread's buffers for one image: its patches (or their gradient), the
/// full-size output before pooling (or its gradient after unpooling), and
/// the gradient masked by a fused ReLU.
pub(super) struct Scratch {
    pub(super) cols: Vec<f32>,
    full: Vec<f32>,
    masked: Vec<f32>,
}

/// The gradient of one image's output, with what undoes the fused ReLU
/// (the output, whose sign masks it) and pooling (its choices), if fused.
pub(super) struct Grad<'a> {
    pub g: &'a [f32],
    pub relu_out: Option<&'a [f32]>,
    pub arg: Option<&'a [u8]>,
}

/// (images, kernels, gradient of the output) → ∂images, or nothing when the
/// images need no gradient; ∂kernels and ∂biases go to the workers' rows.
struct Conv3x3Grad {
    conv: Conv3x3,
    input: bool,
}

impl Conv3x3 {
    /// Output positions per image.
    pub(super) fn positions(&self) -> usize {
        (self.h - 2) * (self.w - 2)
    }

    /// Rows of im2col's kernel matrix: (di, dj, channel).
    pub(super) fn depth(&self) -> usize {
        9 * self.c
    }

    pub(super) fn image_len(&self) -> usize {
        self.h * self.w * self.c
    }

    /// Numbers per output image (after pooling, if fused).
    pub(super) fn out_len(&self) -> usize {
        if self.pool { pooled_len(self.h - 2, self.w - 2, self.out) } else { self.positions() * self.out }
    }

    /// An output image's [channels, height, width] (after pooling, if fused).
    pub fn output_dims(&self) -> [usize; 3] {
        let (ho, wo) = (self.h - 2, self.w - 2);
        if self.pool { [self.out, ho / 2, wo / 2] } else { [self.out, ho, wo] }
    }

    pub(super) fn out_shape(&self) -> Shape {
        let [c, ho, wo] = self.output_dims();
        Shape::from((self.workers, self.batch, ho, wo, c))
    }

    /// Multiply-adds × 2 of one backward product over every image (the
    /// work that decides whether a pass is shared between threads).
    pub(super) fn product_work(&self) -> usize {
        2 * self.workers * self.batch * self.positions() * self.depth() * self.out
    }

    /// Numbers in the kernels: out × C × 9.
    pub fn kernel_len(&self) -> usize {
        self.out * self.depth()
    }

    /// The kernels rearranged from (out, C, 3, 3) to im2col's (9C, out).
    pub(super) fn kernel_matrix(&self, w: &[f32]) -> Vec<f32> {
        let (c, out) = (self.c, self.out);
        let mut m = vec![0f32; w.len()];
        for o in 0..out {
            for ch in 0..c {
                for d in 0..9 {
                    m[(d * c + ch) * out + o] = w[(o * c + ch) * 9 + d];
                }
            }
        }
        m
    }

    /// One image (H, W, C) → its patches (positions, 9C), entries ordered (di, dj, channel).
    pub(super) fn im2col(&self, img: &[f32], cols: &mut [f32]) {
        // A patch row is 3C numbers; with one or three channels a call to
        // memcpy per 3 or 9 numbers cost more than the copy (the MNIST CNN's
        // first layer: 676 × 3 calls per image), so these widths are copied
        // by moves of a size known when compiling. 32 channels' 96 numbers
        // (the second layer's 576 × 3 rows per image) are too long for that:
        // LLVM still calls memcpy, with the size fixed (seen in the
        // disassembly; moves of 32 numbers at a time were turned back into
        // calls too). perf: im2col and memmove 4.9 → 4.1 % of the CNN step's
        // samples, measured together with that sitting's other changes.
        match self.c {
            1 => self.patches::<3>(img, cols),
            3 => self.patches::<9>(img, cols),
            32 => self.patches::<96>(img, cols),
            c => self.patches_of(3 * c, img, cols),
        }
    }

    fn patches<const ROW: usize>(&self, img: &[f32], cols: &mut [f32]) {
        self.patches_of(ROW, img, cols)
    }

    /// `im2col` with patch rows of `row` = 3C numbers (inlined into
    /// `patches` so that a constant `row` sizes the copies).
    #[inline(always)]
    fn patches_of(&self, row: usize, img: &[f32], cols: &mut [f32]) {
        let wo = self.w - 2;
        for (p, patch) in cols.chunks_exact_mut(3 * row).enumerate() {
            let (y, x) = (p / wo, p % wo);
            for (di, to) in patch.chunks_exact_mut(row).enumerate() {
                // The three pixels (y + di, x..x + 3) are contiguous: 3C numbers.
                let at = ((y + di) * self.w + x) * self.c;
                to.copy_from_slice(&img[at..at + row]);
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

    /// Per-thread buffers for one image at a time.
    pub(super) fn scratch(&self) -> Scratch {
        let (positions, depth) = (self.positions(), self.depth());
        Scratch {
            cols: vec![0f32; positions * depth],
            full: vec![0f32; if self.pool { positions * self.out } else { 0 }],
            masked: vec![],
        }
    }

    /// One image's full-size output (positions × out), through the ReLU if
    /// fused: its patches into `cols`, then bias + patches · kernels.
    pub(super) fn convolve(&self, kernel: &[f32], bias: &[f32], img: &[f32], cols: &mut [f32], full: &mut [f32]) {
        let (positions, depth, out) = (self.positions(), self.depth(), self.out);
        self.im2col(img, cols);
        full.chunks_mut(out).for_each(|row| row.copy_from_slice(bias));
        matmul(full, Mat::new(cols, positions, depth), Mat::new(kernel, depth, out), true);
        if self.relu {
            relu_in_place(full);
        }
    }

    /// One image's output `y` (pooled if fused, with its choices in `arg`).
    pub(super) fn forward_image(
        &self,
        kernel: &[f32],
        bias: &[f32],
        img: &[f32],
        s: &mut Scratch,
        y: &mut [f32],
        arg: &mut [u8],
    ) {
        if self.pool {
            self.convolve(kernel, bias, img, &mut s.cols, &mut s.full);
            pool_image(self.h - 2, self.w - 2, self.out, &s.full, y, arg);
        } else {
            self.convolve(kernel, bias, img, &mut s.cols, y);
        }
    }

    /// One image's backward pass, its patches already in `s.cols`:
    /// ∂kernels (im2col's layout) = patchesᵀ · G, added to `dk` when
    /// `accumulate`; ∂biases += Σ G; with `dx` = (kernels, ∂image), ∂image
    /// += col2im(G · kernelsᵀ), the patches' gradient written over them.
    pub(super) fn backward_image(
        &self,
        grad: Grad,
        s: &mut Scratch,
        (dk, db): (&mut [f32], &mut [f32]),
        accumulate: bool,
        dx: Option<(Mat, &mut [f32])>,
    ) {
        let (positions, depth, out) = (self.positions(), self.depth(), self.out);
        let mut g = grad.g;
        if let Some(y) = grad.relu_out {
            s.masked.resize(g.len(), 0.0);
            relu_grad(y, g, &mut s.masked);
            g = &s.masked;
        }
        if let Some(arg) = grad.arg {
            unpool_image(self.h - 2, self.w - 2, out, g, arg, &mut s.full);
            g = &s.full;
        }
        matmul(dk, Mat::new(&s.cols, positions, depth).t(), Mat::new(g, positions, out), accumulate);
        g.chunks(out).for_each(|row| db.iter_mut().zip(row).for_each(|(b, g)| *b += g));
        if let Some((kernel, dx)) = dx {
            // The patches are not needed any more: their gradient takes their
            // place, so that one image's backward pass reads and writes one
            // buffer of patches, not two (1.3 MB for the MNIST CNN's second
            // layer, more than a core's 1 MB L2 cache).
            matmul(&mut s.cols, Mat::new(g, positions, out), kernel.t(), false);
            self.col2im(&s.cols, dx);
        }
    }

    /// ∂kernels from im2col's (9C, out) back to PyTorch's (out, C, 3, 3) layout.
    pub(super) fn to_pytorch(&self, dk: &[f32], dw: &mut [f32]) {
        let (c, out) = (self.c, self.out);
        for o in 0..out {
            for ch in 0..c {
                for d in 0..9 {
                    dw[(o * c + ch) * 9 + d] = dk[(d * c + ch) * out + o];
                }
            }
        }
    }

    /// Whether the shapes can be convolved (and pooled, if fused).
    pub fn check(&self) -> Result<()> {
        if self.h < 3 || self.w < 3 || self.c == 0 || self.out == 0 || self.batch == 0 {
            bail!("conv3x3: needs images of at least 3 × 3, channels and a batch")
        }
        if self.pool && (self.h < 4 || self.w < 4) {
            bail!("conv3x3: pooling needs an output of at least 2 × 2")
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
        let images = self.workers * self.batch;
        let x = numbers(s1, l1, images * self.image_len(), "conv3x3 images")?;
        let w = numbers(s2, l2, self.kernel_len(), "conv3x3 kernels")?;
        let bias = numbers(s3, l3, self.out, "conv3x3 biases")?;
        let kernel = self.kernel_matrix(w);
        let (len, image) = (self.out_len(), self.image_len());
        let mut y = vec![0f32; images * len];
        if self.pool {
            let mut arg = vec![0u8; y.len()];
            y.par_chunks_mut(len).zip(arg.par_chunks_mut(len)).zip(x.par_chunks(image)).for_each_init(
                || self.scratch(),
                |s, ((y, arg), img)| self.forward_image(&kernel, bias, img, s, y, arg),
            );
            self.argmax.keep(arg)?;
        } else {
            y.par_chunks_mut(len)
                .zip(x.par_chunks(image))
                .for_each_init(|| self.scratch(), |s, (y, img)| self.forward_image(&kernel, bias, img, s, y, &mut []));
        }
        Ok((CpuStorage::F32(y), self.out_shape()))
    }

    fn bwd(
        &self,
        x: &Tensor,
        w: &Tensor,
        _bias: &Tensor,
        res: &Tensor,
        grad: &Tensor,
    ) -> Result<(Option<Tensor>, Option<Tensor>, Option<Tensor>)> {
        let input = x.track_op();
        if self.relu && !input {
            // The kernels are not needed without ∂images: the op takes the
            // output in their place and applies the ReLU's mask itself.
            x.apply_op3_no_bwd(res, &grad.contiguous()?, &Conv3x3Grad { conv: self.clone(), input })?;
            return Ok((None, None, None));
        }
        let grad = through_relu(self.relu, res, grad)?;
        let dx = x.apply_op3_no_bwd(w, &grad, &Conv3x3Grad { conv: self.clone(), input })?;
        Ok((input.then_some(dx), None, None))
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
        let conv = &self.conv;
        conv.check()?;
        let Some(target) = &conv.grads else { bail!("conv3x3: no gradient rows for a backward pass") };
        let (workers, batch, out) = (conv.workers, conv.batch, conv.out);
        let image = conv.image_len();
        let x = numbers(s1, l1, workers * batch * image, "conv3x3-grad images")?;
        let g = numbers(s3, l3, workers * batch * conv.out_len(), "conv3x3-grad gradient")?;
        let arg = if conv.pool { Some(conv.argmax.get(g.len())?) } else { None };
        // The second input: the kernels when ∂images are asked for; without
        // them, with a fused ReLU, the layer's output, whose sign masks G.
        let (kernel, relu_out) = if self.input {
            (conv.kernel_matrix(numbers(s2, l2, conv.kernel_len(), "conv3x3-grad kernels")?), None)
        } else if conv.relu {
            (vec![], Some(numbers(s2, l2, g.len(), "conv3x3-grad output")?))
        } else {
            (vec![], None)
        };
        let kernel = Mat::new(&kernel, if self.input { conv.depth() } else { 0 }, out);
        let mut dx = vec![0f32; if self.input { x.len() } else { 0 }];
        target.write(conv.product_work(), workers, (conv.kernel_len(), out), &mut dx, |worker, dw, db, dx| {
            let mut s = conv.scratch();
            let mut dk = vec![0f32; conv.kernel_len()];
            db.fill(0.0);
            for j in 0..batch {
                let i = worker * batch + j;
                let at = |len: usize| i * len..(i + 1) * len;
                let img = &x[at(image)];
                conv.im2col(img, &mut s.cols);
                let grad = Grad {
                    g: &g[at(conv.out_len())],
                    relu_out: relu_out.map(|y| &y[at(conv.out_len())]),
                    arg: arg.as_ref().map(|a| &a[at(conv.out_len())]),
                };
                let dx = self.input.then(|| (kernel, &mut dx[j * image..(j + 1) * image]));
                conv.backward_image(grad, &mut s, (&mut dk, db), j > 0, dx);
            }
            conv.to_pytorch(&dk, dw);
        })?;
        let shape = if self.input { Shape::from((workers, batch, conv.h, conv.w, conv.c)) } else { Shape::from(0) };
        Ok((CpuStorage::F32(dx), shape))
    }
}
