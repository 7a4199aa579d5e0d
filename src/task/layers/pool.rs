//! 2 × 2 max-pooling with stride 2 on channels-last images (a last odd row or
//! column is dropped, as in PyTorch). NaN counts as the largest value, so a
//! blow-up is not hidden. The backward pass sends each window's gradient to
//! the first of its largest inputs, found again from the input.

use candle_core::{CpuStorage, CustomOp1, CustomOp2, Layout, Result, Shape, Tensor};
use rayon::prelude::*;

use super::numbers;

/// (N, H, W, C) → (N, H/2, W/2, C).
#[derive(Clone, Copy)]
pub struct MaxPool2 {
    pub n: usize,
    pub h: usize,
    pub w: usize,
    pub c: usize,
}

/// (input, gradient of the output) → gradient of the input.
struct MaxPool2Grad(MaxPool2);

/// The larger of two values, NaN winning; written so that it vectorises.
fn larger(m: f32, v: f32) -> f32 {
    if v > m || v.is_nan() { v } else { m }
}

impl MaxPool2 {
    fn out_len(&self) -> usize {
        (self.h / 2) * (self.w / 2) * self.c
    }

    /// The four rows of C values under output (y, x) of one image, in scan order.
    fn window<'a>(&self, img: &'a [f32], y: usize, x: usize) -> [&'a [f32]; 4] {
        let c = self.c;
        let at = |i: usize, j: usize| &img[(i * self.w + j) * c..(i * self.w + j + 1) * c];
        [at(2 * y, 2 * x), at(2 * y, 2 * x + 1), at(2 * y + 1, 2 * x), at(2 * y + 1, 2 * x + 1)]
    }

    fn pool_image(&self, img: &[f32], y: &mut [f32]) {
        let (ho, wo, c) = (self.h / 2, self.w / 2, self.c);
        for yy in 0..ho {
            for xx in 0..wo {
                let [a, b, d, e] = self.window(img, yy, xx);
                let out = &mut y[(yy * wo + xx) * c..(yy * wo + xx + 1) * c];
                for ch in 0..c {
                    out[ch] = larger(larger(larger(a[ch], b[ch]), d[ch]), e[ch]);
                }
            }
        }
    }
}

impl CustomOp1 for MaxPool2 {
    fn name(&self) -> &'static str {
        "maxpool2"
    }

    fn cpu_fwd(&self, storage: &CpuStorage, layout: &Layout) -> Result<(CpuStorage, Shape)> {
        let MaxPool2 { n, h, w, c } = *self;
        let x = numbers(storage, layout, n * h * w * c, "maxpool2")?;
        let mut y = vec![0f32; n * self.out_len()];
        if self.out_len() > 0 {
            y.par_chunks_mut(self.out_len()).zip(x.par_chunks(h * w * c)).for_each(|(y, img)| self.pool_image(img, y));
        }
        Ok((CpuStorage::F32(y), Shape::from((n, h / 2, w / 2, c))))
    }

    fn bwd(&self, arg: &Tensor, _res: &Tensor, grad: &Tensor) -> Result<Option<Tensor>> {
        Ok(Some(arg.apply_op2_no_bwd(&grad.contiguous()?, &MaxPool2Grad(*self))?))
    }
}

impl CustomOp2 for MaxPool2Grad {
    fn name(&self) -> &'static str {
        "maxpool2-grad"
    }

    fn cpu_fwd(&self, s1: &CpuStorage, l1: &Layout, s2: &CpuStorage, l2: &Layout) -> Result<(CpuStorage, Shape)> {
        let p = self.0;
        let MaxPool2 { n, h, w, c } = p;
        let x = numbers(s1, l1, n * h * w * c, "maxpool2-grad")?;
        let g = numbers(s2, l2, n * p.out_len(), "maxpool2-grad")?;
        let (ho, wo) = (h / 2, w / 2);
        let mut dx = vec![0f32; x.len()];
        if p.out_len() > 0 {
            dx.par_chunks_mut(h * w * c).zip(x.par_chunks(h * w * c).zip(g.par_chunks(p.out_len()))).for_each(
                |(dx, (img, g))| {
                    for yy in 0..ho {
                        for xx in 0..wo {
                            let window = p.window(img, yy, xx);
                            let g = &g[(yy * wo + xx) * c..(yy * wo + xx + 1) * c];
                            for ch in 0..c {
                                let m =
                                    larger(larger(larger(window[0][ch], window[1][ch]), window[2][ch]), window[3][ch]);
                                // The first entry equal to the maximum (or, for NaN, the first NaN).
                                let k = (0..4).find(|&k| window[k][ch] == m || (m.is_nan() && window[k][ch].is_nan()));
                                let (i, j) = [(0, 0), (0, 1), (1, 0), (1, 1)][k.unwrap_or(0)];
                                dx[((2 * yy + i) * w + 2 * xx + j) * c + ch] = g[ch];
                            }
                        }
                    }
                },
            );
        }
        Ok((CpuStorage::F32(dx), l1.shape().clone()))
    }
}
