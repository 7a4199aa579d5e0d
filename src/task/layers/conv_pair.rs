//! Two 3 × 3 convolutions in a row, the first with its ReLU (the MNIST CNN's
//! C(32)-R-C(64)), run image by image: the first's output (86 KB for an
//! MNIST digit) goes from one product to the next in cache and is never
//! stored. As separate layers it was a (h, B, 26, 26, 32) tensor, 33 MB per
//! step of 12 × 32 digits, written and read in each pass, with its gradient
//! (and candle's zeroed sum of that gradient) as large again. The backward
//! pass recomputes the first's output per image (0.4 MFLOP against the
//! second's 64). Every number is the one the two layers give apart: the
//! same products on the same slices in the same order
//! (`tests::conv_pair_gives_the_bits_of_the_two_layers`).

use candle_core::{CpuStorage, CustomOp3, Layout, Result, Shape, Tensor, bail};
use rayon::prelude::*;
use std::sync::Arc;

use super::conv::{Conv3x3, Grad, Scratch};
use super::gemm::Mat;
use super::{Mask, numbers};

/// (h, B, H, W, C) images → the second convolution's output. The op holds
/// copies of the kernels (in im2col's layout) and biases; candle's inputs
/// besides the images are the two kernel tensors, so that the op is
/// tracked when they are (their sizes are checked, their values not read
/// again). The gradients go to the layers' `grads` rows.
#[derive(Clone)]
pub struct ConvPair {
    first: Conv3x3,
    second: Conv3x3,
    params: Arc<Params>,
    /// A dropout's mask applied to the output (`with_dropout`).
    dropout: Option<Mask>,
}

/// Both layers' kernels (im2col's (9C, out) layout) and biases.
struct Params {
    kernels: [Vec<f32>; 2],
    biases: [Vec<f32>; 2],
}

/// (images, the pair's output, its gradient) → ∂images, or nothing.
struct ConvPairGrad {
    pair: ConvPair,
    input: bool,
}

impl ConvPair {
    /// The pair of `first` (with a ReLU, without pooling) and `second`, with
    /// their kernels (PyTorch's (out, C, 3, 3) layout) and biases.
    pub fn new(first: Conv3x3, second: Conv3x3, weights: [&[f32]; 2], biases: [&[f32]; 2]) -> Result<Self> {
        first.check()?;
        second.check()?;
        let chained = first.relu
            && !first.pool
            && (second.workers, second.batch, second.h, second.w, second.c)
                == (first.workers, first.batch, first.h - 2, first.w - 2, first.out);
        if !chained {
            bail!("conv pair: the second convolution must read the first's output, through its ReLU and unpooled")
        }
        if weights[0].len() != first.kernel_len()
            || weights[1].len() != second.kernel_len()
            || biases[0].len() != first.out
            || biases[1].len() != second.out
        {
            bail!("conv pair: the kernels or biases do not match the layers")
        }
        if let (Some(a), Some(b)) = (&first.grads, &second.grads)
            && (!Arc::ptr_eq(&a.grads, &b.grads) || b.offset < a.offset + first.kernel_len() + first.out)
        {
            bail!("conv pair: the second layer's gradients must follow the first's in the same rows")
        }
        let kernels = [first.kernel_matrix(weights[0]), second.kernel_matrix(weights[1])];
        let params = Arc::new(Params { kernels, biases: biases.map(<[f32]>::to_vec) });
        Ok(ConvPair { first, second, params, dropout: None })
    }

    /// The pair followed by inverted dropout with `mask` (the whole output's),
    /// as the `Mask` op would apply it: y ⊙ mask forward, and backward the
    /// gradient ⊙ mask that candle would add to zeros (0 + x turns a −0
    /// into +0: the same bits). Saves the (h, B, 12, 12, 64) output's
    /// round trips (14 MB each) of a separate op. Not with a ReLU on the
    /// second layer: its backward pass reads the sign of the output before
    /// the mask, which a dropped entry hides.
    pub fn with_dropout(self, mask: Mask) -> Result<Self> {
        let (second, images) = (&self.second, self.first.workers * self.first.batch);
        if second.relu || mask.0.len() != images * second.out_len() {
            bail!("conv pair: a dropout needs no ReLU before it and a mask of the output's size")
        }
        Ok(ConvPair { dropout: Some(mask), ..self })
    }

    /// One image's first output (full size, through the ReLU) into `a1`, its patches in `cols`.
    fn first_output(&self, img: &[f32], cols: &mut [f32], a1: &mut [f32]) {
        let p = &self.params;
        self.first.convolve(&p.kernels[0], &p.biases[0], img, cols, a1);
    }
}

impl CustomOp3 for ConvPair {
    fn name(&self) -> &'static str {
        "conv3x3-pair"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        _: &CpuStorage,
        l2: &Layout,
        _: &CpuStorage,
        l3: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let (first, second) = (&self.first, &self.second);
        if (l2.shape().elem_count(), l3.shape().elem_count()) != (first.kernel_len(), second.kernel_len()) {
            bail!("conv pair: the kernel tensors do not match the layers")
        }
        let images = first.workers * first.batch;
        let x = numbers(s1, l1, images * first.image_len(), "conv3x3-pair images")?;
        let (len, image, p) = (second.out_len(), first.image_len(), &self.params);
        let mut y = crate::alloc::zeroed(images * len);
        let mut arg = vec![0u8; if second.pool { y.len() } else { 0 }];
        let init = || (first.scratch(), vec![0f32; second.image_len()], second.scratch());
        let run = |(sc1, a1, sc2): &mut (Scratch, Vec<f32>, Scratch), i: usize, y: &mut [f32], arg: &mut [u8]| {
            self.first_output(&x[i * image..(i + 1) * image], &mut sc1.cols, a1);
            second.forward_image(&p.kernels[1], &p.biases[1], a1, sc2, y, arg);
            if let Some(mask) = &self.dropout {
                y.iter_mut().zip(&mask.0[i * len..(i + 1) * len]).for_each(|(y, m)| *y *= m);
            }
        };
        if second.pool {
            y.par_chunks_mut(len)
                .zip(arg.par_chunks_mut(len))
                .enumerate()
                .for_each_init(init, |s, (i, (y, arg))| run(s, i, y, arg));
            second.argmax.keep(arg)?;
        } else {
            y.par_chunks_mut(len).enumerate().for_each_init(init, |s, (i, y)| run(s, i, y, &mut []));
        }
        Ok((CpuStorage::F32(y), second.out_shape()))
    }

    fn bwd(
        &self,
        x: &Tensor,
        _: &Tensor,
        _: &Tensor,
        res: &Tensor,
        grad: &Tensor,
    ) -> Result<(Option<Tensor>, Option<Tensor>, Option<Tensor>)> {
        let input = x.track_op();
        let dx = x.apply_op3_no_bwd(res, &grad.contiguous()?, &ConvPairGrad { pair: self.clone(), input })?;
        Ok((input.then_some(dx), None, None))
    }
}

impl CustomOp3 for ConvPairGrad {
    fn name(&self) -> &'static str {
        "conv3x3-pair-grad"
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
        let ConvPair { first, second, params: p, dropout } = &self.pair;
        let (Some(t1), Some(t2)) = (&first.grads, &second.grads) else {
            bail!("conv pair: no gradient rows for a backward pass")
        };
        let (workers, batch) = (first.workers, first.batch);
        let (image, len) = (first.image_len(), second.out_len());
        let x = numbers(s1, l1, workers * batch * image, "conv3x3-pair-grad images")?;
        let y = numbers(s2, l2, workers * batch * len, "conv3x3-pair-grad output")?;
        let g = numbers(s3, l3, workers * batch * len, "conv3x3-pair-grad gradient")?;
        let arg = if second.pool { Some(second.argmax.get(g.len())?) } else { None };
        let kernels = [(&p.kernels[0], first), (&p.kernels[1], second)].map(|(k, c)| Mat::new(k, c.depth(), c.out));
        let mut dx = vec![0f32; if self.input { x.len() } else { 0 }];
        // The rows from the first layer's weights to the second's biases:
        // [w1 | b1 | (nothing between, for this model) | w2] and b2.
        let (w1, b1, gap) = (first.kernel_len(), first.out, t2.offset - t1.offset - first.kernel_len() - first.out);
        let span = w1 + b1 + gap + second.kernel_len();
        t1.write(
            first.product_work() + second.product_work(),
            workers,
            (span, second.out),
            &mut dx,
            |worker, w, db2, dx| {
                let (dw1, rest) = w.split_at_mut(w1);
                let (db1, rest) = rest.split_at_mut(b1);
                let dw2 = &mut rest[gap..];
                let (mut sc1, mut sc2) = (first.scratch(), second.scratch());
                let (mut a1, mut da1) = (vec![0f32; second.image_len()], vec![0f32; second.image_len()]);
                let (mut dk1, mut dk2) = (vec![0f32; first.kernel_len()], vec![0f32; second.kernel_len()]);
                let mut dropped = vec![0f32; if dropout.is_some() { len } else { 0 }];
                db1.fill(0.0);
                db2.fill(0.0);
                for j in 0..batch {
                    let i = worker * batch + j;
                    let at = |len: usize| i * len..(i + 1) * len;
                    let img = &x[at(image)];
                    // The first layer's output again, then the second layer's
                    // backward pass on it, as the second layer alone would run it.
                    self.pair.first_output(img, &mut sc1.cols, &mut a1);
                    second.im2col(&a1, &mut sc2.cols);
                    let mut g = &g[at(len)];
                    if let Some(mask) = dropout {
                        let m = &mask.0[at(len)];
                        dropped.iter_mut().zip(g.iter().zip(m)).for_each(|(d, (&g, &m))| *d = 0.0 + g * m);
                        g = &dropped;
                    }
                    let grad =
                        Grad { g, relu_out: second.relu.then(|| &y[at(len)]), arg: arg.as_ref().map(|a| &a[at(len)]) };
                    da1.fill(0.0);
                    second.backward_image(grad, &mut sc2, (&mut dk2, db2), j > 0, Some((kernels[1], &mut da1)));
                    // Then the first's, its ReLU undone with its output.
                    let grad = Grad { g: &da1, relu_out: Some(&a1), arg: None };
                    let dx = self.input.then(|| (kernels[0], &mut dx[j * image..(j + 1) * image]));
                    first.backward_image(grad, &mut sc1, (&mut dk1, db1), j > 0, dx);
                }
                first.to_pytorch(&dk1, dw1);
                second.to_pytorch(&dk2, dw2);
            },
        )?;
        let shape = if self.input { Shape::from((workers, batch, first.h, first.w, first.c)) } else { Shape::from(0) };
        Ok((CpuStorage::F32(dx), shape))
    }
}
