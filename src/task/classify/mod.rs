//! Image classification with cross-entropy (001 §5.1, App. B.1). All honest
//! workers' gradients come from one candle graph: images are kept
//! channels-last (h, B, H, W, C), and the layers (`super::layers`) write each
//! worker's parameter gradients into its own row during one backward pass
//! (batch norm's scale and shift are instead copied per worker, so candle's
//! autograd keeps the workers apart). Parameters
//! keep PyTorch's layout per layer (kernels out × C × 3 × 3); a linear layer
//! after convolutions reads its input in H, W, C order. Each worker draws its
//! batch with replacement from its shard, and its dropout masks, from streams
//! derived from (seed, worker, step): the adversary can replay any step exactly.

mod batches;
mod forward;
mod score;

use forward::Masks;

use candle_core::{D, Device, Tensor};
use rand::Rng;
use rayon::prelude::*;
use std::path::Path;
use std::sync::{Arc, Mutex};

use super::data::{self, Dataset};
use super::layers::ParamGrads;
use super::split;
use super::{LossLine, Task, TaskError};
use crate::plan::{Heterogeneity, Layer, ModelPlan, Shape};
use crate::rng::{Purpose, stream};

/// Image classification: the data set, each honest worker's shard, the model's layout in θ, recent batches.
pub struct Classification {
    data: Arc<Dataset>,
    model: ModelPlan,
    /// The input shape of each layer.
    shapes: Vec<Shape>,
    /// Where each layer's parameters start in θ.
    offsets: Vec<usize>,
    /// Each parameter block (a weight, a bias, a scale, a shift), in θ's order.
    blocks: Vec<Block>,
    params: usize,
    shards: Vec<Vec<usize>>,
    batch: usize,
    l2: f32,
    seed: u64,
    device: Device,
    /// The batches of the last steps asked for: a step's batches are needed
    /// for its gradients, its recorded loss, and many times by a planning adversary.
    recent: Mutex<Vec<(usize, Tensor, Tensor)>>,
    /// The server's clean examples (FLTrust's root data set), drawn once
    /// uniformly without replacement from the training set; empty without one.
    root: Vec<usize>,
}

/// A block of θ: where it starts, how long it is, and whether each worker
/// gets its own copy (batch norm's, whose gradients come from candle's store).
#[derive(Clone, Copy)]
pub(super) struct Block {
    off: usize,
    len: usize,
    per_worker: bool,
}

/// θ's blocks as tensors ((h, len) for per-worker blocks, (1, len) otherwise),
/// and, for a backward pass, the workers' gradient rows the layers fill.
pub(super) struct Params {
    blocks: Vec<(Block, Tensor)>,
    grads: Option<Arc<ParamGrads>>,
}

/// Activations of h parameter copies: images (h, B, H, W, C) with their
/// [C, H, W], or flat vectors (h, B, F).
pub(super) enum Act {
    Image(Tensor, [usize; 3]),
    Flat(Tensor),
}

/// Test-set accuracy and loss.
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct Evaluation {
    pub accuracy: f64,
    pub loss: f64,
}

impl Classification {
    /// Loads the data set, splits it among `honest` workers by `heterogeneity`, and lays the model out in θ.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        kind: data::DataKind,
        dir: &str,
        model: &ModelPlan,
        batch: usize,
        l2: f64,
        heterogeneity: Heterogeneity,
        honest: usize,
        seed: u64,
    ) -> Result<Self, TaskError> {
        let data = data::load(kind, Path::new(dir)).map_err(TaskError::Data)?;
        let shards = split::split(&data.train.labels, data.classes, honest, heterogeneity, seed);
        let shapes = model.shapes();
        let mut offsets = vec![];
        let mut blocks = vec![];
        let mut at = 0;
        for (l, s) in model.layers.iter().zip(&shapes) {
            offsets.push(at);
            let n = l.params(*s);
            let second = match (l, s) {
                (Layer::Conv { out } | Layer::Linear { out }, _) => *out,
                (Layer::BatchNorm, _) => n / 2,
                _ => 0,
            };
            if n > 0 {
                let per_worker = matches!(l, Layer::BatchNorm);
                blocks.push(Block { off: at, len: n - second, per_worker });
                blocks.push(Block { off: at + n - second, len: second, per_worker });
            }
            at += n;
        }
        Ok(Classification {
            data,
            model: model.clone(),
            shapes,
            offsets,
            blocks,
            params: at,
            shards,
            batch,
            l2: l2 as f32,
            seed,
            device: Device::Cpu,
            recent: Mutex::new(Vec::new()),
            root: vec![],
        })
    }

    /// The task with a server that holds `root` examples of the training set,
    /// drawn uniformly without replacement: from all of it for `Iid` (the root
    /// set of FLTrust's experiments), else from the shard `split` would deal
    /// to one more worker (all of the shard if it is smaller).
    pub(crate) fn with_root(mut self, root: usize, split: Heterogeneity) -> Self {
        let labels = &self.data.train.labels;
        let pool: Vec<usize> = match split {
            Heterogeneity::Iid => (0..labels.len()).collect(),
            h => {
                let workers = self.shards.len() + 1;
                split::split(labels, self.data.classes, workers, h, self.seed).pop().unwrap_or_default()
            }
        };
        let mut rng = stream(self.seed, Purpose::Root, 0, 0);
        let picked = rand::seq::index::sample(&mut rng, pool.len(), root.min(pool.len()));
        self.root = picked.into_iter().map(|i| pool[i]).collect();
        self
    }

    /// Each honest worker's gradient on its batch of `step`, and their mean
    /// loss; with `flip`, on the same images with labels l ↦ K − 1 − l (001
    /// Table 5's LF: 9 − l).
    fn gradients(&self, theta: &[f32], step: usize, flip: bool) -> Result<(Vec<Vec<f32>>, f64), TaskError> {
        let (x, mut y) = self.batches(step)?;
        if flip {
            let k = self.data.classes as u32 - 1;
            let flipped: Vec<u32> = y.flatten_all()?.to_vec1::<u32>()?.into_iter().map(|l| k - l.min(k)).collect();
            y = Tensor::from_vec(flipped, y.dims(), &self.device)?;
        }
        self.gradients_on(theta, &x, &y, Masks::honest(step))
    }

    /// The gradient on each of the h batches of `x` (h, B, H, W, C) with
    /// labels `y` (h, B), and their mean loss, with the dropout masks `masks`.
    fn gradients_on(
        &self,
        theta: &[f32],
        x: &Tensor,
        y: &Tensor,
        masks: Masks,
    ) -> Result<(Vec<Vec<f32>>, f64), TaskError> {
        let h = x.dims()[0];
        let p = self.params(theta, h, true)?;
        let loss = Self::cross_entropy(&self.forward(&p, x, Some(masks))?, y)?;
        let grads = loss.sum_all()?.backward()?;
        let mut out = p.grads.as_ref().ok_or_else(|| TaskError::NoGradient("the workers' rows"))?.take()?;
        for (b, block) in p.blocks.iter().filter(|(b, _)| b.per_worker) {
            let g = grads.get(block).ok_or_else(|| TaskError::NoGradient("the parameters"))?;
            out.iter_mut().zip(g.to_vec2::<f32>()?).for_each(|(o, g)| o[b.off..b.off + b.len].copy_from_slice(&g));
        }
        if self.l2 > 0.0 {
            // ∇ of λ/2 ‖θ‖².
            let small = super::min_len(h * theta.len(), h);
            out.par_iter_mut()
                .with_min_len(small)
                .for_each(|g| g.iter_mut().zip(theta).for_each(|(g, t)| *g += self.l2 * t));
        }
        Ok((out, Self::mean_of(&loss)?))
    }

    /// The mean of the workers' losses (h), in f64.
    fn mean_of(losses: &Tensor) -> Result<f64, TaskError> {
        let l = losses.to_vec1::<f32>()?;
        Ok(l.iter().map(|&x| f64::from(x)).sum::<f64>() / l.len().max(1) as f64)
    }
}

impl Task for Classification {
    fn dim(&self) -> usize {
        self.params
    }

    /// PyTorch's default initialisation: weights and biases U(−1/√fan_in, 1/√fan_in); batch norm scale 1, shift 0.
    fn init(&self) -> Vec<f32> {
        let mut rng = stream(self.seed, Purpose::Init, 0, 0);
        let mut theta = Vec::with_capacity(self.params);
        for (l, s) in self.model.layers.iter().zip(&self.shapes) {
            let n = l.params(*s);
            match (l, s) {
                (Layer::BatchNorm, _) => {
                    theta.extend(std::iter::repeat_n(1.0, n / 2));
                    theta.extend(std::iter::repeat_n(0.0, n / 2));
                }
                _ if n > 0 => {
                    let fan_in = match (l, s) {
                        (Layer::Conv { .. }, Shape::Image([c, ..])) => c * 9,
                        _ => s.size(),
                    };
                    let bound = 1.0 / (fan_in as f32).sqrt();
                    theta.extend((0..n).map(|_| rng.random_range(-bound..bound)));
                }
                _ => {}
            }
        }
        theta
    }

    fn honest(&self) -> usize {
        self.shards.len()
    }

    fn honest_gradients(&self, theta: &[f32], step: usize) -> Result<Vec<Vec<f32>>, TaskError> {
        Ok(self.gradients(theta, step, false)?.0)
    }

    fn gradients_and_training_loss(&self, theta: &[f32], step: usize) -> Result<(Vec<Vec<f32>>, f64), TaskError> {
        self.gradients(theta, step, false)
    }

    fn logit_gap(&self, theta: &[f32], step: usize) -> Option<Result<f64, TaskError>> {
        let gap = || -> Result<f64, TaskError> {
            let (x, _) = self.batches(step)?;
            let (h, b) = (x.dims()[0], x.dims()[1]);
            let [c, hh, ww] = self.data.shape;
            let logits = self.forward(&self.params(theta, 1, false)?, &x.reshape((1, h * b, hh, ww, c))?, None)?;
            let spread = (logits.max(D::Minus1)? - logits.min(D::Minus1)?)?;
            Ok(f64::from(spread.mean_all()?.to_scalar::<f32>()?))
        };
        Some(gap())
    }

    fn flipped_label_gradients(&self, theta: &[f32], step: usize) -> Option<Result<Vec<Vec<f32>>, TaskError>> {
        Some(self.gradients(theta, step, true).map(|(g, _)| g))
    }

    /// The mean of the honest workers' losses on their batches of `step` with
    /// the step's dropout masks: what their gradients were computed from, so a
    /// gradient pass at (θ, step) has already given it.
    fn training_loss(&self, theta: &[f32], step: usize) -> Result<f64, TaskError> {
        let (x, y) = self.batches(step)?;
        let p = self.params(theta, self.shards.len(), false)?;
        let scores = Self::score(&self.forward(&p, &x, Some(Masks::honest(step)))?, &y)?;
        Ok(scores.iter().map(|s| s.0).sum::<f64>() / scores.len().max(1) as f64)
    }

    /// Cross-entropy of logits linear in θ is convex in θ: a model of one
    /// linear layer (logistic regression).
    fn loss_is_convex(&self) -> bool {
        matches!(self.model.layers[..], [Layer::Linear { .. }])
    }

    fn loss_along(&self, theta: &[f32], direction: &[f32], step: usize) -> Result<Option<LossLine>, TaskError> {
        self.linear_model_line(theta, direction, step)
    }

    /// The honest workers' mean loss at θ on their batches of `step` (no dropout).
    fn loss(&self, theta: &[f32], step: usize) -> Result<f64, TaskError> {
        if let Some(loss) = self.linear_model_loss(theta, step)? {
            return Ok(loss);
        }
        let (x, y) = self.batches(step)?;
        let (h, b) = (x.dims()[0], x.dims()[1]);
        let [c, hh, ww] = self.data.shape;
        let x = x.reshape((1, h * b, hh, ww, c))?;
        let y = y.reshape((1, h * b))?;
        let p = self.params(theta, 1, false)?;
        Ok(Self::score(&self.forward(&p, &x, None)?, &y)?[0].0)
    }

    fn evaluate(&self, theta: &[f32]) -> Option<Result<Evaluation, TaskError>> {
        Some(Classification::evaluate(self, theta))
    }

    /// The gradient on a batch of the workers' size from the root set, with
    /// the server's own dropout masks.
    fn server_gradient(&self, theta: &[f32], step: usize) -> Option<Result<Vec<f32>, TaskError>> {
        if self.root.is_empty() {
            return None;
        }
        let gradient = || {
            let (x, y) = self.root_batch(step)?;
            let (mut g, _) = self.gradients_on(theta, &x, &y, Masks { step, first: super::SERVER })?;
            g.pop().ok_or_else(|| TaskError::NoGradient("the server's root set"))
        };
        Some(gradient())
    }
}
