//! ReLU with a one-pass backward (candle's builds a mask, converts and
//! multiplies). Convolutions and linear layers apply it themselves when a
//! ReLU follows them (see `ReluGrad`).

use candle_core::{CpuStorage, CustomOp1, CustomOp2, Layout, Result, Shape, Tensor};
use rayon::prelude::*;

use super::numbers;

const CHUNK: usize = 1 << 16;

/// max(x, 0), elementwise; NaN stays NaN so that a blow-up is seen.
pub struct Relu;

/// The gradient through a ReLU, from its output y and the gradient g of y: g where y > 0, else 0.
pub(super) struct ReluGrad;

/// The gradient through a ReLU: `g` where its output `y` > 0, else 0.
pub(super) fn relu_grad(y: &[f32], g: &[f32], dx: &mut [f32]) {
    dx.iter_mut().zip(y.iter().zip(g)).for_each(|(dx, (&y, &g))| *dx = if y > 0.0 { g } else { 0.0 });
}

/// ReLU in place.
pub(super) fn relu_in_place(y: &mut [f32]) {
    y.iter_mut().for_each(|y| *y = if *y <= 0.0 { 0.0 } else { *y });
}

impl CustomOp1 for Relu {
    fn name(&self) -> &'static str {
        "relu"
    }

    fn cpu_fwd(&self, storage: &CpuStorage, layout: &Layout) -> Result<(CpuStorage, Shape)> {
        let x = numbers(storage, layout, layout.shape().elem_count(), "relu")?;
        let mut y = x.to_vec();
        y.par_chunks_mut(CHUNK).for_each(relu_in_place);
        Ok((CpuStorage::F32(y), layout.shape().clone()))
    }

    fn bwd(&self, _arg: &Tensor, res: &Tensor, grad: &Tensor) -> Result<Option<Tensor>> {
        Ok(Some(res.apply_op2_no_bwd(&grad.contiguous()?, &ReluGrad)?))
    }
}

impl CustomOp2 for ReluGrad {
    fn name(&self) -> &'static str {
        "relu-grad"
    }

    fn cpu_fwd(&self, s1: &CpuStorage, l1: &Layout, s2: &CpuStorage, l2: &Layout) -> Result<(CpuStorage, Shape)> {
        let n = l1.shape().elem_count();
        let (y, g) = (numbers(s1, l1, n, "relu-grad")?, numbers(s2, l2, n, "relu-grad")?);
        let mut dx = vec![0f32; n];
        dx.par_chunks_mut(CHUNK)
            .zip(y.par_chunks(CHUNK).zip(g.par_chunks(CHUNK)))
            .for_each(|(dx, (y, g))| relu_grad(y, g, dx));
        Ok((CpuStorage::F32(dx), l1.shape().clone()))
    }
}

/// The gradient reaching a layer whose output went through a fused ReLU.
pub(super) fn through_relu(relu: bool, res: &Tensor, grad: &Tensor) -> Result<Tensor> {
    let grad = grad.contiguous()?;
    if relu { res.apply_op2_no_bwd(&grad, &ReluGrad) } else { Ok(grad) }
}
