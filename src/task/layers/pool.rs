//! 2 × 2 max-pooling with stride 2 on channels-last images (a last odd row or
//! column is dropped, as in PyTorch). The backward pass sends each window's
//! gradient to the first of its largest inputs, found again from the input.

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

impl MaxPool2 {
    fn out_len(&self) -> usize {
        (self.h / 2) * (self.w / 2) * self.c
    }

    /// Offsets in one image of the window of output (y, x), channel 0, in scan order.
    fn window(&self, y: usize, x: usize) -> [usize; 4] {
        let at = |i: usize, j: usize| (i * self.w + j) * self.c;
        [at(2 * y, 2 * x), at(2 * y, 2 * x + 1), at(2 * y + 1, 2 * x), at(2 * y + 1, 2 * x + 1)]
    }

    /// Which of the four window entries is the first largest; NaN counts as largest.
    fn pick(img: &[f32], window: &[usize; 4], ch: usize) -> usize {
        let mut best = 0;
        for k in 1..4 {
            let (v, m) = (img[window[k] + ch], img[window[best] + ch]);
            if !m.is_nan() && (v > m || v.is_nan()) {
                best = k;
            }
        }
        window[best] + ch
    }
}

impl CustomOp1 for MaxPool2 {
    fn name(&self) -> &'static str {
        "maxpool2"
    }

    fn cpu_fwd(&self, storage: &CpuStorage, layout: &Layout) -> Result<(CpuStorage, Shape)> {
        let MaxPool2 { n, h, w, c } = *self;
        let x = numbers(storage, layout, n * h * w * c, "maxpool2")?;
        let (ho, wo) = (h / 2, w / 2);
        let mut y = vec![0f32; n * self.out_len()];
        if self.out_len() > 0 {
            y.par_chunks_mut(self.out_len()).zip(x.par_chunks(h * w * c)).for_each(|(y, img)| {
                for yy in 0..ho {
                    for xx in 0..wo {
                        let window = self.window(yy, xx);
                        for ch in 0..c {
                            y[(yy * wo + xx) * c + ch] = img[Self::pick(img, &window, ch)];
                        }
                    }
                }
            });
        }
        Ok((CpuStorage::F32(y), Shape::from((n, ho, wo, c))))
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
                            let window = p.window(yy, xx);
                            for ch in 0..c {
                                dx[MaxPool2::pick(img, &window, ch)] = g[(yy * wo + xx) * c + ch];
                            }
                        }
                    }
                },
            );
        }
        Ok((CpuStorage::F32(dx), l1.shape().clone()))
    }
}
