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

use candle_core::{CpuStorage, D, Device, Storage, Tensor, Var};
use rand::Rng;
use rayon::prelude::*;
use std::path::Path;
use std::sync::{Arc, Mutex};

use super::data::{self, Dataset};
use super::layers::narrow;
use super::layers::{Conv3x3, Linear, Mask, MaxPool2, ParamGrads, Relu, Target};
use super::split;
use super::{Task, TaskError};
use crate::plan::{Heterogeneity, Layer, ModelPlan, Shape};
use crate::rng::{Purpose, stream};

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
}

/// A block of θ: where it starts, how long it is, and whether each worker
/// gets its own copy (batch norm's, whose gradients come from candle's store).
#[derive(Clone, Copy)]
struct Block {
    off: usize,
    len: usize,
    per_worker: bool,
}

/// θ's blocks as tensors ((h, len) for per-worker blocks, (1, len) otherwise),
/// and, for a backward pass, the workers' gradient rows the layers fill.
struct Params {
    blocks: Vec<(Block, Tensor)>,
    grads: Option<Arc<ParamGrads>>,
}

impl Params {
    fn block(&self, off: usize, len: usize) -> candle_core::Result<Tensor> {
        match self.blocks.binary_search_by_key(&off, |(b, _)| b.off) {
            Ok(i) if self.blocks[i].0.len == len => Ok(self.blocks[i].1.clone()),
            _ => candle_core::bail!("no parameter block of {len} at {off}"),
        }
    }

    /// Where a layer whose weights start at `off` writes its gradients.
    fn target(&self, off: usize) -> Option<Target> {
        self.grads.as_ref().map(|grads| Target { grads: grads.clone(), offset: off })
    }
}

/// Activations of h parameter copies: images (h, B, H, W, C) with their
/// [C, H, W], or flat vectors (h, B, F).
enum Act {
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
        let data = data::load(kind, Path::new(dir)).map_err(|e| TaskError(format!("{e}; {}", e.help)))?;
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
        })
    }

    /// θ's blocks for h workers; with `track`, ready for a backward pass.
    fn params(&self, theta: &[f32], h: usize, track: bool) -> candle_core::Result<Params> {
        let blocks = self
            .blocks
            .iter()
            .map(|&b| {
                let t = Tensor::from_slice(&theta[b.off..b.off + b.len], (1, b.len), &self.device)?;
                let t = if b.per_worker && h > 1 { t.repeat((h, 1))? } else { t };
                Ok((b, if track { Var::from_tensor(&t)?.as_tensor().clone() } else { t }))
            })
            .collect::<candle_core::Result<_>>()?;
        Ok(Params { blocks, grads: track.then(|| ParamGrads::new(h, self.params)) })
    }

    /// Each honest worker's gradient on its batch of `step`, and their mean
    /// loss; with `flip`, on the same images with labels l ↦ K − 1 − l (001
    /// Table 5's LF: 9 − l).
    fn gradients(&self, theta: &[f32], step: usize, flip: bool) -> Result<(Vec<Vec<f32>>, f64), TaskError> {
        let h = self.shards.len();
        let (x, mut y) = self.batches(step)?;
        if flip {
            let k = self.data.classes as u32 - 1;
            let flipped: Vec<u32> = y.flatten_all()?.to_vec1::<u32>()?.into_iter().map(|l| k - l.min(k)).collect();
            y = Tensor::from_vec(flipped, y.dims(), &self.device)?;
        }
        let p = self.params(theta, h, true)?;
        let loss = Self::cross_entropy(&self.forward(&p, &x, Some(step))?, &y)?;
        let grads = loss.sum_all()?.backward()?;
        let mut out = p.grads.as_ref().ok_or_else(|| TaskError("no gradient rows".into()))?.take()?;
        for (b, block) in p.blocks.iter().filter(|(b, _)| b.per_worker) {
            let g = grads.get(block).ok_or_else(|| TaskError("no gradient for the parameters".into()))?;
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

    /// Worker `w`'s batch in `step`: images (channels-last) and labels.
    fn batch_of(&self, w: usize, step: usize, images: &mut Vec<f32>, labels: &mut Vec<u32>) {
        let shard = &self.shards[w];
        let mut rng = stream(self.seed, Purpose::HonestSample, w as u64, step as u64);
        for _ in 0..self.batch {
            let i = shard[rng.random_range(0..shard.len())];
            push_hwc(&self.data.train.images, i, self.data.shape, images);
            labels.push(u32::from(self.data.train.labels[i]));
        }
    }

    /// The h honest workers' batches for `step`, remembered for the last few steps.
    fn batches(&self, step: usize) -> Result<(Tensor, Tensor), TaskError> {
        let poisoned = || TaskError("a batch cache lock was poisoned".into());
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
    fn draw_batches(&self, step: usize) -> Result<(Tensor, Tensor), TaskError> {
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

    /// Logits (h, B, K) of `x` (h, B, H, W, C) under parameters `p` (h, d);
    /// `dropout` carries the step whose masks to use, or `None` to evaluate.
    fn forward(&self, p: &Params, x: &Tensor, dropout: Option<usize>) -> candle_core::Result<Tensor> {
        let (h, b) = (x.dims()[0], x.dims()[1]);
        let mut act = Act::Image(x.clone(), self.data.shape);
        let layers = &self.model.layers;
        let mut k = 0;
        while k < layers.len() {
            let off = self.offsets[k];
            // A ReLU right after a convolution or a linear layer runs inside it,
            // and so does a max-pooling right after a convolution (and its ReLU).
            let relu = matches!(layers[k], Layer::Conv { .. } | Layer::Linear { .. })
                && layers.get(k + 1) == Some(&Layer::Relu);
            let pool = matches!(layers[k], Layer::Conv { .. })
                && layers.get(k + 1 + usize::from(relu)) == Some(&Layer::MaxPool);
            act = match (layers[k], act) {
                (Layer::Conv { out }, Act::Image(t, [c, hh, ww])) => {
                    let n = out * c * 9;
                    let argmax = Default::default();
                    let conv = Conv3x3 {
                        workers: h,
                        batch: b,
                        h: hh,
                        w: ww,
                        c,
                        out,
                        relu,
                        pool,
                        argmax,
                        grads: p.target(off),
                    };
                    let y = t.contiguous()?.apply_op3(&p.block(off, n)?, &p.block(off + n, out)?, conv)?;
                    let (ho, wo) = if pool { ((hh - 2) / 2, (ww - 2) / 2) } else { (hh - 2, ww - 2) };
                    Act::Image(y, [out, ho, wo])
                }
                (Layer::MaxPool, Act::Image(t, [c, hh, ww])) => {
                    let pool = MaxPool2 { n: h * b, h: hh, w: ww, c, argmax: Default::default() };
                    let y = t.contiguous()?.apply_op1(pool)?.reshape((h, b, hh / 2, ww / 2, c))?;
                    Act::Image(y, [c, hh / 2, ww / 2])
                }
                (Layer::Relu, Act::Image(t, s)) => Act::Image(t.contiguous()?.apply_op1(Relu)?, s),
                (Layer::Relu, Act::Flat(t)) => Act::Flat(t.contiguous()?.apply_op1(Relu)?),
                (Layer::Dropout { p: rate }, act) => match dropout {
                    None => act,
                    Some(step) => self.dropout(act, rate, h, step, k)?,
                },
                (Layer::BatchNorm, act) => self.batch_norm(p, off, act, h)?,
                (Layer::Linear { out }, act) => {
                    let (t, inputs) = match act {
                        Act::Flat(t) => {
                            let inputs = t.dims()[2];
                            (t, inputs)
                        }
                        // Read flat in H, W, C order by the layer itself.
                        Act::Image(t, [c, hh, ww]) => (t, hh * ww * c),
                    };
                    let layer = Linear { workers: h, batch: b, inputs, out, relu, grads: p.target(off) };
                    let (w, bias) = (p.block(off, out * inputs)?, p.block(off + out * inputs, out)?);
                    Act::Flat(t.contiguous()?.apply_op3(&w, &bias, layer)?)
                }
                (Layer::Conv { .. } | Layer::MaxPool, Act::Flat(_)) => {
                    candle_core::bail!("the checker rejects convolutions and pooling on flat data")
                }
            };
            k += 1 + usize::from(relu) + usize::from(pool);
        }
        match act {
            Act::Flat(t) => Ok(t),
            Act::Image(..) => candle_core::bail!("the checker makes every model end with L(classes)"),
        }
    }

    /// Inverted dropout with masks from (seed, worker, step, layer) streams.
    fn dropout(&self, act: Act, rate: f64, h: usize, step: usize, layer: usize) -> candle_core::Result<Act> {
        let t = match &act {
            Act::Image(t, _) | Act::Flat(t) => t,
        };
        let per_worker = t.elem_count() / h.max(1);
        let keep = (1.0 / (1.0 - rate)) as f32;
        let threshold = (rate * 4_294_967_296.0).round() as u64;
        let mut mask = vec![0f32; h * per_worker];
        if per_worker > 0 {
            mask.par_chunks_mut(per_worker).enumerate().for_each(|(w, m)| {
                let mut rng = stream(self.seed, Purpose::Dropout, w as u64, (step as u64) << 8 | layer as u64);
                // Dropped with probability rate (to 2⁻³²): one 32-bit draw per entry.
                m.iter_mut().for_each(|m| *m = if u64::from(rng.random::<u32>()) < threshold { 0.0 } else { keep });
            });
        }
        let mask = Mask(Arc::new(mask));
        Ok(match act {
            Act::Image(t, s) => Act::Image(t.contiguous()?.apply_op1(mask)?, s),
            Act::Flat(t) => Act::Flat(t.contiguous()?.apply_op1(mask)?),
        })
    }

    /// Batch normalisation with each worker's own batch statistics, then a
    /// learned scale and shift. Evaluation also uses the batch's statistics
    /// (no running averages are kept).
    fn batch_norm(&self, p: &Params, off: usize, act: Act, h: usize) -> candle_core::Result<Act> {
        const EPS: f64 = 1e-5;
        let norm = |t: &Tensor, dims: &[usize]| -> candle_core::Result<Tensor> {
            let mean = t.mean_keepdim(dims)?;
            let centred = t.broadcast_sub(&mean)?;
            let var = centred.sqr()?.mean_keepdim(dims)?;
            centred.broadcast_div(&(var + EPS)?.sqrt()?)
        };
        Ok(match act {
            Act::Image(t, [c, hh, ww]) => {
                let gamma = p.block(off, c)?.reshape((h, 1, 1, 1, c))?;
                let beta = p.block(off + c, c)?.reshape((h, 1, 1, 1, c))?;
                Act::Image(norm(&t, &[1, 2, 3])?.broadcast_mul(&gamma)?.broadcast_add(&beta)?, [c, hh, ww])
            }
            Act::Flat(t) => {
                let f = t.dims()[2];
                let gamma = p.block(off, f)?.reshape((h, 1, f))?;
                let beta = p.block(off + f, f)?.reshape((h, 1, f))?;
                Act::Flat(norm(&t, &[1])?.broadcast_mul(&gamma)?.broadcast_add(&beta)?)
            }
        })
    }

    /// Each copy's mean cross-entropy and number of correct predictions from
    /// logits (h, B, K), in f64, for the paths without a backward pass (the
    /// honest loss a planning adversary evaluates many times per step, and
    /// evaluation): one loop instead of ten small candle ops. A non-finite
    /// logit gives a non-finite loss.
    fn score(logits: &Tensor, labels: &Tensor) -> Result<Vec<(f64, f64)>, TaskError> {
        let (h, b, k) = logits.dims3()?;
        let z = logits.flatten_all()?.to_vec1::<f32>()?;
        let y = labels.flatten_all()?.to_vec1::<u32>()?;
        Ok(Self::score_numbers(&z, &y, h, b, k))
    }

    /// `score` on logits (h·B·K numbers) and labels (h·B) as slices.
    fn score_numbers(z: &[f32], y: &[u32], h: usize, b: usize, k: usize) -> Vec<(f64, f64)> {
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
    fn linear_model_loss(&self, theta: &[f32], step: usize) -> Result<Option<f64>, TaskError> {
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
        let (x, labels) = (&xs[x0..x1], &ys[y0..y1]);
        let rows = labels.len();
        let weights = narrow::OUT * (x.len() / rows.max(1));
        let mut z = vec![0f32; rows * narrow::OUT];
        narrow::product(x, rows, &theta[..weights], &theta[weights..weights + narrow::OUT], &mut z);
        Ok(Some(Self::score_numbers(&z, labels, 1, rows, narrow::OUT)[0].0))
    }

    /// Mean cross-entropy per parameter copy (h), as a candle graph for the backward pass.
    fn cross_entropy(logits: &Tensor, labels: &Tensor) -> candle_core::Result<Tensor> {
        let logp = candle_nn::ops::log_softmax(logits, D::Minus1)?;
        let picked = logp.gather(&labels.unsqueeze(2)?, 2)?.squeeze(2)?;
        picked.mean(1)?.neg()
    }

    /// Test accuracy and loss of θ over the whole test set.
    pub fn evaluate(&self, theta: &[f32]) -> Result<Evaluation, TaskError> {
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
        let scores = Self::score(&self.forward(&p, &x, Some(step))?, &y)?;
        Ok(scores.iter().map(|s| s.0).sum::<f64>() / scores.len().max(1) as f64)
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
}

/// Appends image `i` of `images` (N × C × H × W) in H, W, C order.
fn push_hwc(images: &[f32], i: usize, [c, h, w]: [usize; 3], out: &mut Vec<f32>) {
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
