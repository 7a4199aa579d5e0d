//! A model in the compact notation of 001 Table 2, resolved: the input
//! shape and the layers, with the shape after each layer known.

use serde::Serialize;

/// One layer of a model, written as in 001 Table 2 (`C(32)`, `R`, `M`, ...).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Layer {
    /// `C(k)`: 3 × 3 convolution to k channels, stride 1, no padding (so the
    /// MNIST CNN of 001 Table 2 has its 1,199,882 parameters).
    Conv { out: usize },
    /// `R`: ReLU.
    Relu,
    /// `M`: 2 × 2 max-pooling, stride 2.
    MaxPool,
    /// `D(p)`: dropout with probability p, in training only.
    Dropout { p: f64 },
    /// `L(k)`: fully connected to k outputs (flattening an image first).
    Linear { out: usize },
    /// `B`: batch normalisation over each worker's batch (learned scale and shift).
    BatchNorm,
}

/// The data flowing between layers: an image C × H × W, or a flat vector.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Shape {
    Image([usize; 3]),
    Flat(usize),
}

impl Shape {
    /// The number of values: C · H · W for an image.
    pub fn size(self) -> usize {
        match self {
            Shape::Image(s) => s.iter().product(),
            Shape::Flat(n) => n,
        }
    }
}

impl std::fmt::Display for Shape {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Shape::Image([c, h, w]) => write!(f, "{c} × {h} × {w}"),
            Shape::Flat(n) => write!(f, "{n} values"),
        }
    }
}

/// A resolved model: the input image shape C × H × W and its layers in order.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ModelPlan {
    pub input: [usize; 3],
    pub layers: Vec<Layer>,
}

impl Layer {
    /// The shape after this layer, or why it cannot take `input`.
    pub(crate) fn apply(self, input: Shape) -> Result<Shape, String> {
        match (self, input) {
            (Layer::Conv { .. } | Layer::MaxPool, Shape::Flat(_)) => {
                Err(format!("needs an image, but the data is already flat ({input})"))
            }
            (Layer::Conv { out }, Shape::Image([_, h, w])) if h >= 3 && w >= 3 => Ok(Shape::Image([out, h - 2, w - 2])),
            (Layer::Conv { .. }, _) => Err(format!("a 3 × 3 convolution needs at least 3 × 3 pixels, not {input}")),
            (Layer::MaxPool, Shape::Image([c, h, w])) if h >= 2 && w >= 2 => Ok(Shape::Image([c, h / 2, w / 2])),
            (Layer::MaxPool, _) => Err(format!("2 × 2 pooling needs at least 2 × 2 pixels, not {input}")),
            (Layer::Linear { out }, _) => Ok(Shape::Flat(out)),
            (Layer::Relu | Layer::Dropout { .. } | Layer::BatchNorm, s) => Ok(s),
        }
    }

    /// Learned parameters of this layer given its input.
    pub fn params(self, input: Shape) -> usize {
        match (self, input) {
            (Layer::Conv { out }, Shape::Image([c, ..])) => out * c * 9 + out,
            (Layer::Linear { out }, s) => out * s.size() + out,
            (Layer::BatchNorm, Shape::Image([c, ..])) => 2 * c,
            (Layer::BatchNorm, Shape::Flat(n)) => 2 * n,
            _ => 0,
        }
    }
}

impl ModelPlan {
    /// The input shape of each layer, then the output shape.
    pub(crate) fn shapes(&self) -> Vec<Shape> {
        let mut shapes = vec![Shape::Image(self.input)];
        for l in &self.layers {
            let last = *shapes.last().expect("non-empty");
            shapes.push(l.apply(last).unwrap_or(last));
        }
        shapes
    }

    /// Multiply-adds (2 floating-point operations each) of one example's
    /// forward and backward pass through the convolutions and linear layers,
    /// as counted for GFLOP/s figures: forward W·x; backward ∂W and, but for
    /// the first layer (whose input is the data), ∂x — three times the
    /// forward, two for the first learned layer. ReLU, pooling and the loss are left out
    /// (no multiply-adds). The MNIST CNN of 001 Table 2: 71.6 M operations.
    pub fn training_flops(&self) -> u64 {
        let shapes = self.shapes();
        // Before the first learned layer (batch normalisation counts) the
        // data needs no gradient.
        let mut learned_before = false;
        let mut total = 0u64;
        for (l, (input, output)) in self.layers.iter().zip(shapes.iter().zip(&shapes[1..])) {
            let forward = match (l, input, output) {
                (Layer::Conv { .. }, Shape::Image([c, ..]), Shape::Image(_)) => output.size() * 9 * c,
                (Layer::Linear { .. }, _, _) => input.size() * output.size(),
                _ => 0,
            } as u64
                * 2;
            total += if learned_before { 3 * forward } else { 2 * forward };
            learned_before |= l.params(*input) > 0;
        }
        total
    }

    /// Total number of learned parameters, d.
    pub fn params(&self) -> usize {
        let shapes = self.shapes();
        self.layers.iter().zip(&shapes).map(|(l, s)| l.params(*s)).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_mnist_cnn_of_001_table_2_has_1199882_parameters() {
        use Layer::*;
        let m = ModelPlan {
            input: [1, 28, 28],
            layers: vec![
                Conv { out: 32 },
                Relu,
                Conv { out: 64 },
                MaxPool,
                Dropout { p: 0.25 },
                Linear { out: 128 },
                Relu,
                Dropout { p: 0.5 },
                Linear { out: 10 },
            ],
        };
        assert_eq!(m.params(), 1_199_882);
        assert_eq!(*m.shapes().last().unwrap(), Shape::Flat(10));
        let logreg = ModelPlan { input: [1, 28, 28], layers: vec![Linear { out: 10 }] };
        assert_eq!(logreg.params(), 7_850);
        // conv1 2·2·194,688 (no ∂x), conv2 3·2·10,616,832, fc1 3·2·1,179,648, fc2 3·2·1,280.
        assert_eq!(m.training_flops(), 778_752 + 63_700_992 + 7_077_888 + 7_680);
        assert_eq!(logreg.training_flops(), 2 * 2 * 784 * 10);
        // After a batch normalisation the linear layer's input needs its gradient.
        let normed = ModelPlan { input: [1, 28, 28], layers: vec![BatchNorm, Linear { out: 10 }] };
        assert_eq!(normed.training_flops(), 3 * 2 * 784 * 10);
    }
}
