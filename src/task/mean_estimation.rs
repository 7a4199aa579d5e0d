//! Mean estimation (000 §5.2): each honest worker draws one fresh point
//! x ~ N(μ, σ² I) per step; its loss is ½‖θ − x‖², whose gradient θ − x is
//! computed by candle's autograd like every other task's. The reported loss
//! is ½‖θ − μ‖², the expected honest loss minus the constant ½ d σ².

use candle_core::{Device, Tensor, Var};
use rand_distr::{Distribution, Normal};

use rand::Rng;

use super::{Task, TaskError};
use crate::rng::{Purpose, stream};

/// Mean estimation: each honest worker draws one point of N(mean, std² I) per step.
pub struct MeanEstimation {
    mean: Vec<f32>,
    std: f32,
    init: Vec<f32>,
    honest: usize,
    seed: u64,
    /// How many clean points the server holds (FLTrust's root data set; 0
    /// without one). Point k is drawn from its own stream when used, so a
    /// large root set costs no memory.
    root: usize,
}

impl MeanEstimation {
    /// The task for `honest` workers in `dim` dimensions; an empty `init` starts at the origin.
    pub fn new(dim: usize, mean: &[f64], std: f64, init: &[f64], honest: usize, seed: u64) -> Self {
        MeanEstimation {
            mean: mean.iter().map(|&x| x as f32).collect(),
            std: std as f32,
            init: if init.is_empty() { vec![0.0; dim] } else { init.iter().map(|&x| x as f32).collect() },
            honest,
            seed,
            root: 0,
        }
    }

    /// The task with a server that holds `root` clean points of the honest distribution.
    pub(crate) fn with_root(mut self, root: usize) -> Self {
        self.root = root;
        self
    }

    /// Worker `i`'s point in `step`, from its own (seed, worker, step) stream.
    pub fn sample(&self, worker: usize, step: usize) -> Vec<f32> {
        self.draw(stream(self.seed, Purpose::HonestSample, worker as u64, step as u64))
    }

    /// A point of N(mean, std² I) from `rng`.
    fn draw(&self, mut rng: rand_chacha::ChaCha8Rng) -> Vec<f32> {
        let normal = Normal::new(0.0f32, self.std).unwrap_or_else(|_| Normal::new(0.0, 0.0).expect("σ = 0 is valid"));
        self.mean.iter().map(|m| m + normal.sample(&mut rng)).collect()
    }

    /// ∇ ½‖θ − x‖² = θ − x, by candle's autograd as every task's gradient.
    fn gradient_at(theta: &[f32], x: Vec<f32>) -> Result<Vec<f32>, TaskError> {
        let dev = Device::Cpu;
        let d = theta.len();
        let var = Var::from_tensor(&Tensor::from_slice(theta, d, &dev)?)?;
        let x = Tensor::from_vec(x, d, &dev)?;
        let loss = (var.as_tensor() - x)?.sqr()?.sum_all()?.affine(0.5, 0.0)?;
        let grads = loss.backward()?;
        let g = grads.get(var.as_tensor()).ok_or_else(|| TaskError::NoGradient("theta"))?;
        Ok(g.to_vec1::<f32>()?)
    }
}

impl Task for MeanEstimation {
    fn dim(&self) -> usize {
        self.mean.len()
    }

    fn init(&self) -> Vec<f32> {
        self.init.clone()
    }

    fn honest(&self) -> usize {
        self.honest
    }

    fn honest_gradients(&self, theta: &[f32], step: usize) -> Result<Vec<Vec<f32>>, TaskError> {
        (0..self.honest).map(|i| Self::gradient_at(theta, self.sample(i, step))).collect()
    }

    /// θ − x for one of the server's root points, drawn with replacement by
    /// the server's (seed, step) stream, as a worker draws one fresh point.
    fn server_gradient(&self, theta: &[f32], step: usize) -> Option<Result<Vec<f32>, TaskError>> {
        if self.root == 0 {
            return None;
        }
        let k = stream(self.seed, Purpose::Root, 1, step as u64).random_range(0..self.root as u64);
        Some(Self::gradient_at(theta, self.draw(stream(self.seed, Purpose::Root, 0, k))))
    }

    fn loss_is_convex(&self) -> bool {
        true
    }

    fn loss(&self, theta: &[f32], _step: usize) -> Result<f64, TaskError> {
        let sq: f64 = theta.iter().zip(&self.mean).map(|(t, m)| f64::from(t - m).powi(2)).sum();
        Ok(0.5 * sq)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gradient_is_theta_minus_the_sample() {
        let task = MeanEstimation::new(2, &[2.0, 2.0], 1.0, &[], 3, 7);
        let theta = [0.5f32, -1.0];
        let grads = task.honest_gradients(&theta, 4).unwrap();
        for (i, g) in grads.iter().enumerate() {
            let x = task.sample(i, 4);
            assert!((g[0] - (theta[0] - x[0])).abs() < 1e-6 && (g[1] - (theta[1] - x[1])).abs() < 1e-6);
        }
        assert_ne!(task.sample(0, 4), task.sample(1, 4));
        assert_eq!(task.sample(2, 5), task.sample(2, 5));
    }
}
