//! Landscape tasks: each honest worker's loss is an expression of `theta`,
//! compiled to a candle graph; gradients come from candle's autograd.

use candle_core::{Device, Tensor, Var};

use super::{Task, TaskError};
use crate::plan::{BinOp, Expr, Func};

/// A landscape task: a starting point and one loss expression of θ per honest worker.
pub struct Landscape {
    init: Vec<f32>,
    losses: Vec<Expr>,
    device: Device,
}

impl Landscape {
    /// The task starting at `init`, with one honest worker per named loss.
    pub fn new(init: &[f64], losses: &[(String, Expr)]) -> Result<Self, TaskError> {
        Ok(Landscape {
            init: init.iter().map(|&x| x as f32).collect(),
            losses: losses.iter().map(|(_, e)| e.clone()).collect(),
            device: Device::Cpu,
        })
    }

    fn theta(&self, theta: &[f32]) -> Result<Tensor, TaskError> {
        Ok(Tensor::from_slice(theta, (1, theta.len()), &self.device)?)
    }

    /// Worker `i`'s loss at each row of `theta` (k × d), as a k × 1 tensor.
    pub(crate) fn worker_loss(&self, i: usize, theta: &Tensor) -> Result<Tensor, TaskError> {
        Ok(eval(&self.losses[i], theta)?)
    }
}

impl Task for Landscape {
    fn dim(&self) -> usize {
        self.init.len()
    }

    fn init(&self) -> Vec<f32> {
        self.init.clone()
    }

    fn honest(&self) -> usize {
        self.losses.len()
    }

    fn honest_gradients(&self, theta: &[f32], _step: usize) -> Result<Vec<Vec<f32>>, TaskError> {
        (0..self.losses.len())
            .map(|i| {
                let var = Var::from_tensor(&self.theta(theta)?)?;
                let loss = self.worker_loss(i, var.as_tensor())?.sum_all()?;
                let grads = loss.backward()?;
                let g = grads.get(var.as_tensor()).ok_or_else(|| TaskError::NoGradient("theta"))?;
                Ok(g.flatten_all()?.to_vec1::<f32>()?)
            })
            .collect()
    }

    fn loss(&self, theta: &[f32], _step: usize) -> Result<f64, TaskError> {
        let t = self.theta(theta)?;
        let mut total = 0.0;
        for i in 0..self.losses.len() {
            total += f64::from(self.worker_loss(i, &t)?.sum_all()?.to_scalar::<f32>()?);
        }
        Ok(total / self.losses.len() as f64)
    }
}

/// Scalars are k × 1 (or 1 × 1 constants), vectors k × d (or 1 × d); the
/// `broadcast_*` ops line them up.
fn eval(e: &Expr, theta: &Tensor) -> candle_core::Result<Tensor> {
    let dev = theta.device();
    Ok(match e {
        Expr::Number(x) => Tensor::new(&[[*x as f32]], dev)?,
        Expr::Theta => theta.clone(),
        Expr::Vector(items) => {
            let parts = items.iter().map(|x| eval(x, theta)).collect::<candle_core::Result<Vec<_>>>()?;
            let rows = parts.iter().map(|p| p.dims()[0]).max().unwrap_or(1);
            let parts = parts.iter().map(|p| p.broadcast_as((rows, 1))).collect::<candle_core::Result<Vec<_>>>()?;
            Tensor::cat(&parts, 1)?
        }
        Expr::Neg(x) => eval(x, theta)?.neg()?,
        Expr::Binary(op, a, b) => {
            let a = eval(a, theta)?;
            if let (BinOp::Pow, Expr::Number(p)) = (op, b.as_ref()) {
                return if *p == 2.0 { a.sqr() } else { a.powf(*p) };
            }
            let b = eval(b, theta)?;
            match op {
                BinOp::Add => a.broadcast_add(&b)?,
                BinOp::Sub => a.broadcast_sub(&b)?,
                BinOp::Mul => a.broadcast_mul(&b)?,
                BinOp::Div => a.broadcast_div(&b)?,
                BinOp::Pow => a.broadcast_pow(&b)?,
            }
        }
        Expr::Call(f, args) => {
            let x = eval(&args[0], theta)?;
            match f {
                Func::Exp => x.exp()?,
                Func::Log => x.log()?,
                Func::Sqrt => x.sqrt()?,
                Func::Sqnorm => x.sqr()?.sum_keepdim(1)?,
                Func::Norm => x.sqr()?.sum_keepdim(1)?.sqrt()?,
                Func::Sum => x.sum_keepdim(1)?,
                Func::Dot => x.broadcast_mul(&eval(&args[1], theta)?)?.sum_keepdim(1)?,
            }
        }
        Expr::Index(x, i) => eval(x, theta)?.narrow(1, *i, 1)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn two_wells() -> Landscape {
        // 1 - b exp(-||θ - z||²), 001 eq. (5), with b = 0.8, z = (-1, 0).
        let well = Expr::Binary(
            BinOp::Sub,
            Box::new(Expr::Number(1.0)),
            Box::new(Expr::Binary(
                BinOp::Mul,
                Box::new(Expr::Number(0.8)),
                Box::new(Expr::Call(
                    Func::Exp,
                    vec![Expr::Neg(Box::new(Expr::Call(
                        Func::Sqnorm,
                        vec![Expr::Binary(
                            BinOp::Sub,
                            Box::new(Expr::Theta),
                            Box::new(Expr::Vector(vec![Expr::Number(-1.0), Expr::Number(0.0)])),
                        )],
                    )))],
                )),
            )),
        );
        Landscape::new(&[0.0, 0.0], &[("w".into(), well)]).unwrap()
    }

    #[test]
    fn autograd_matches_the_closed_form_gradient() {
        let l = two_wells();
        let theta = [0.5f32, -0.3];
        let g = &l.honest_gradients(&theta, 0).unwrap()[0];
        // ∇ = 2 b e^{-||θ - z||²} (θ - z)
        let d = [1.5f64, -0.3];
        let e = (-(d[0] * d[0] + d[1] * d[1])).exp();
        for k in 0..2 {
            assert!((f64::from(g[k]) - 2.0 * 0.8 * e * d[k]).abs() < 1e-5, "{g:?}");
        }
        let loss = l.loss(&theta, 0).unwrap();
        assert!((loss - (1.0 - 0.8 * e)).abs() < 1e-6);
    }
}
