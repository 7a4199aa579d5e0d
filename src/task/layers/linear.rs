//! Fully connected layers, each worker with its own weights: y = x·Wᵀ + b per
//! worker, W in PyTorch's (out, in) layout. Every product reads W where it
//! lies (a transposed view), and ∂W = Gᵀ·x is written in W's layout, so no
//! transposed copy is made.

use candle_core::{CpuStorage, CustomOp3, Layout, Result, Shape, Tensor};
use rayon::prelude::*;

use super::gemm::{Mat, matmul};
use super::numbers;

/// Rows per piece of work in the forward pass (fixed, so that results do not depend on threads).
const ROWS: usize = 32;

/// (h, B, in) inputs, weights (h, out·in) and biases (h, out) → (h, B, out).
#[derive(Clone, Copy)]
pub struct Linear {
    pub workers: usize,
    pub batch: usize,
    pub inputs: usize,
    pub out: usize,
}

/// (inputs, weights, gradient of the output) → [∂inputs (when asked) | ∂weights | ∂biases], flat.
struct LinearGrad {
    layer: Linear,
    input: bool,
}

impl CustomOp3 for Linear {
    fn name(&self) -> &'static str {
        "linear"
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
        let Linear { workers, batch, inputs, out } = *self;
        let x = numbers(s1, l1, workers * batch * inputs, "linear inputs")?;
        let w = numbers(s2, l2, workers * out * inputs, "linear weights")?;
        let bias = numbers(s3, l3, workers * out, "linear biases")?;
        let mut y = vec![0f32; workers * batch * out];
        if y.is_empty() {
            return Ok((CpuStorage::F32(y), Shape::from((workers, batch, out))));
        }
        let pieces = batch.div_ceil(ROWS).max(1);
        let mut parts: Vec<(usize, usize, &mut [f32])> = Vec::with_capacity(workers * pieces);
        for (worker, yw) in y.chunks_mut((batch * out).max(1)).enumerate().take(workers) {
            for (piece, yp) in yw.chunks_mut(ROWS * out).enumerate() {
                parts.push((worker, piece * ROWS, yp));
            }
        }
        parts.into_par_iter().for_each(|(worker, row, y)| {
            let rows = y.len() / out;
            y.chunks_mut(out).for_each(|r| r.copy_from_slice(&bias[worker * out..(worker + 1) * out]));
            let xs = &x[(worker * batch + row) * inputs..(worker * batch + row + rows) * inputs];
            let wt = Mat::new(&w[worker * out * inputs..(worker + 1) * out * inputs], out, inputs).t();
            matmul(y, Mat::new(xs, rows, inputs), wt, true);
        });
        Ok((CpuStorage::F32(y), Shape::from((workers, batch, out))))
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
        let packed = x.apply_op3_no_bwd(w, &grad.contiguous()?, &LinearGrad { layer: *self, input })?;
        let nx = if input { x.elem_count() } else { 0 };
        let dx = if input { Some(packed.narrow(0, 0, nx)?.reshape(x.dims())?) } else { None };
        let dw = packed.narrow(0, nx, w.elem_count())?.reshape(w.dims())?;
        let db = packed.narrow(0, nx + w.elem_count(), bias.elem_count())?.reshape(bias.dims())?;
        Ok((dx, Some(dw), Some(db)))
    }
}

impl CustomOp3 for LinearGrad {
    fn name(&self) -> &'static str {
        "linear-grad"
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
        let Linear { workers, batch, inputs, out } = self.layer;
        let x = numbers(s1, l1, workers * batch * inputs, "linear-grad inputs")?;
        let w = numbers(s2, l2, workers * out * inputs, "linear-grad weights")?;
        let g = numbers(s3, l3, workers * batch * out, "linear-grad gradient")?;
        let nx = if self.input { x.len() } else { 0 };
        let mut packed = vec![0f32; nx + w.len() + workers * out];
        let (dx, rest) = packed.split_at_mut(nx);
        let (dw, db) = rest.split_at_mut(w.len());
        let dx: Vec<&mut [f32]> = if self.input {
            dx.chunks_mut((batch * inputs).max(1)).collect()
        } else {
            (0..workers).map(|_| <&mut [f32]>::default()).collect()
        };
        dx.into_par_iter()
            .zip(dw.par_chunks_mut((out * inputs).max(1)))
            .zip(db.par_chunks_mut(out.max(1)))
            .enumerate()
            .for_each(|(worker, ((dx, dw), db))| {
                let gw = Mat::new(&g[worker * batch * out..(worker + 1) * batch * out], batch, out);
                let xw = Mat::new(&x[worker * batch * inputs..(worker + 1) * batch * inputs], batch, inputs);
                let ww = Mat::new(&w[worker * out * inputs..(worker + 1) * out * inputs], out, inputs);
                matmul(dw, gw.t(), xw, false);
                g[worker * batch * out..(worker + 1) * batch * out]
                    .chunks(out)
                    .for_each(|row| db.iter_mut().zip(row).for_each(|(b, g)| *b += g));
                if self.input {
                    matmul(dx, gw, ww, false);
                }
            });
        Ok((CpuStorage::F32(packed), Shape::from(nx + w.len() + workers * out)))
    }
}
