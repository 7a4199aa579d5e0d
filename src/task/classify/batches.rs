//! Each worker's batch of a step, drawn with replacement from its shard by
//! the stream of (seed, worker, step), and kept for the steps asked again;
//! the server's, from its root set (FLTrust), likewise.

use candle_core::Tensor;
use rand::Rng;
use rand_chacha::ChaCha8Rng;

use crate::rng::{Purpose, stream};
use crate::task::TaskError;

use super::Classification;

impl Classification {
    /// Worker `w`'s batch in `step`: images (channels-last) and labels.
    pub(super) fn batch_of(&self, w: usize, step: usize, images: &mut Vec<f32>, labels: &mut Vec<u32>) {
        let rng = stream(self.seed, Purpose::HonestSample, w as u64, step as u64);
        self.draw_from(&self.shards[w], rng, images, labels);
    }

    /// The server's batch in `step`, drawn from its root set as a worker's
    /// from its shard: (1, B, H, W, C) images and (1, B) labels.
    pub(super) fn root_batch(&self, step: usize) -> Result<(Tensor, Tensor), TaskError> {
        let rng = stream(self.seed, Purpose::Root, 1, step as u64);
        let (mut images, mut labels) = (vec![], vec![]);
        self.draw_from(&self.root, rng, &mut images, &mut labels);
        let [c, h, w] = self.data.shape;
        let x = Tensor::from_vec(images, (1, self.batch, h, w, c), &self.device)?;
        let y = Tensor::from_vec(labels, (1, self.batch), &self.device)?;
        Ok((x, y))
    }

    /// A batch drawn with replacement from `shard` by `rng`, appended to `images` and `labels`.
    fn draw_from(&self, shard: &[usize], mut rng: ChaCha8Rng, images: &mut Vec<f32>, labels: &mut Vec<u32>) {
        for _ in 0..self.batch {
            let i = shard[rng.random_range(0..shard.len())];
            push_hwc(&self.data.train.images, i, self.data.shape, images);
            labels.push(u32::from(self.data.train.labels[i]));
        }
    }

    /// The h honest workers' batches for `step`, remembered for the last few steps.
    pub(super) fn batches(&self, step: usize) -> Result<(Tensor, Tensor), TaskError> {
        let poisoned = || TaskError::Poisoned;
        if let Some((_, x, y)) = self.recent.lock().map_err(|_| poisoned())?.iter().find(|(s, ..)| *s == step) {
            return Ok((x.clone(), y.clone()));
        }
        let (x, y) = self.draw_batches(step)?;
        let mut recent = self.recent.lock().map_err(|_| poisoned())?;
        if recent.len() >= 3 {
            recent.remove(0);
        }
        recent.push((step, x.clone(), y.clone()));
        Ok((x, y))
    }

    /// Draws the h honest workers' batches for `step`: (h, B, H, W, C) images and (h, B) labels.
    pub(super) fn draw_batches(&self, step: usize) -> Result<(Tensor, Tensor), TaskError> {
        let n = self.shards.len() * self.batch;
        let (mut images, mut labels) =
            (Vec::with_capacity(n * self.data.shape.iter().product::<usize>()), Vec::with_capacity(n));
        for w in 0..self.shards.len() {
            self.batch_of(w, step, &mut images, &mut labels);
        }
        let [c, h, w] = self.data.shape;
        let x = Tensor::from_vec(images, (self.shards.len(), self.batch, h, w, c), &self.device)?;
        let y = Tensor::from_vec(labels, (self.shards.len(), self.batch), &self.device)?;
        Ok((x, y))
    }
}

/// Appends image `i` of `images` (N × C × H × W) in H, W, C order.
pub(super) fn push_hwc(images: &[f32], i: usize, [c, h, w]: [usize; 3], out: &mut Vec<f32>) {
    let img = &images[i * c * h * w..(i + 1) * c * h * w];
    if c == 1 {
        out.extend_from_slice(img);
        return;
    }
    for y in 0..h {
        for x in 0..w {
            out.extend((0..c).map(|ch| img[(ch * h + y) * w + x]));
        }
    }
}
