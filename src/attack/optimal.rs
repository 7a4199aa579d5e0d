//! ByzFL's optimised ALIE and IPM (`Optimal_ALittleIsEnough`,
//! `Optimal_InnerProductManipulation`): the attack's scale τ chosen each step
//! to push the server's aggregate farthest from the honest mean,
//! ‖F(honest, f copies of a(τ)) − ḡ‖, through the run's actual pipeline
//! (pre-aggregators, rule, declared f, the step's random stream), as JUMP
//! does.
//!
//! - `opt_alie`: a(τ) = ḡ + τ·σ, σ the coordinate-wise standard deviation of
//!   the honest vectors with n − 1 (as ByzFL's code; its docstring says n);
//! - `opt_ipm`: a(τ) = −τ·ḡ.
//!
//! The search is ByzFL's, evaluation for evaluation: from τ = `start`, an
//! expansion (step `delta`, doubled after each improvement, until one fails;
//! then the step is scaled by `ratio`), then a contraction (always forward by
//! the step, which shrinks by `ratio` after every evaluation), `evals`
//! evaluations in all; the best τ seen is played. An aggregate with a
//! non-finite coordinate scores −inf, so the search never picks a τ that
//! would end the run as a divergence (ByzFL's NaN comparison fails the same
//! way, but it would prefer an infinite aggregate).

use super::{Attack, AttackEntry, AttackMemory, View};
use crate::dynamics::SimError;
use crate::spec::{Default, Kind, Param, ParamType, Spec};

/// Which base attack's scale is searched.
#[derive(Clone, Copy)]
pub enum Base {
    /// ḡ + τ·σ.
    Alie,
    /// −τ·ḡ.
    Ipm,
}

/// ByzFL's expand-then-contract search: the τ of largest `objective` among
/// the `evals` evaluated.
#[derive(Clone, Copy)]
pub struct Search {
    pub evals: usize,
    pub start: f64,
    pub delta: f64,
    pub ratio: f64,
}

impl Search {
    /// The best τ found with `evals` evaluations of `objective`.
    pub fn best(&self, mut objective: impl FnMut(f64) -> f64) -> f64 {
        let (mut x, mut y) = (self.start, objective(self.start));
        let mut step = self.delta;
        let mut left = self.evals.saturating_sub(1);
        while left > 0 {
            left -= 1;
            let candidate = objective(x + step);
            if candidate > y {
                (x, y) = (x + step, candidate);
                step *= 2.0;
            } else {
                step *= self.ratio;
                break;
            }
        }
        while left > 0 {
            left -= 1;
            let candidate = objective(x + step);
            if candidate > y {
                (x, y) = (x + step, candidate);
            }
            step *= self.ratio;
        }
        x
    }
}

/// The base attack's vector at scale τ, from the honest mean and (for ALIE) σ.
pub fn base_vector(base: Base, mean: &[f32], sigma: &[f32], tau: f64) -> Vec<f32> {
    match base {
        Base::Alie => mean.iter().zip(sigma).map(|(&m, &s)| (f64::from(m) + tau * f64::from(s)) as f32).collect(),
        Base::Ipm => mean.iter().map(|&m| (-tau * f64::from(m)) as f32).collect(),
    }
}

/// σ with n − 1, as ByzFL's ALIE.
pub fn sample_std(honest: &[Vec<f32>], mean: &[f32]) -> Vec<f32> {
    let dof = honest.len().saturating_sub(1).max(1) as f64;
    (0..mean.len())
        .map(|j| {
            let var: f64 = honest.iter().map(|g| (f64::from(g[j]) - f64::from(mean[j])).powi(2)).sum::<f64>() / dof;
            var.sqrt() as f32
        })
        .collect()
}

/// ‖F − ḡ‖, or −inf for a non-finite aggregate.
pub fn distance(aggregate: &[f32], mean: &[f32]) -> f64 {
    let d = aggregate.iter().zip(mean).map(|(&a, &m)| (f64::from(a) - f64::from(m)).powi(2)).sum::<f64>().sqrt();
    if d.is_finite() { d } else { f64::NEG_INFINITY }
}

#[derive(Clone)]
struct Optimal {
    base: Base,
    search: Search,
}

impl Attack for Optimal {
    fn vectors(&mut self, view: &View) -> Result<Vec<Vec<f32>>, SimError> {
        let mean = view.honest_mean();
        let sigma = match self.base {
            Base::Alie => sample_std(view.honest, &mean),
            Base::Ipm => vec![],
        };
        let mut all = view.honest.to_vec();
        let h = all.len();
        let tau = self.search.best(|tau| {
            let a = base_vector(self.base, &mean, &sigma, tau);
            all.truncate(h);
            all.extend(std::iter::repeat_n(a, view.f));
            distance(&view.dynamics.server_aggregate(view.state, &all), &mean)
        });
        Ok(view.collude(base_vector(self.base, &mean, &sigma, tau)))
    }
}

const SEARCH_PARAMS: &[Param] = &[
    Param {
        name: "evals",
        ty: ParamType::Int { min: 1 },
        default: Default::Int(20),
        doc: "aggregations tried per step",
    },
    Param {
        name: "start",
        ty: ParamType::Float { min: f64::NEG_INFINITY, inclusive: true },
        default: Default::Float(0.0),
        doc: "the first τ",
    },
    Param {
        name: "delta",
        ty: ParamType::Float { min: 0.0, inclusive: false },
        default: Default::Float(10.0),
        doc: "the first step of the search",
    },
    Param {
        name: "ratio",
        ty: ParamType::Float { min: 0.5, inclusive: false },
        default: Default::Float(0.8),
        doc: "the step's shrink factor, in (0.5, 1)",
    },
];

/// ByzFL's bound on the step's shrink factor: in (0.5, 1).
fn ratio_below_one(_: &crate::spec::Setting, args: &crate::plan::Args) -> Result<(), crate::spec::Unmet> {
    match args.get("ratio") {
        Some(crate::plan::ArgValue::Float(r)) if *r >= 1.0 => Err(crate::spec::Unmet {
            message: format!("a search step that shrinks by ratio {r} never shrinks"),
            label: "ratio ≥ 1".into(),
            help: "give `ratio` in (0.5, 1), e.g. `ratio: 0.8` (ByzFL's default)".into(),
        }),
        _ => Ok(()),
    }
}

fn build(base: Base, c: &crate::plan::ComponentPlan) -> Box<dyn Attack> {
    let search = Search {
        evals: c.int("evals") as usize,
        start: c.float("start"),
        delta: c.float("delta"),
        ratio: c.float("ratio"),
    };
    Box::new(Optimal { base, search })
}

/// The registry entry of optimised ALIE (`opt_alie`).
pub const OPT_ALIE: AttackEntry = AttackEntry {
    memory: AttackMemory::Pipeline,
    spec: Spec {
        name: "opt_alie",
        kind: Kind::Attack,
        aliases: &["optimal_alie"],
        summary: "ALIE with its scale searched each step against the actual pipeline",
        doc: "ByzFL's Optimal_ALittleIsEnough: a(τ) = ḡ + τ·σ (σ with n − 1), τ maximising ‖F − ḡ‖ through \
              the run's pipeline, by ByzFL's expand-then-contract search (`evals` aggregations per step).",
        params: SEARCH_PARAMS,
        requires: Some(ratio_below_one),
        degenerate: None,
        needs_labels: false,
    },
    build: |c| build(Base::Alie, c),
};

/// The registry entry of optimised IPM (`opt_ipm`).
pub const OPT_IPM: AttackEntry = AttackEntry {
    memory: AttackMemory::Pipeline,
    spec: Spec {
        name: "opt_ipm",
        kind: Kind::Attack,
        aliases: &["optimal_ipm"],
        summary: "IPM with its scale searched each step against the actual pipeline",
        doc: "ByzFL's Optimal_InnerProductManipulation: a(τ) = −τ·ḡ, τ maximising ‖F − ḡ‖ through the \
              run's pipeline, by ByzFL's expand-then-contract search (`evals` aggregations per step).",
        params: SEARCH_PARAMS,
        requires: Some(ratio_below_one),
        degenerate: None,
        needs_labels: false,
    },
    build: |c| build(Base::Ipm, c),
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_ratio_of_one_or_more_is_refused() {
        let setting = crate::spec::Setting { n: 5, f: 1, declared: false };
        let args = |r: f64| crate::plan::Args::from([("ratio".to_string(), crate::plan::ArgValue::Float(r))]);
        assert!(ratio_below_one(&setting, &args(0.8)).is_ok());
        assert!(ratio_below_one(&setting, &args(1.0)).is_err());
    }

    /// The τ's ByzFL's search tries for an objective peaking at 3: 0, 10
    /// (worse: the step shrinks to 8), then forward from the best τ by
    /// shrinking steps; it moves only forward, so it keeps 5.12, the first
    /// improvement, and overshoots the peak from there.
    #[test]
    fn search_expands_then_contracts() {
        let mut tried = vec![];
        let s = Search { evals: 20, start: 0.0, delta: 10.0, ratio: 0.8 };
        let best = s.best(|t| {
            tried.push(t);
            -(t - 3.0).abs()
        });
        assert_eq!(tried.len(), 20);
        assert_eq!(&tried[..3], &[0.0, 10.0, 8.0]);
        assert_eq!(&tried[3..6], &[6.4, 5.120000000000001, 9.216000000000001]);
        assert_eq!(best, 5.120000000000001, "{tried:?}");
    }
}
