//! Fully connected layers y = x·Wᵀ + b, W in PyTorch's (out, in) layout, an
//! optional ReLU fused after them. The input may be an image (h, B, H, W, C):
//! it is read flat in H, W, C order, with no reshape node. Every product
//! reads W where it lies (a transposed view), and ∂W = Gᵀ·x is written in W's
//! layout straight into the worker's gradient row.

use candle_core::{CpuStorage, CustomOp3, Layout, Result, Shape, Tensor, bail};
use rayon::prelude::*;

use super::gemm::{Mat, matmul, order_ignores_strides, transposed};
use super::relu::{relu_in_place, through_relu};
use super::{Target, numbers, small};

/// Rows per piece of work in a large forward pass (fixed, so that results do not depend on threads).
const ROWS: usize = 32;

/// (h, B, in) inputs, weights (out·in) and biases (out) → (h, B, out).
#[derive(Clone)]
pub struct Linear {
    pub workers: usize,
    pub batch: usize,
    pub inputs: usize,
    pub out: usize,
    /// A ReLU follows (fused).
    pub relu: bool,
    /// Where each worker's weight and bias gradients go (needed for a backward pass).
    pub grads: Option<Target>,
}

/// (inputs, weights, gradient of the output) → ∂inputs, or nothing when the
/// inputs need no gradient; ∂weights and ∂biases go to the workers' rows.
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
        let Linear { workers, batch, inputs, out, .. } = *self;
        if out == 0 || inputs == 0 {
            bail!("linear: needs inputs and outputs")
        }
        let x = numbers(s1, l1, workers * batch * inputs, "linear inputs")?;
        let weights = numbers(s2, l2, out * inputs, "linear weights")?;
        let bias = numbers(s3, l3, out, "linear biases")?;
        let mut y = vec![0f32; workers * batch * out];
        // Small layers in one product on the calling thread (a call per 32 rows,
        // or waking another thread, costs more than the arithmetic: measured
        // on a planning adversary's many forward passes); large ones in pieces
        // of 32 rows over the threads.
        let rows = workers * batch;
        let piece = if small(rows * inputs * out) { rows.max(1) } else { ROWS };
        // Large layers read Wᵀ from a contiguous copy: through the transposed
        // view the product's kernel reads `out` columns 4·inputs bytes apart,
        // which for fc1 (9,216 inputs) fall in one L1 set and evict each other
        // (fc1's forward pass for 12 workers × 32 digits: 34 → 12–18 ms). The
        // copy holds the same numbers; pieces whose order depends on the
        // strides keep the view (`order_ignores_strides`), so the bits are the
        // view's for every shape (tests: `large_linear_layers_keep_the_bits`).
        let copy_for = |r: usize| order_ignores_strides(r, out);
        let copy = (!small(rows * inputs * out) && copy_for(piece.min(rows))).then(|| transposed(weights, out, inputs));
        let view = Mat::new(weights, out, inputs).t();
        y.par_chunks_mut(piece * out).zip(x.par_chunks(piece * inputs)).for_each(|(y, x)| {
            y.chunks_mut(out).for_each(|r| r.copy_from_slice(bias));
            let r = y.len() / out;
            let w = match &copy {
                Some(t) if copy_for(r) => Mat::new(t, inputs, out),
                _ => view,
            };
            matmul(y, Mat::new(x, r, inputs), w, true);
            if self.relu {
                relu_in_place(y);
            }
        });
        Ok((CpuStorage::F32(y), Shape::from((workers, batch, out))))
    }

    fn bwd(
        &self,
        x: &Tensor,
        w: &Tensor,
        _bias: &Tensor,
        res: &Tensor,
        grad: &Tensor,
    ) -> Result<(Option<Tensor>, Option<Tensor>, Option<Tensor>)> {
        let grad = through_relu(self.relu, res, grad)?;
        let input = x.track_op();
        let dx = x.apply_op3_no_bwd(w, &grad, &LinearGrad { layer: self.clone(), input })?;
        Ok((if input { Some(dx.reshape(x.dims())?) } else { None }, None, None))
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
        let Linear { workers, batch, inputs, out, .. } = self.layer;
        let Some(target) = &self.layer.grads else { bail!("linear: no gradient rows for a backward pass") };
        let x = numbers(s1, l1, workers * batch * inputs, "linear-grad inputs")?;
        let w = Mat::new(numbers(s2, l2, out * inputs, "linear-grad weights")?, out, inputs);
        let g = numbers(s3, l3, workers * batch * out, "linear-grad gradient")?;
        let mut dx = crate::alloc::zeroed(if self.input { x.len() } else { 0 });
        target.write(
            2 * workers * batch * inputs * out,
            workers,
            (out * inputs, out),
            &mut dx,
            |worker, dw, db, dx| {
                let gw = Mat::new(&g[worker * batch * out..(worker + 1) * batch * out], batch, out);
                let xw = Mat::new(&x[worker * batch * inputs..(worker + 1) * batch * inputs], batch, inputs);
                matmul(dw, gw.t(), xw, false);
                db.fill(0.0);
                g[worker * batch * out..(worker + 1) * batch * out]
                    .chunks(out)
                    .for_each(|row| db.iter_mut().zip(row).for_each(|(b, g)| *b += g));
                if self.input {
                    matmul(dx, gw, w, false);
                }
            },
        )?;
        let shape = if self.input { Shape::from((workers, batch, inputs)) } else { Shape::from(0) };
        Ok((CpuStorage::F32(dx), shape))
    }
}
