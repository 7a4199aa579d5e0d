//! 2 × 2 max-pooling with stride 2 on channels-last images (a last odd row or
//! column is dropped, as in PyTorch). NaN counts as the largest value, so a
//! blow-up is not hidden. The forward pass notes which entry of each window
//! won (the first of the largest); the backward pass sends the gradient there.
//! Convolutions pool their own output when a pooling follows (`Conv3x3::pool`).

use candle_core::{CpuStorage, CustomOp1, Layout, Result, Shape, Tensor, bail};
use rayon::prelude::*;
use std::sync::{Arc, Mutex};

use super::numbers;

/// Which entry of its window (0..4, scan order) each output came from, kept
/// from the forward pass for the backward pass.
#[derive(Clone, Default)]
pub struct Argmax(Arc<Mutex<Vec<u8>>>);

impl Argmax {
    pub(super) fn keep(&self, arg: Vec<u8>) -> Result<()> {
        *self.0.lock().map_err(|_| candle_core::Error::Msg("a pooling lock was poisoned".into()))? = arg;
        Ok(())
    }

    pub(super) fn get(&self, len: usize) -> Result<std::sync::MutexGuard<'_, Vec<u8>>> {
        let arg = self.0.lock().map_err(|_| candle_core::Error::Msg("a pooling lock was poisoned".into()))?;
        if arg.len() != len {
            bail!("maxpool2: the backward pass needs its forward pass")
        }
        Ok(arg)
    }
}

/// (N, H, W, C) → (N, H/2, W/2, C).
#[derive(Clone)]
pub struct MaxPool2 {
    pub n: usize,
    pub h: usize,
    pub w: usize,
    pub c: usize,
    pub argmax: Argmax,
}

/// The gradient of the output → the gradient of the input.
struct Unpool(MaxPool2);

/// Numbers per pooled image of (h, w, c).
pub(super) fn pooled_len(h: usize, w: usize, c: usize) -> usize {
    (h / 2) * (w / 2) * c
}

/// Pools one image (h, w, c) into `y`, noting each output's window entry in `arg`.
pub(super) fn pool_image(h: usize, w: usize, c: usize, img: &[f32], y: &mut [f32], arg: &mut [u8]) {
    let (ho, wo) = (h / 2, w / 2);
    for yy in 0..ho {
        for xx in 0..wo {
            let at = |i: usize, j: usize| ((2 * yy + i) * w + 2 * xx + j) * c;
            let [r0, r1, r2, r3] = [at(0, 0), at(0, 1), at(1, 0), at(1, 1)].map(|a| &img[a..a + c]);
            let o = (yy * wo + xx) * c;
            let (y, arg) = (&mut y[o..o + c], &mut arg[o..o + c]);
            // Channel by channel without branches or index checks, so that
            // the compiler vectorises over the channels.
            let windows = r0.iter().zip(r1).zip(r2.iter().zip(r3));
            for ((y, arg), ((&v0, &v1), (&v2, &v3))) in y.iter_mut().zip(arg.iter_mut()).zip(windows) {
                let (mut m, mut k) = (v0, 0u8);
                for (idx, v) in [(1u8, v1), (2, v2), (3, v3)] {
                    // A NaN, once met, stays the maximum.
                    let take = !m.is_nan() & ((v > m) | v.is_nan());
                    (m, k) = if take { (v, idx) } else { (m, k) };
                }
                (*y, *arg) = (m, k);
            }
        }
    }
}

/// The adjoint: each entry of `dx` (h, w, c) gets its window's output
/// gradient if the pooling chose it, else 0. Written entry by entry, in the
/// order of `dx` (a gather, whose channel loop the compiler vectorises: a
/// byte compare and a select), instead of zeroing `dx` and scattering the
/// gradients to the noted entries, which cost an index computation and a
/// bounds check per number (40 % of the conv layer's own loops).
pub(super) fn unpool_image(h: usize, w: usize, c: usize, g: &[f32], arg: &[u8], dx: &mut [f32]) {
    let (ho, wo) = (h / 2, w / 2);
    for (y, row) in dx.chunks_exact_mut(w * c).enumerate() {
        for (x, dx) in row.chunks_exact_mut(c).enumerate() {
            if y / 2 >= ho || x / 2 >= wo {
                // An odd last row or column, outside every window.
                dx.fill(0.0);
                continue;
            }
            let o = ((y / 2) * wo + x / 2) * c;
            let k = ((y % 2) * 2 + x % 2) as u8;
            let (g, arg) = (&g[o..o + c], &arg[o..o + c]);
            dx.iter_mut().zip(g.iter().zip(arg)).for_each(|(dx, (&g, &a))| *dx = if a == k { g } else { 0.0 });
        }
    }
}

impl CustomOp1 for MaxPool2 {
    fn name(&self) -> &'static str {
        "maxpool2"
    }

    fn cpu_fwd(&self, storage: &CpuStorage, layout: &Layout) -> Result<(CpuStorage, Shape)> {
        let MaxPool2 { n, h, w, c, .. } = *self;
        let x = numbers(storage, layout, n * h * w * c, "maxpool2")?;
        let out = pooled_len(h, w, c);
        let mut y = vec![0f32; n * out];
        let mut arg = vec![0u8; n * out];
        if out > 0 {
            y.par_chunks_mut(out)
                .zip(arg.par_chunks_mut(out))
                .zip(x.par_chunks(h * w * c))
                .for_each(|((y, arg), img)| pool_image(h, w, c, img, y, arg));
        }
        self.argmax.keep(arg)?;
        Ok((CpuStorage::F32(y), Shape::from((n, h / 2, w / 2, c))))
    }

    fn bwd(&self, arg: &Tensor, _res: &Tensor, grad: &Tensor) -> Result<Option<Tensor>> {
        Ok(Some(grad.contiguous()?.apply_op1_no_bwd(&Unpool(self.clone()))?.reshape(arg.dims())?))
    }
}

impl CustomOp1 for Unpool {
    fn name(&self) -> &'static str {
        "maxpool2-grad"
    }

    fn cpu_fwd(&self, storage: &CpuStorage, layout: &Layout) -> Result<(CpuStorage, Shape)> {
        let MaxPool2 { n, h, w, c, ref argmax } = self.0;
        let out = pooled_len(h, w, c);
        let g = numbers(storage, layout, n * out, "maxpool2-grad")?;
        let arg = argmax.get(n * out)?;
        let mut dx = vec![0f32; n * h * w * c];
        if out > 0 {
            dx.par_chunks_mut(h * w * c)
                .zip(g.par_chunks(out).zip(arg.par_chunks(out)))
                .for_each(|(dx, (g, arg))| unpool_image(h, w, c, g, arg, dx));
        }
        Ok((CpuStorage::F32(dx), Shape::from((n, h, w, c))))
    }
}
