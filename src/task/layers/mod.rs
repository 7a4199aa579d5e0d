//! The layers of 001 Table 2's models as candle ops with their own backward
//! passes, for h workers at once: activations are (h, B, ...) with each
//! worker's parameters in its own row of an (h, len) tensor, so one backward
//! pass of one candle graph gives every worker's gradient. Candle's generic
//! strided copies, its max and its batched products with transposes cost
//! several times the arithmetic at these sizes; these ops go straight to
//! matrix kernels on slices and write each output once.
//!
//! Work is split over images or workers in fixed pieces, so results do not
//! depend on the number of threads.

mod conv;
mod gemm;
mod linear;
mod pool;
mod relu;

pub use conv::Conv3x3;
pub use linear::Linear;
pub use pool::MaxPool2;
pub use relu::Relu;

use candle_core::{CpuStorage, Layout, Result, bail};

/// The f32 numbers of a contiguous tensor, checked to hold `len` of them.
fn numbers<'a>(storage: &'a CpuStorage, layout: &Layout, len: usize, what: &str) -> Result<&'a [f32]> {
    let CpuStorage::F32(data) = storage else { bail!("{what}: the layers work on f32") };
    match layout.contiguous_offsets() {
        Some((start, end)) if end - start == len => Ok(&data[start..end]),
        Some((start, end)) => bail!("{what}: expected {len} numbers, got {}", end - start),
        None => bail!("{what}: needs a contiguous input"),
    }
}
