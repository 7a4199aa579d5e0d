//! Relocated orthogonal perturbation (ROP): Özfatura, Özfatura, Küpçü &
//! Gündüz, "Byzantines Can Also Learn From History: Fall of Centered
//! Clipping in Federated Learning", IEEE TIFS 19, 2024.
//!
//! Centred clipping (`cc`) clips each vector around the previous aggregate;
//! ROP places the Byzantine vector at that reference point and perturbs it
//! orthogonally to the direction the reference and the honest mean share, so
//! that the perturbation survives clipping and accumulates through momentum.
//! As the authors' code computes it (FL-Byzantine-Library, `attacks/rop.py`,
//! class `reloc`), with μ the honest mean and m̃ the previous aggregate
//! (μ and 0 at the first step):
//!
//! - relocation: loc = π·m̃ + (1 − π)·μ;
//! - reference: u = λ·m̃ + (1 − λ)·μ (μ at the first step);
//! - p = 1 − (⟨1, u⟩/‖u‖²)·u, the all-ones vector without its component
//!   along u; q = sin θ · p/‖p‖ + cos θ · u/‖u‖;
//! - every Byzantine worker sends loc + z·q (‖q‖ = 1: z is the norm of the
//!   perturbation).
//!
//! Defaults as in the authors' library: π = 1, θ = 270°, λ = 0.9, and z the
//! ALIE z of n and f (001 Table 5).

use super::{Attack, AttackEntry, AttackMemory, View};
use crate::dynamics::SimError;
use crate::plan::ArgValue;
use crate::spec::{Default, Kind, Param, ParamType, Setting, Spec};

#[derive(Clone)]
struct Rop {
    z: f64,
    angle: f64,
    pi: f64,
    lambda: f64,
}

impl Attack for Rop {
    fn vectors(&mut self, view: &View) -> Result<Vec<Vec<f32>>, SimError> {
        let mean = view.honest_mean();
        Ok(view.collude(rop(&mean, &view.state.aggregate, self.z, self.angle, self.pi, self.lambda)))
    }
}

/// The ROP vector for honest mean `mean` and previous aggregate `previous`
/// (empty at the first step), `angle` in degrees.
pub fn rop(mean: &[f32], previous: &[f32], z: f64, angle: f64, pi: f64, lambda: f64) -> Vec<f32> {
    let d = mean.len();
    let mu: Vec<f64> = mean.iter().map(|&x| f64::from(x)).collect();
    let first = previous.len() != d;
    let prev: Vec<f64> = if first { vec![0.0; d] } else { previous.iter().map(|&x| f64::from(x)).collect() };
    let loc: Vec<f64> = prev.iter().zip(&mu).map(|(m, g)| pi * m + (1.0 - pi) * g).collect();
    let u: Vec<f64> =
        if first { mu.clone() } else { prev.iter().zip(&mu).map(|(m, g)| lambda * m + (1.0 - lambda) * g).collect() };
    let uu: f64 = u.iter().map(|x| x * x).sum();
    let (u_hat, p): (Vec<f64>, Vec<f64>) = if uu > 0.0 && uu.is_finite() {
        let along = u.iter().sum::<f64>() / uu;
        (u.iter().map(|x| x / uu.sqrt()).collect(), u.iter().map(|x| 1.0 - along * x).collect())
    } else {
        (vec![0.0; d], vec![1.0; d])
    };
    let pn = p.iter().map(|x| x * x).sum::<f64>().sqrt();
    let (s, c) = angle.to_radians().sin_cos();
    loc.iter()
        .zip(&p)
        .zip(&u_hat)
        .map(|((l, p), u)| {
            let p_hat = if pn > 0.0 { p / pn } else { 0.0 };
            (l + z * (s * p_hat + c * u)) as f32
        })
        .collect()
}

fn z_for(s: &Setting) -> ArgValue {
    ArgValue::Float(super::alie::default_z(s.n, s.f))
}

/// The registry entry of relocated orthogonal perturbation (`rop`).
pub const ENTRY: AttackEntry = AttackEntry {
    memory: AttackMemory::Nothing,
    spec: Spec {
        name: "rop",
        kind: Kind::Attack,
        aliases: &["reloc"],
        summary: "relocated orthogonal perturbation: at the previous aggregate, orthogonal to its direction",
        doc: "Özfatura et al., IEEE TIFS 2024, against centred clipping: loc + z·q with loc = π·m̃ + (1 − π)·ḡ \
              (m̃ the previous aggregate) and q the unit vector at angle θ from u = λ·m̃ + (1 − λ)·ḡ, in \
              the plane of u and the all-ones vector (the authors' FL-Byzantine-Library).",
        params: &[
            Param {
                name: "z",
                ty: ParamType::Float { min: 0.0, inclusive: true },
                default: Default::Computed(z_for, "ALIE's z of n and f (001 Table 5)"),
                doc: "the norm of the perturbation",
            },
            Param {
                name: "angle",
                ty: ParamType::Float { min: f64::NEG_INFINITY, inclusive: true },
                default: Default::Float(270.0),
                doc: "θ in degrees from u (90 or 270: orthogonal)",
            },
            Param {
                name: "pi",
                ty: ParamType::Share { zero: true },
                default: Default::Float(1.0),
                doc: "relocation π: 1 at the previous aggregate, 0 at the honest mean",
            },
            Param {
                name: "lambda",
                ty: ParamType::Share { zero: true },
                default: Default::Float(0.9),
                doc: "λ: the weight of the previous aggregate in the reference direction",
            },
        ],
        requires: None,
        degenerate: None,
        needs_labels: false,
    },
    build: |c| Box::new(Rop { z: c.float("z"), angle: c.float("angle"), pi: c.float("pi"), lambda: c.float("lambda") }),
};

#[cfg(test)]
mod tests {
    use super::*;

    fn dot(a: &[f32], b: &[f64]) -> f64 {
        a.iter().zip(b).map(|(&x, y)| f64::from(x) * y).sum()
    }

    /// At θ = 270° the perturbation is orthogonal to u, of norm z, and the
    /// vector sits at the previous aggregate (π = 1).
    #[test]
    fn perturbation_is_orthogonal_of_norm_z_at_the_reference() {
        let mean = [1.0f32, 2.0, -1.0, 0.5];
        let prev = [0.5f32, 1.0, 0.0, 0.0];
        let v = rop(&mean, &prev, 0.3, 270.0, 1.0, 0.9);
        let pert: Vec<f32> = v.iter().zip(&prev).map(|(a, b)| a - b).collect();
        let u: Vec<f64> = prev.iter().zip(&mean).map(|(&m, &g)| 0.9 * f64::from(m) + 0.1 * f64::from(g)).collect();
        assert!(dot(&pert, &u).abs() < 1e-6, "{pert:?}");
        let norm = pert.iter().map(|&x| f64::from(x).powi(2)).sum::<f64>().sqrt();
        assert!((norm - 0.3).abs() < 1e-6, "{norm}");
        // 270°: against the all-ones direction's orthogonal part.
        assert!(pert.iter().sum::<f32>() < 0.0);
    }

    /// At the first step there is no aggregate: the reference is the honest
    /// mean and π = 1 relocates to the origin.
    #[test]
    fn first_step_uses_the_honest_mean() {
        let mean = [3.0f32, 4.0];
        let v = rop(&mean, &[], 1.0, 0.0, 1.0, 0.9);
        // θ = 0: z along u/‖u‖ = (0.6, 0.8), from loc = 0.
        assert!((v[0] - 0.6).abs() < 1e-6 && (v[1] - 0.8).abs() < 1e-6, "{v:?}");
    }
}
