//! Inverted dropout as multiplication by a fixed mask (0 or 1/(1 − p) per
//! entry), drawn by the caller from the workers' streams; the backward pass
//! multiplies by the same mask, and the mask itself takes no gradient.

use candle_core::{CpuStorage, CustomOp1, Layout, Result, Shape, Tensor};
use rayon::prelude::*;
use std::sync::Arc;

use super::numbers;

const CHUNK: usize = 1 << 16;

/// x ↦ x ⊙ mask.
#[derive(Clone)]
pub struct Mask(pub Arc<Vec<f32>>);

impl CustomOp1 for Mask {
    fn name(&self) -> &'static str {
        "mask"
    }

    fn cpu_fwd(&self, storage: &CpuStorage, layout: &Layout) -> Result<(CpuStorage, Shape)> {
        let x = numbers(storage, layout, self.0.len(), "dropout")?;
        let mut y = vec![0f32; x.len()];
        y.par_chunks_mut(CHUNK).zip(x.par_chunks(CHUNK).zip(self.0.par_chunks(CHUNK))).for_each(|(y, (x, m))| {
            y.iter_mut().zip(x.iter().zip(m)).for_each(|(y, (x, m))| *y = x * m);
        });
        Ok((CpuStorage::F32(y), layout.shape().clone()))
    }

    fn bwd(&self, _arg: &Tensor, _res: &Tensor, grad: &Tensor) -> Result<Option<Tensor>> {
        Ok(Some(grad.contiguous()?.apply_op1_no_bwd(self)?))
    }
}
