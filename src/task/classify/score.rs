//! Losses and accuracy: cross-entropy of the workers' logits, the linear
//! model's fast loss, and the test-set evaluation.

use candle_core::{CpuStorage, D, Storage, Tensor};

use crate::plan::Layer;
use crate::task::layers::narrow;
use crate::task::{LossLine, TaskError};

use super::batches::push_hwc;
use super::{Classification, Evaluation};

impl Classification {
    /// Each copy's mean cross-entropy and number of correct predictions from
    /// logits (h, B, K), in f64, for the paths without a backward pass (the
    /// honest loss a planning adversary evaluates many times per step, and
    /// evaluation): one loop instead of ten small candle ops. A non-finite
    /// logit gives a non-finite loss.
    pub(super) fn score(logits: &Tensor, labels: &Tensor) -> Result<Vec<(f64, f64)>, TaskError> {
        let (h, b, k) = logits.dims3()?;
        let z = logits.flatten_all()?.to_vec1::<f32>()?;
        let y = labels.flatten_all()?.to_vec1::<u32>()?;
        Ok(Self::score_numbers(&z, &y, h, b, k))
    }

    /// `score` on logits (h·B·K numbers) and labels (h·B) as slices.
    pub(super) fn score_numbers(z: &[f32], y: &[u32], h: usize, b: usize, k: usize) -> Vec<(f64, f64)> {
        let score_one = |i: usize| {
            let row = &z[i * k..(i + 1) * k];
            let max = row.iter().fold(f32::NEG_INFINITY, |m, &v| m.max(v));
            // exp in f32 (as candle's log-softmax), summed in f64.
            let lse = f64::from(max) + row.iter().map(|&v| f64::from((v - max).exp())).sum::<f64>().ln();
            let picked = row.get(y[i] as usize).map_or(f64::NAN, |&v| f64::from(v));
            let predicted = row.iter().position(|&v| v == max);
            (lse - picked, f64::from(u8::from(predicted == Some(y[i] as usize))))
        };
        (0..h)
            .map(|w| {
                let (loss, correct) =
                    (w * b..(w + 1) * b).map(score_one).fold((0.0, 0.0), |a, s| (a.0 + s.0, a.1 + s.1));
                (loss / b.max(1) as f64, correct)
            })
            .collect()
    }

    /// The honest loss of a linear model with ten classes (logistic
    /// regression) without a candle graph: JUMP and the planner evaluate it
    /// dozens of times per step (see `layers::narrow`).
    pub(super) fn linear_model_loss(&self, theta: &[f32], step: usize) -> Result<Option<f64>, TaskError> {
        self.with_linear_batch(step, |x, labels| {
            Self::score_numbers(&linear_logits(x, labels.len(), theta), labels, 1, labels.len(), narrow::OUT)[0].0
        })
    }

    /// `linear_model_loss` along θ − tΔ (`Task::loss_along`): the logits of θ
    /// and of Δ once (two products), then z(t) = z(θ) − t·z(Δ) in `f64`,
    /// rounded to `f32` as the product's logits are, and the cross-entropy.
    /// z = xWᵀ + b is linear in θ = (W, b), so z(θ − tΔ) = z(θ) − t·z(Δ),
    /// with Δ's weights and bias in the second product.
    pub(super) fn linear_model_line(
        &self,
        theta: &[f32],
        direction: &[f32],
        step: usize,
    ) -> Result<Option<LossLine>, TaskError> {
        if theta.len() != direction.len() {
            return Ok(None);
        }
        self.with_linear_batch(step, |x, labels| {
            let rows = labels.len();
            let (at, along) = (linear_logits(x, rows, theta), linear_logits(x, rows, direction));
            let labels = labels.to_vec();
            let line: LossLine = Box::new(move |t| {
                let z: Vec<f32> =
                    at.iter().zip(&along).map(|(&a, &b)| (f64::from(a) - t * f64::from(b)) as f32).collect();
                Self::score_numbers(&z, &labels, 1, rows, narrow::OUT)[0].0
            });
            line
        })
    }

    /// `f` of the step's images and labels as slices, for a model of one
    /// linear layer with ten outputs whose batch candle keeps contiguous on
    /// the CPU; `None` otherwise.
    fn with_linear_batch<R>(&self, step: usize, f: impl FnOnce(&[f32], &[u32]) -> R) -> Result<Option<R>, TaskError> {
        let [Layer::Linear { out: narrow::OUT }] = self.model.layers[..] else { return Ok(None) };
        // The step's batch, read where candle keeps it.
        let (x, y) = self.batches(step)?;
        let ((xs, xl), (ys, yl)) = (x.storage_and_layout(), y.storage_and_layout());
        let (Storage::Cpu(CpuStorage::F32(xs)), Storage::Cpu(CpuStorage::U32(ys))) = (&*xs, &*ys) else {
            return Ok(None);
        };
        let (Some((x0, x1)), Some((y0, y1))) = (xl.contiguous_offsets(), yl.contiguous_offsets()) else {
            return Ok(None);
        };
        Ok(Some(f(&xs[x0..x1], &ys[y0..y1])))
    }

    /// Mean cross-entropy per parameter copy (h), as a candle graph for the backward pass.
    pub(super) fn cross_entropy(logits: &Tensor, labels: &Tensor) -> candle_core::Result<Tensor> {
        let logp = candle_nn::ops::log_softmax(logits, D::Minus1)?;
        let picked = logp.gather(&labels.unsqueeze(2)?, 2)?.squeeze(2)?;
        picked.mean(1)?.neg()
    }

    /// Test accuracy and loss of θ over the whole test set.
    pub(crate) fn evaluate(&self, theta: &[f32]) -> Result<Evaluation, TaskError> {
        let p = self.params(theta, 1, false)?;
        let test = &self.data.test;
        let [c, h, w] = self.data.shape;
        let (mut loss, mut correct) = (0.0, 0.0);
        for start in (0..test.len()).step_by(500) {
            let n = 500.min(test.len() - start);
            let mut images = Vec::with_capacity(n * c * h * w);
            (start..start + n).for_each(|i| push_hwc(&test.images, i, self.data.shape, &mut images));
            let x = Tensor::from_vec(images, (1, n, h, w, c), &self.device)?;
            let labels: Vec<u32> = test.labels[start..start + n].iter().map(|l| u32::from(*l)).collect();
            let y = Tensor::from_vec(labels, (1, n), &self.device)?;
            let (l, k) = Self::score(&self.forward(&p, &x, None)?, &y)?[0];
            loss += l * n as f64;
            correct += k;
        }
        let n = test.len().max(1) as f64;
        Ok(Evaluation { accuracy: correct / n, loss: loss / n })
    }
}

/// The logits x·Wᵀ + b of the `rows` inputs `x` under the linear model θ = (W, b) with ten outputs.
fn linear_logits(x: &[f32], rows: usize, theta: &[f32]) -> Vec<f32> {
    let weights = narrow::OUT * (x.len() / rows.max(1));
    let mut z = vec![0f32; rows * narrow::OUT];
    narrow::product(x, rows, &theta[..weights], &theta[weights..weights + narrow::OUT], &mut z);
    z
}
