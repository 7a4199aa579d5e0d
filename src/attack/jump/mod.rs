//! JUMP (001 §3, Algorithm 1): all Byzantine vectors equal λ_t ḡ_t, and the
//! run is cut into segments of τ steps; for each segment a derivative-free
//! solver picks λ_s..λ_{s+τ−1} maximising the objective of the honest
//! losses of the models they produce, simulated exactly with the honest
//! workers' future draws (the adversary is omniscient).
//!
//! (P_ℓ) sums L_H(θ_t) over the segment's own steps; since θ_s does not
//! depend on λ_s, we score the models the segment's decisions produce,
//! θ_{s+1}..θ_{s+τ}, so that JUMP-1 maximises the next step's loss.

mod ends;
mod models;

use super::objective::{self, Objective};
use super::solver::{self, Solver, SolverOptions};
use super::{Attack, AttackEntry, AttackMemory, View};
use crate::aggregate::copies::{Candidate, KrumLine, WithCopies};
use crate::dynamics::{Dynamics, SimError, State};
use crate::spec::{Default, Kind, Param, ParamType, Spec};
use crate::task::LossLine;
use std::collections::HashMap;

#[derive(Clone)]
struct Jump {
    segment: usize,
    /// What is measured after each simulated step: the honest loss, or (STAB) the logit gap.
    measure: Measure,
    solver: Solver,
    /// `solver: auto` or `solver: ends`: the search may suit the rule (see `search`).
    solver_name: String,
    objective: Objective,
    init: f64,
    /// Start each segment's search from the previous segment's solution rather than from `init`.
    warm: bool,
    /// The previous segment's solution, in the solver's η = 1 − λ.
    last: Vec<f64>,
    /// λ's planned for the steps still to come in the current segment, next first.
    planned: Vec<f64>,
}

/// The quantity a segment's decisions are scored by, after each simulated step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Measure {
    /// L_H(θ) on the honest batches of that step (001 (P_ℓ)).
    Loss,
    /// The mean gap between the largest and the smallest logit on those batches (000 App. A).
    LogitGap,
}

fn simulate(
    dynamics: &Dynamics,
    state: &State,
    first: &mut FirstStep,
    lambdas: &[f64],
    measure: Measure,
) -> Result<Vec<f64>, SimError> {
    let (first_score, rest) = match lambdas.split_first() {
        Some((lambda, rest)) => (first.scored(dynamics, state, *lambda, measure)?, rest),
        None => return Ok(vec![]),
    };
    let mut losses = Vec::with_capacity(lambdas.len());
    losses.push(first_score);
    if rest.is_empty() {
        return Ok(losses);
    }
    // Later steps need the full state: the honest momenta and the aggregate.
    let f = first.f;
    let mut state = dynamics.advance(state, first.honest.to_vec(), vec![scaled(&first.mean, lambdas[0]); f])?;
    for &lambda in rest {
        let honest = dynamics.honest_vectors(&state)?;
        let a = scaled(&crate::aggregate::mean::mean(&honest), lambda);
        state = dynamics.advance(&state, honest, vec![a; f])?;
        losses.push(score(dynamics, &state.theta, state.step, measure)?);
    }
    Ok(losses)
}

fn score(dynamics: &Dynamics, theta: &[f32], step: usize, measure: Measure) -> Result<f64, SimError> {
    match measure {
        Measure::Loss => dynamics.loss(theta, step),
        Measure::LogitGap => dynamics.logit_gap(theta, step),
    }
}

/// The segment's first step, whose honest vectors are known: ḡ is computed
/// once, and the rule prepared for f copies of a candidate where it can be
/// (`aggregate::copies`); otherwise the n vectors are built once and each
/// candidate λ only rewrites the f Byzantine rows and runs the server's step.
struct FirstStep<'a> {
    honest: &'a [Vec<f32>],
    f: usize,
    mean: Vec<f32>,
    /// The honest vectors and f Byzantine rows, for a pipeline without a prepared form.
    all: Vec<Vec<f32>>,
    /// The aggregation prepared for f equal vectors, where the pipeline has such a form.
    copies: Option<WithCopies<'a>>,
    /// The next model's score for each choice of honest vectors only (Krum
    /// leaving the copies out): every λ making that choice leads to that model.
    honest_choices: HashMap<Vec<usize>, f64>,
    /// The scores of the models the candidates lead to, each distinct model scored once.
    models: models::ModelScores,
    /// Score the models on the line θ − γλḡ (Krum picking the copy) by
    /// `Dynamics::loss_along_step` rather than one by one: `solver: auto`.
    on_line: bool,
    /// That line's loss as a function of λ, once asked for (`None` inside: the task has none).
    line: Option<Option<LossLine>>,
    /// Krum's distances along the line, once asked for (`None` inside: the rule is not a plain Krum).
    krum_line: Option<Option<KrumLine>>,
    /// `Dynamics::ignored_below` of the step (0 unless every honest |x_i| is
    /// below it) and the largest |ḡ_i|: a candidate λ with |λ|·max|ḡ_i|
    /// below it leaves θ as it is.
    ignored: Option<(f64, f64)>,
    /// The largest |θ_i| and |ḡ_i| (+∞ if one is not finite), under `on_line`:
    /// where λḡ and the model θ − γλḡ cannot overflow.
    largest: Option<(f64, f64)>,
}

impl<'a> FirstStep<'a> {
    fn new(dynamics: &Dynamics, honest: &'a [Vec<f32>], f: usize) -> Self {
        let mean = crate::aggregate::mean::mean(honest);
        let copies = if f > 0 { dynamics.with_copies(honest) } else { None };
        FirstStep {
            honest,
            f,
            mean,
            all: vec![],
            copies,
            honest_choices: HashMap::new(),
            models: models::ModelScores::default(),
            ignored: None,
            on_line: false,
            line: None,
            krum_line: None,
            largest: None,
        }
    }

    /// The score of θ_{s+1}, the model the server's step makes of the honest
    /// vectors and f copies of λ ḡ.
    fn scored(&mut self, dynamics: &Dynamics, state: &State, lambda: f64, measure: Measure) -> Result<f64, SimError> {
        let Some(prepared) = &self.copies else {
            let agg = self.server_aggregate(dynamics, state, lambda);
            return self.models.score_next(dynamics, state, agg, measure);
        };
        // No coordinate of a prepared rule's aggregate is larger in magnitude
        // than the inputs' largest (`aggregate::copies`): below
        // `ignored_below`, the step leaves θ bit for bit, whichever λ (a model
        // that has blown up).
        let (ignored, mean) = *self.ignored.get_or_insert_with(|| {
            let bound = dynamics.ignored_below(state);
            // While training moves, the first honest coordinate already fails.
            let below = |x: &Vec<f32>| x.iter().all(|v| f64::from(v.abs()) < bound);
            if bound == 0.0 || !self.honest.iter().all(below) {
                return (0.0, f64::INFINITY);
            }
            // Also keeps λḡ inside f32's range, as the exact path needs.
            (bound.min(f64::from(f32::MAX) / 2.0), largest(&self.mean))
        });
        if lambda.abs() * mean < ignored {
            return self.models.score(dynamics, state, state.theta.clone(), measure);
        }
        let models = &mut self.models;
        let mut next = |agg| models.score_next(dynamics, state, agg, measure);
        let on_line = self.on_line && measure == Measure::Loss;
        if on_line && self.largest.is_none() {
            self.largest = Some((largest(&state.theta), largest(&self.mean)));
            self.krum_line = Some(prepared.krum_line(&self.mean));
        }
        // λḡ and θ − γλḡ surely inside f32's range: read off lines, they lose
        // nothing the exact path would report (an infinite distance, a divergence).
        let within = self.largest.is_some_and(|(theta, mean)| {
            let attack = lambda.abs() * mean;
            let model = theta + dynamics.lr_at(state.step) * attack;
            attack < f64::from(f32::MAX) / 2.0 && model < f64::from(f32::MAX) / 2.0
        });
        // The attack's vector, where the exact path has made it.
        let (candidate, attack) = match self.krum_line.as_ref().and_then(Option::as_ref) {
            // Krum's choice from three numbers per honest vector (exact but
            // for rounding) instead of H distances of d coordinates.
            Some(line) if on_line && within => (prepared.krum_candidate_on_line(line, 1.0 - lambda), None),
            _ => {
                let attack = scaled(&self.mean, lambda);
                (prepared.candidate(&attack), Some(attack))
            }
        };
        let attack = || attack.unwrap_or_else(|| scaled(&self.mean, lambda));
        match candidate {
            Candidate::Vector(agg) => next(agg),
            Candidate::Copy if on_line && within => {
                // θ − γλḡ for every λ Krum lets through: the logits of θ and
                // ḡ once, then each λ costs the cross-entropy (an 11th of the
                // loss of a linear model on MNIST).
                if self.line.is_none() {
                    self.line = Some(dynamics.loss_along_step(state, &self.mean, state.step + 1)?);
                }
                match self.line.as_ref().and_then(Option::as_ref) {
                    Some(line) => Ok(line(lambda)),
                    None => next(attack()),
                }
            }
            Candidate::Copy => next(attack()),
            Candidate::Honest(rows) => {
                if let Some(&known) = self.honest_choices.get(&rows) {
                    return Ok(known);
                }
                let s = next(prepared.honest_aggregate(&rows))?;
                self.honest_choices.insert(rows, s);
                Ok(s)
            }
        }
    }

    /// The server's aggregate of the honest vectors and f copies of λ ḡ, through the whole pipeline.
    fn server_aggregate(&mut self, dynamics: &Dynamics, state: &State, lambda: f64) -> Vec<f32> {
        if self.all.is_empty() {
            self.all = self.honest.to_vec();
            self.all.extend(std::iter::repeat_n(vec![0.0; self.mean.len()], self.f));
        }
        let attack = scaled(&self.mean, lambda);
        for row in &mut self.all[self.honest.len()..] {
            row.copy_from_slice(&attack);
        }
        dynamics.server_aggregate(state, &self.all)
    }
}

/// The largest |x_i|; +∞ if a coordinate is NaN or infinite.
fn largest(x: &[f32]) -> f64 {
    x.iter().fold(0.0f64, |m, v| if v.is_finite() { m.max(f64::from(v.abs())) } else { f64::INFINITY })
}

/// λ ḡ, computed in f64 as 001 Table 5 writes it.
fn scaled(mean: &[f32], lambda: f64) -> Vec<f32> {
    mean.iter().map(|x| (f64::from(*x) * lambda) as f32).collect()
}

fn scaled_mean(honest: &[Vec<f32>], lambda: f64) -> Vec<f32> {
    scaled(&crate::aggregate::mean::mean(honest), lambda)
}

/// How a segment's λ's are searched for.
enum Search {
    /// The solver the scenario names (Powell for `auto` and `ends` where nothing below applies).
    Given,
    /// `auto` under a plain `cm`: Brent to 1e-2 from the previous step's λ.
    /// Consecutive steps want similar λ's there, and on MNIST logistic
    /// regression and two-wells it is as strong as Powell at a twelfth of the
    /// evaluations. Under `gm` it is not (two-wells: mean
    /// loss 0.597 against Powell's 0.658), nor under `krum` (MNIST: mean loss
    /// 14 against 49), so those keep Powell (numbers in README.md, "JUMP-1 / SF").
    WarmBrent,
    /// `ends` under a plain `krum` with a convex loss, when Krum picks the
    /// attack at λ = init (else Powell): the ends of Krum's interval of
    /// η = 1 − λ picking the attack (`ends`), found around λ = init.
    KrumEnds([(f64, Option<f64>); 2]),
}

impl Jump {
    /// The search for this segment: `Given` unless `solver: auto` or `ends` knows the rule.
    fn search(&self, view: &View, first: &FirstStep, horizon: usize) -> Search {
        let one_step = self.segment == 1 && horizon == 1 && self.measure == Measure::Loss;
        let Some(prepared) = first.copies.as_ref().filter(|_| one_step) else {
            return Search::Given;
        };
        if self.solver_name == "auto" && matches!(prepared, WithCopies::Median(_)) {
            return Search::WarmBrent;
        }
        if self.solver_name != "ends" {
            return Search::Given;
        }
        // In the solver's η = 1 − λ, as every candidate is scored.
        let start = 1.0 - self.init;
        if view.dynamics.loss_is_convex()
            && let Some(picks) = prepared.krum_picks_along(&first.mean)
            && picks(start)
        {
            return Search::KrumEnds(ends::interval_ends(&mut |eta| picks(eta), start, 1e-4));
        }
        Search::Given
    }
}

impl Attack for Jump {
    fn vectors(&mut self, view: &View) -> Result<Vec<Vec<f32>>, SimError> {
        if self.planned.is_empty() {
            let horizon = self.segment.min(view.phase_end.saturating_sub(view.state.step)).max(1);
            // The solver works on η = 1 − λ, 001 Table 5's parametrisation
            // a = ḡ + η·(−ḡ) from η = 0: its first line search then looks
            // towards λ < 1 (resisting descent) before λ > 1.
            let mut first = FirstStep::new(view.dynamics, view.honest, view.f);
            first.on_line = self.solver_name == "auto";
            let search = self.search(view, &first, horizon);
            // Powell's line searches start from points already evaluated (4 of 60 per
            // step under CM, 4 of 25 under Krum): each is simulated once.
            let mut known: HashMap<Vec<u64>, f64> = HashMap::new();
            let mut cost = |etas: &[f64]| {
                let key: Vec<u64> = etas.iter().map(|e| e.to_bits()).collect();
                *known.entry(key).or_insert_with(|| {
                    let lambdas: Vec<f64> = etas.iter().map(|e| 1.0 - e).collect();
                    match simulate(view.dynamics, view.state, &mut first, &lambdas, self.measure) {
                        Ok(losses) => -self.objective.value(&losses),
                        Err(_) => f64::INFINITY,
                    }
                })
            };
            let x0 = if (self.warm || matches!(search, Search::WarmBrent)) && self.last.len() == horizon {
                self.last.clone()
            } else {
                vec![1.0 - self.init; horizon]
            };
            let mut best = match search {
                Search::Given => self.solver.minimize(&mut cost, &x0),
                Search::WarmBrent => {
                    let o = SolverOptions { xtol: 0.01, ..SolverOptions::default() };
                    solver::grid::coordinate_brent(&mut cost, &x0, &o)
                }
                Search::KrumEnds(ends) => {
                    let x = vec![ends::best_end(&ends, &mut |eta| cost(&[eta]))];
                    // A point `best_end` scored: the memo answers without simulating again.
                    solver::Minimum { value: cost(&x), x, evaluations: 0 }
                }
            };
            // No candidate kept the model finite: `auto` and `ends` play λ = init,
            // as a search from init then does, rather than a previous λ that led
            // here (a solver the scenario names keeps its own answer).
            if !matches!(search, Search::Given) && !best.value.is_finite() {
                best.x = vec![1.0 - self.init; horizon];
            }
            let best = best.x;
            self.last.clone_from(&best);
            self.planned = best.into_iter().rev().map(|e| 1.0 - e).collect();
        }
        let lambda = self.planned.pop().unwrap_or(self.init);
        Ok(view.collude(scaled_mean(view.honest, lambda)))
    }
}

const SOLVER: Param = Param {
    name: "solver",
    ty: ParamType::Component(Kind::Solver),
    default: Default::Component("powell"),
    doc: "the nonlinear solver",
};

const AUTO_SOLVER: Param = Param {
    default: Default::Component("auto"),
    doc: "the nonlinear solver: `auto` is Powell (001) or, under a plain `cm`, a faster search of the same \
          strength, under a plain `krum` Powell on a cheaper form of the same objective (`byz explain auto`); \
          `ends` a stronger search under a plain `krum` (`byz explain ends`)",
    ..SOLVER
};

const START: Param = Param {
    name: "start",
    ty: ParamType::Choice(&["init", "previous"]),
    default: Default::Choice("init"),
    doc: "where each segment's search starts: λ = init (001 Algorithm 1), or the previous \
          segment's solution (fewer evaluations when consecutive steps want similar λ's); \
          `solver: auto` under a plain `cm` always starts from the previous one",
};

const INIT: Param = Param {
    name: "init",
    ty: ParamType::Float { min: f64::NEG_INFINITY, inclusive: true },
    default: Default::Float(1.0),
    doc: "the solver's starting λ",
};

/// The registry entry of JUMP (`jump`).
pub const ENTRY: AttackEntry = AttackEntry {
    memory: AttackMemory::Pipeline,
    spec: Spec {
        name: "jump",
        kind: Kind::Attack,
        aliases: &["nlp", "ssnlp"],
        summary: "plan λ_t for a_t = λ_t ḡ_t over segments of τ steps with a derivative-free solver",
        doc: "001 Algorithm 1: per segment, maximise the objective of the honest losses of the \
              models produced by the segment's steps over λ ∈ R^τ, starting from λ = init \
              (λ = 1, i.e. η = 0, in 001 Table 5), by simulating robust D-SGD exactly. \
              The last segment of a phase is shortened to fit. The default `solver: auto` is 001's Powell \
              except under a plain `cm`, where Brent from the previous step's λ is as strong at a fifth of \
              the time, and under a plain `krum`, where Powell reads Krum's choice and a linear model's \
              loss along θ − γλḡ in a cheaper form, exact but for rounding (`byz explain auto`); \
              `solver: powell` forces 001's search as written.",
        params: &[
            Param {
                name: "segment", ty: ParamType::Int { min: 1 }, default: Default::Int(1), doc: "segment length τ"
            },
            AUTO_SOLVER,
            Param {
                name: "objective",
                ty: ParamType::Component(Kind::Objective),
                default: Default::Component("mean_loss"),
                doc: "what to maximise over a segment",
            },
            INIT,
            START,
        ],
        requires: None,
        degenerate: None,
        needs_labels: false,
    },
    build: |c| {
        Box::new(Jump {
            segment: c.int("segment") as usize,
            measure: Measure::Loss,
            solver_name: c.component("solver").name.clone(),
            solver: solver::build(c.component("solver")),
            objective: objective::build(c.component("objective")),
            init: c.float("init"),
            warm: c.choice("start") == "previous",
            last: vec![],
            planned: vec![],
        })
    },
};

/// STAB (000 App. A): NLP with a lookahead of one step whose objective is
/// the gap between the largest and the smallest logit, to break training's
/// numerical stability rather than raise the loss.
pub const STAB: AttackEntry = AttackEntry {
    memory: AttackMemory::Pipeline,
    spec: Spec {
        name: "stab",
        kind: Kind::Attack,
        aliases: &[],
        summary: "stability breaking: maximise the spread of the next model's logits",
        doc: "a_t = λ_t ḡ_t with λ_t maximising the mean (max logit − min logit) over the honest \
              workers' next batches, one step ahead (000 App. A). Needs a data task.",
        params: &[SOLVER, INIT],
        requires: None,
        degenerate: None,
        needs_labels: true,
    },
    build: |c| {
        Box::new(Jump {
            segment: 1,
            measure: Measure::LogitGap,
            solver_name: String::new(),
            solver: solver::build(c.component("solver")),
            objective: Objective::MeanLoss,
            init: c.float("init"),
            warm: false,
            last: vec![],
            planned: vec![],
        })
    },
};
