//! Mimic (Karimireddy et al. 2022): every Byzantine worker copies one honest
//! worker, a_t = g_t^(i) (p = g^(i) − ḡ, η = 1 in 001 eq. (6), Table 5).
//! Their heuristic picks the worker that maximises variance: during a
//! warm-up of `warmup` steps a direction z is grown by power steps on the
//! centred honest vectors, z ← normalise(z + Σ_i ⟨g_i − ḡ, z⟩ (g_i − ḡ)),
//! and the target is i* = argmax_i ⟨g_i − ḡ, z⟩ (ties to the lowest index),
//! fixed once the warm-up ends. Their z starts at random, which makes the
//! target a coin toss; here z starts at the deviation of the honest vector
//! with the largest norm, so the choice is deterministic and leans towards
//! the most influential worker.

use super::{Attack, AttackEntry, AttackMemory, View};
use crate::dynamics::SimError;
use crate::spec::{Default, Kind, Param, ParamType, Spec};

#[derive(Clone)]
struct Mimic {
    warmup: usize,
    seen: usize,
    z: Vec<f64>,
    target: usize,
}

fn centred(honest: &[Vec<f32>], mean: &[f32]) -> Vec<Vec<f64>> {
    honest.iter().map(|g| g.iter().zip(mean).map(|(a, m)| f64::from(a - m)).collect()).collect()
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

fn normalise(v: &mut [f64]) {
    let len = dot(v, v).sqrt();
    if len > 0.0 && len.is_finite() {
        v.iter_mut().for_each(|x| *x /= len);
    }
}

impl Mimic {
    fn observe(&mut self, honest: &[Vec<f32>], mean: &[f32]) {
        let c = centred(honest, mean);
        if self.z.is_empty() {
            let largest = (0..honest.len())
                .max_by(|&a, &b| {
                    let n = |i: usize| honest[i].iter().map(|x| f64::from(*x).powi(2)).sum::<f64>();
                    n(a).total_cmp(&n(b)).then(b.cmp(&a))
                })
                .unwrap_or(0);
            self.z = c.get(largest).cloned().unwrap_or_default();
            normalise(&mut self.z);
        }
        let mut next = self.z.clone();
        for ci in &c {
            let p = dot(ci, &self.z);
            next.iter_mut().zip(ci).for_each(|(n, x)| *n += p * x);
        }
        normalise(&mut next);
        self.z = next;
        let mut best = 0;
        for i in 1..c.len() {
            if dot(&c[i], &self.z) > dot(&c[best], &self.z) {
                best = i;
            }
        }
        self.target = best;
    }
}

impl Attack for Mimic {
    fn vectors(&mut self, view: &View) -> Result<Vec<Vec<f32>>, SimError> {
        if self.seen < self.warmup {
            self.observe(view.honest, &view.honest_mean());
            self.seen += 1;
        }
        let target = view.honest.get(self.target).or(view.honest.first()).cloned().unwrap_or_default();
        Ok(view.collude(target))
    }
}

/// The registry entry of Mimic (`mimic`): every Byzantine worker copies one honest worker.
pub const ENTRY: AttackEntry = AttackEntry {
    memory: AttackMemory::Nothing,
    spec: Spec {
        name: "mimic",
        kind: Kind::Attack,
        aliases: &[],
        summary: "copy the honest worker along the direction of largest variance",
        doc: "a_t = g_t^(i*), i* = argmax_i ⟨g_i − ḡ, z⟩ with z the top principal direction of the \
              centred honest vectors, estimated over `warmup` steps and then fixed \
              (001 Table 5; Karimireddy et al. 2022).",
        params: &[Param {
            name: "warmup",
            ty: ParamType::Int { min: 1 },
            default: Default::Int(1),
            doc: "steps spent estimating the direction",
        }],
        requires: None,
        degenerate: None,
        needs_labels: false,
    },
    build: |c| Box::new(Mimic { warmup: c.int("warmup") as usize, seen: 0, z: vec![], target: 0 }),
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_the_outlier_along_the_main_axis() {
        let honest = vec![vec![0.0, 0.0], vec![1.0, 0.1], vec![-0.2, 0.0], vec![5.0, 0.0]];
        let mut m = Mimic { warmup: 1, seen: 0, z: vec![], target: 0 };
        m.observe(&honest, &crate::aggregate::mean::mean(&honest));
        assert_eq!(m.target, 3);
    }

    #[test]
    fn of_two_opposite_deviations_targets_the_larger_gradient() {
        let honest = vec![vec![0.01, 0.0], vec![1.0, -0.2]];
        let mut m = Mimic { warmup: 1, seen: 0, z: vec![], target: 0 };
        m.observe(&honest, &crate::aggregate::mean::mean(&honest));
        assert_eq!(m.target, 1);
    }
}
