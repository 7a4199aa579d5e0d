//! The layers of 001 Table 2's models as candle ops with their own backward
//! passes, for h workers at once. Activations are (h, B, ...); every worker
//! holds the same θ (the server broadcast it), so the layers read one copy of
//! their parameters. During candle's backward pass each layer writes each
//! worker's part of its parameters' gradient into that worker's row of a
//! `ParamGrads` (as per-sample-gradient hooks do in Opacus), so one backward
//! pass of one candle graph gives every worker's gradient without per-worker
//! parameter copies. Candle's generic strided copies, its max and its batched
//! products with transposes cost several times the arithmetic at these sizes;
//! these ops go straight to matrix kernels on slices.
//!
//! Work is split over images or workers in fixed pieces, so results do not
//! depend on the number of threads.

mod conv;
mod conv_pair;
mod dropout;
mod gemm;
mod linear;
pub mod narrow;
mod pool;
mod relu;
#[cfg(test)]
mod tests;

pub use conv::Conv3x3;
pub use conv_pair::ConvPair;
pub use dropout::Mask;
pub use linear::Linear;
pub use pool::MaxPool2;
pub use relu::Relu;

use candle_core::{CpuStorage, Layout, Result, bail};
use std::sync::{Arc, Mutex};

/// Below this many multiply-adds (or numbers touched) a pass runs on the
/// calling thread: waking another thread costs more than the work (logistic
/// regression's layers are this small).
const SMALL_WORK: usize = 1 << 22;

/// The least number of pieces rayon may give one thread for `work` in `pieces`:
/// all of them when the work is small, so that nothing is sent to another thread.
pub(crate) fn min_len(work: usize, pieces: usize) -> usize {
    if small(work) { pieces.max(1) } else { 1 }
}

/// Whether `work` is too little to share between threads.
fn small(work: usize) -> bool {
    work < SMALL_WORK
}

/// Each worker's gradient of θ (one row per worker), written by the layers.
pub struct ParamGrads(Mutex<Vec<Vec<f32>>>);

/// Where a layer's parameters lie in θ: its weights at `offset`, its biases right after.
#[derive(Clone)]
pub struct Target {
    pub grads: Arc<ParamGrads>,
    pub offset: usize,
}

impl ParamGrads {
    /// Zeroed gradient rows of `dim` numbers for `workers` workers, each
    /// allocated zeroed on its own (on either thread) rather than cloned from
    /// the first: one thread copying 12 rows of the MNIST CNN's 1.2 M numbers
    /// was 58 MB per step while the other waited.
    pub fn new(workers: usize, dim: usize) -> Arc<Self> {
        use rayon::prelude::*;
        let rows = (0..workers).into_par_iter().with_min_len(min_len(workers * dim, workers));
        Arc::new(ParamGrads(Mutex::new(rows.map(|_| vec![0.0; dim]).collect())))
    }

    /// The rows written so far, leaving this empty.
    pub fn take(&self) -> Result<Vec<Vec<f32>>> {
        Ok(std::mem::take(
            &mut *self.0.lock().map_err(|_| candle_core::Error::Msg("a gradient lock was poisoned".into()))?,
        ))
    }
}

impl Target {
    /// Runs `write(worker, ∂weights, ∂biases, ∂inputs)` for every worker in
    /// parallel; `dx` holds every worker's ∂inputs in turn, or nothing.
    fn write(
        &self,
        work: usize,
        workers: usize,
        (weights, biases): (usize, usize),
        dx: &mut [f32],
        write: impl Fn(usize, &mut [f32], &mut [f32], &mut [f32]) + Sync,
    ) -> Result<()> {
        use rayon::prelude::*;
        let mut rows =
            self.grads.0.lock().map_err(|_| candle_core::Error::Msg("a gradient lock was poisoned".into()))?;
        if rows.len() != workers
            || rows.iter().any(|r| r.len() < self.offset + weights + biases)
            || !dx.len().is_multiple_of(workers.max(1))
        {
            bail!("the gradient rows do not match the layer")
        }
        let mut dx: Vec<&mut [f32]> = match dx.len() / workers.max(1) {
            0 => (0..workers).map(|_| <&mut [f32]>::default()).collect(),
            per => dx.chunks_mut(per).collect(),
        };
        rows.par_iter_mut().zip(dx.par_iter_mut()).with_min_len(min_len(work, workers)).enumerate().for_each(
            |(worker, (row, dx))| {
                let (w, b) = row[self.offset..self.offset + weights + biases].split_at_mut(weights);
                write(worker, w, b, dx);
            },
        );
        Ok(())
    }
}

/// The f32 numbers of a contiguous tensor, checked to hold `len` of them.
fn numbers<'a>(storage: &'a CpuStorage, layout: &Layout, len: usize, what: &str) -> Result<&'a [f32]> {
    let CpuStorage::F32(data) = storage else { bail!("{what}: the layers work on f32") };
    match layout.contiguous_offsets() {
        Some((start, end)) if end - start == len => Ok(&data[start..end]),
        Some((start, end)) => bail!("{what}: expected {len} numbers, got {}", end - start),
        None => bail!("{what}: needs a contiguous input"),
    }
}
