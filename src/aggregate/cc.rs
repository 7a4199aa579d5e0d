//! Centered clipping (CC).
//!
//! Starting from the previous step's aggregate `v_0`, repeat `iters` (L) times
//! `v_{l+1} = v_l + (1/n) Σ_i (x_i − v_l) · min(1, τ / ‖x_i − v_l‖)` and
//! return `v_L`. Source: Karimireddy, He & Jaggi, "Learning from History for
//! Byzantine Robust Optimization", ICML 2021, eq. (CC) in §4 (there with
//! L = 1 and the momentum of the previous round as the centre). Defaults
//! τ = 100, L = 1 and a zero centre at the first step, as ByzFL 0.0.11's
//! `CenteredClipping`.
//!
//! State: the centre is the server's aggregate of the previous step, which
//! the simulator keeps in its state and hands over in `Ctx::previous`; so an
//! attack that simulates the future (`jump`, `plan`) sees exactly the centre
//! that the real run will use.
//!
//! Non-finite inputs: a vector at non-finite distance from the centre is
//! treated as maximally far: its clipped difference has norm τ but no defined
//! direction, so it contributes nothing (as if it sent the centre). A centre of
//! a different length than the vectors (or a non-finite one) restarts from
//! zero. Arithmetic is in `f64`, in index order.

use super::{Capabilities, RuleEntry, RuleFn};
use crate::plan::ComponentPlan;
use crate::spec::{Default, Kind, Param, ParamType, Spec};

/// L iterations of centered clipping of `v` (owned vectors or slices) around `center` (zeros if empty).
pub(crate) fn centered_clipping<R: AsRef<[f32]>>(v: &[R], center: &[f32], tau: f64, iters: usize) -> Vec<f32> {
    let n = v.len();
    let d = v.iter().map(|x| x.as_ref().len()).min().unwrap_or(0);
    if n == 0 {
        return center.to_vec();
    }
    let mut c: Vec<f64> = if center.len() == d && center.iter().all(|x| x.is_finite()) {
        center.iter().map(|&x| f64::from(x)).collect()
    } else {
        vec![0.0; d]
    };
    let mut step = vec![0.0f64; d];
    for _ in 0..iters {
        step.fill(0.0);
        for x in v {
            let x = x.as_ref();
            let dist = x[..d].iter().zip(&c).map(|(&xj, &cj)| (f64::from(xj) - cj).powi(2)).sum::<f64>().sqrt();
            if !dist.is_finite() {
                continue;
            }
            let s = if dist > tau { tau / dist } else { 1.0 };
            for ((sj, &xj), &cj) in step.iter_mut().zip(&x[..d]).zip(&c) {
                *sj += (f64::from(xj) - cj) * s;
            }
        }
        for (cj, sj) in c.iter_mut().zip(&step) {
            *cj += sj / n as f64;
        }
    }
    c.into_iter().map(|x| x as f32).collect()
}

fn build(c: &ComponentPlan) -> RuleFn {
    let (tau, iters) = (c.float("tau"), c.int("iters") as usize);
    Box::new(move |v, ctx| centered_clipping(v, ctx.previous, tau, iters))
}

/// The registry entry of centered clipping (`cc`), centred on the previous step's aggregate.
pub const ENTRY: RuleEntry = RuleEntry {
    spec: Spec {
        name: "cc",
        kind: Kind::Rule,
        aliases: &["centered_clipping"],
        summary: "centered clipping around the previous aggregate",
        doc: "v ← v + (1/n) Σ (x_i − v) min(1, τ/‖x_i − v‖), `iters` times, from the previous step's \
              aggregate (zero at the first step) (Karimireddy et al. 2021, §4). The previous aggregate is part of the \
              simulated state, so planning attacks see the same centre as the run.",
        params: &[
            Param {
                name: "tau",
                ty: ParamType::Float { min: 0.0, inclusive: false },
                default: Default::Float(100.0),
                doc: "clipping radius τ around the centre",
            },
            Param {
                name: "iters",
                ty: ParamType::Int { min: 1 },
                default: Default::Int(1),
                doc: "clipping iterations L",
            },
        ],
        requires: None,
        degenerate: None,
        needs_labels: false,
    },
    build,
    capabilities: Capabilities::NONE,
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_computed() {
        // centre 0, τ = 1: (3,4) → (0.6, 0.8), (0.3, 0) kept; mean of the two.
        let v = [vec![3.0, 4.0], vec![0.3, 0.0]];
        let close = |a: &[f32], b: &[f64]| a.iter().zip(b).all(|(&x, &y)| (f64::from(x) - y).abs() < 1e-6);
        assert!(close(&centered_clipping(&v, &[], 1.0, 1), &[0.45, 0.4]));
        // second iteration from (0.45, 0.4): (3,4) − c = (2.55, 3.6), norm 4.4116;
        // (0.3,0) − c = (−0.15, −0.4), norm 0.4272 kept.
        let out = centered_clipping(&v, &[], 1.0, 2);
        let s = 1.0 / (2.55f64.powi(2) + 3.6f64.powi(2)).sqrt();
        let expected = [0.45 + (2.55 * s - 0.15) / 2.0, 0.4 + (3.6 * s - 0.4) / 2.0];
        assert!(close(&out, &expected));
        // large τ: one iteration from any centre is the mean
        assert!(close(&centered_clipping(&v, &[7.0, 7.0], 1e9, 1), &[1.65, 2.0]));
    }

    #[test]
    fn state_carries_the_previous_aggregate() {
        let plan = ComponentPlan {
            name: "cc".into(),
            args: [("tau".into(), crate::plan::ArgValue::Float(1.0)), ("iters".into(), crate::plan::ArgValue::Int(1))]
                .into_iter()
                .collect(),
            display: "cc".into(),
        };
        let rule = build(&plan);
        let mut rng = rand::SeedableRng::seed_from_u64(0);
        let v = [vec![10.0], vec![10.0]];
        // From 0 the step is clipped to 1; then, centred on that aggregate, from 1 to 2.
        let first = rule(&v, &mut super::super::Ctx { f: 0, rng: &mut rng, previous: &[], norms: &[], server: &[] });
        assert_eq!(first, vec![1.0]);
        assert_eq!(
            rule(&v, &mut super::super::Ctx { f: 0, rng: &mut rng, previous: &first, norms: &[], server: &[] }),
            vec![2.0]
        );
    }

    #[test]
    fn non_finite_contributes_nothing() {
        let v = [vec![1.0, 0.0], vec![f32::NAN, 0.0], vec![f32::INFINITY, 1.0]];
        assert_eq!(centered_clipping(&v, &[0.0, 0.0], 10.0, 1), vec![1.0 / 3.0, 0.0]);
        assert_eq!(centered_clipping(&v, &[f32::NAN, 0.0], 10.0, 1), vec![1.0 / 3.0, 0.0]);
        assert!(centered_clipping::<Vec<f32>>(&[], &[], 1.0, 1).is_empty());
    }
}
