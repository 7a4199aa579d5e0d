//! The forward pass of all honest workers at once: θ's blocks as tensors,
//! the layers, dropout and batch norm per worker.

use candle_core::{Tensor, Var};
use rand::Rng;
use rayon::prelude::*;
use std::sync::Arc;

use crate::plan::Layer;
use crate::rng::{Purpose, stream};
use crate::task::layers::{Conv3x3, ConvPair, Linear, Mask, MaxPool2, ParamGrads, Relu, Target};

use super::{Act, Classification, Params};

impl Params {
    pub(super) fn block(&self, off: usize, len: usize) -> candle_core::Result<Tensor> {
        match self.blocks.binary_search_by_key(&off, |(b, _)| b.off) {
            Ok(i) if self.blocks[i].0.len == len => Ok(self.blocks[i].1.clone()),
            _ => candle_core::bail!("no parameter block of {len} at {off}"),
        }
    }

    /// Where a layer whose weights start at `off` writes its gradients.
    pub(super) fn target(&self, off: usize) -> Option<Target> {
        self.grads.as_ref().map(|grads| Target { grads: grads.clone(), offset: off })
    }
}

/// Whose dropout masks a forward pass uses: those of `step` for the workers
/// `first`, `first` + 1, ... (the honest workers from 0, the server's at `SERVER`).
#[derive(Debug, Clone, Copy)]
pub(super) struct Masks {
    pub step: usize,
    pub first: u64,
}

impl Masks {
    /// The honest workers' masks of `step`.
    pub fn honest(step: usize) -> Self {
        Masks { step, first: 0 }
    }
}

/// Whether a ReLU, and then a max-pooling, follow layer k and run inside it:
/// a ReLU after a convolution or a linear layer, a pooling after a
/// convolution (and its ReLU).
fn fused_after(layers: &[Layer], k: usize) -> (bool, bool) {
    let relu =
        matches!(layers[k], Layer::Conv { .. } | Layer::Linear { .. }) && layers.get(k + 1) == Some(&Layer::Relu);
    let pool =
        matches!(layers[k], Layer::Conv { .. }) && layers.get(k + 1 + usize::from(relu)) == Some(&Layer::MaxPool);
    (relu, pool)
}

/// The convolution at `off` in θ on (h, B) images of `[c, H, W]`, with the ReLU and pooling that follow it.
fn conv3x3(
    p: &Params,
    off: usize,
    (h, b): (usize, usize),
    [c, hh, ww]: [usize; 3],
    out: usize,
    (relu, pool): (bool, bool),
) -> Conv3x3 {
    let argmax = Default::default();
    Conv3x3 { workers: h, batch: b, h: hh, w: ww, c, out, relu, pool, argmax, grads: p.target(off) }
}

impl Classification {
    /// θ's blocks for h workers; with `track`, ready for a backward pass.
    pub(super) fn params(&self, theta: &[f32], h: usize, track: bool) -> candle_core::Result<Params> {
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

    /// Logits (h, B, K) of `x` (h, B, H, W, C) under parameters `p` (h, d);
    /// `dropout` says whose masks of which step to use, or `None` to evaluate.
    pub(super) fn forward(&self, p: &Params, x: &Tensor, dropout: Option<Masks>) -> candle_core::Result<Tensor> {
        let (h, b) = (x.dims()[0], x.dims()[1]);
        let mut act = Act::Image(x.clone(), self.data.shape);
        let layers = &self.model.layers;
        let mut k = 0;
        while k < layers.len() {
            let off = self.offsets[k];
            let (relu, pool) = fused_after(layers, k);
            let mut next = k + 1 + usize::from(relu) + usize::from(pool);
            act = match (layers[k], act) {
                (Layer::Conv { out }, Act::Image(t, [c, hh, ww])) => {
                    let first = conv3x3(p, off, (h, b), [c, hh, ww], out, (relu, pool));
                    first.check()?;
                    let w = p.block(off, first.kernel_len())?;
                    match layers.get(next) {
                        // A convolution reading this one's output through its
                        // ReLU runs with it, image by image (`ConvPair`).
                        Some(&Layer::Conv { out: out2 }) if relu && !pool => {
                            let off2 = self.offsets[next];
                            let fused = fused_after(layers, next);
                            let second = conv3x3(p, off2, (h, b), [out, hh - 2, ww - 2], out2, fused);
                            second.check()?;
                            let w2 = p.block(off2, second.kernel_len())?;
                            let values = |t: &Tensor| t.flatten_all()?.to_vec1::<f32>();
                            let biases = [
                                values(&p.block(off + first.kernel_len(), out)?)?,
                                values(&p.block(off2 + second.kernel_len(), out2)?)?,
                            ];
                            let (w_values, w2_values) = (values(&w)?, values(&w2)?);
                            let shape = second.output_dims();
                            let per_worker = b * shape.iter().product::<usize>();
                            let mut pair =
                                ConvPair::new(first, second, [&w_values, &w2_values], [&biases[0], &biases[1]])?;
                            next += 1 + usize::from(fused.0) + usize::from(fused.1);
                            // A dropout right after it (without a ReLU in
                            // between, see `ConvPair::with_dropout`) too.
                            if let (Some(masks), Some(&Layer::Dropout { p: rate })) = (dropout, layers.get(next))
                                && !fused.0
                            {
                                pair = pair.with_dropout(self.dropout_mask(per_worker, rate, h, masks, next))?;
                                next += 1;
                            }
                            Act::Image(t.contiguous()?.apply_op3(&w, &w2, pair)?, shape)
                        }
                        _ => {
                            let shape = first.output_dims();
                            Act::Image(
                                t.contiguous()?.apply_op3(&w, &p.block(off + first.kernel_len(), out)?, first)?,
                                shape,
                            )
                        }
                    }
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
                    Some(masks) => self.dropout(act, rate, h, masks, k)?,
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
            k = next;
        }
        match act {
            Act::Flat(t) => Ok(t),
            Act::Image(..) => candle_core::bail!("the checker makes every model end with L(classes)"),
        }
    }

    /// Inverted dropout with masks from (seed, worker, step, layer) streams.
    pub(super) fn dropout(
        &self,
        act: Act,
        rate: f64,
        h: usize,
        masks: Masks,
        layer: usize,
    ) -> candle_core::Result<Act> {
        let t = match &act {
            Act::Image(t, _) | Act::Flat(t) => t,
        };
        let mask = self.dropout_mask(t.elem_count() / h.max(1), rate, h, masks, layer);
        Ok(match act {
            Act::Image(t, s) => Act::Image(t.contiguous()?.apply_op1(mask)?, s),
            Act::Flat(t) => Act::Flat(t.contiguous()?.apply_op1(mask)?),
        })
    }

    /// The h workers' dropout masks of `per_worker` entries each for the
    /// dropout at `layer`: 0 with probability `rate`, else 1/(1 − rate).
    pub(super) fn dropout_mask(&self, per_worker: usize, rate: f64, h: usize, masks: Masks, layer: usize) -> Mask {
        let Masks { step, first } = masks;
        let keep = (1.0 / (1.0 - rate)) as f32;
        let threshold = (rate * 4_294_967_296.0).round() as u64;
        let mut mask = crate::alloc::zeroed(h * per_worker);
        if per_worker > 0 {
            mask.par_chunks_mut(per_worker).enumerate().for_each(|(w, m)| {
                let rng = stream(self.seed, Purpose::Dropout, first + w as u64, (step as u64) << 8 | layer as u64);
                draw_mask(rng, threshold, keep, m);
            });
        }
        Mask(Arc::new(mask))
    }

    /// Batch normalisation with each worker's own batch statistics, then a
    /// learned scale and shift. Evaluation also uses the batch's statistics
    /// (no running averages are kept).
    pub(super) fn batch_norm(&self, p: &Params, off: usize, act: Act, h: usize) -> candle_core::Result<Act> {
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
}

/// One worker's dropout mask: each entry dropped (0) when its 32-bit draw is
/// below `threshold` (the rate × 2³²), else `keep`. The draws are taken a
/// block at a time (`fill` takes the same words of the stream as
/// `random::<u32>()` one by one) so that the comparisons vectorise (perf on
/// the CNN's step: the closures' share of the samples 7.2 → 4.7 %).
fn draw_mask(mut rng: impl Rng, threshold: u64, keep: f32, mask: &mut [f32]) {
    let mut draws = [0u32; 256];
    for m in mask.chunks_mut(draws.len()) {
        let draws = &mut draws[..m.len()];
        rng.fill(draws);
        m.iter_mut().zip(&*draws).for_each(|(m, &r)| *m = if u64::from(r) < threshold { 0.0 } else { keep });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The mask is the one of a draw per entry, whatever its length against the block's.
    #[test]
    fn masks_take_one_draw_per_entry_in_order() {
        let (threshold, keep) = ((0.3f64 * 4_294_967_296.0).round() as u64, 1.0 / 0.7);
        for len in [0, 1, 255, 256, 257, 1000] {
            let mut mask = vec![f32::NAN; len];
            draw_mask(stream(7, Purpose::Dropout, 2, 3), threshold, keep, &mut mask);
            let mut rng = stream(7, Purpose::Dropout, 2, 3);
            let want: Vec<f32> =
                (0..len).map(|_| if u64::from(rng.random::<u32>()) < threshold { 0.0 } else { keep }).collect();
            assert!(mask.iter().zip(&want).all(|(a, b)| a.to_bits() == b.to_bits()), "length {len}");
            assert!(len < 1000 || mask.iter().filter(|&&m| m == 0.0).count().abs_diff(300) < 60);
        }
        // From the middle of the generator's buffer of words, as after other draws.
        let (mut a, mut b) = (stream(7, Purpose::Dropout, 4, 5), stream(7, Purpose::Dropout, 4, 5));
        for _ in 0..5 {
            assert_eq!(a.random::<u32>(), b.random::<u32>());
        }
        let mut mask = vec![f32::NAN; 300];
        draw_mask(&mut a, threshold, keep, &mut mask);
        let want: Vec<f32> =
            (0..300).map(|_| if u64::from(b.random::<u32>()) < threshold { 0.0 } else { keep }).collect();
        assert!(mask.iter().zip(&want).all(|(x, y)| x.to_bits() == y.to_bits()), "after 5 draws");
    }
}
