//! The omniscient planner (000 §4, Algorithm 2): at each planning time it
//! extends each kept sequence of decisions by `lookahead` steps, each
//! decision one of the `choose` attacks played at the state it meets,
//! keeps the `beams` best sequences by the objective of all the honest
//! losses since planning began (000 eq. (9) with `min_loss`), and goes on
//! from their end states until the phase ends; then it plays the best.
//!
//! Exhaustive while |choose|^lookahead ≤ 256; beyond that each step keeps
//! the beams·|choose| best partial sequences (per-step beam search). The
//! sequences that play one candidate throughout are never pruned, so the
//! plan is at least as good as every candidate played alone. Along each
//! sequence every candidate keeps its own state (JUMP's planned λ's,
//! Mimic's direction), advanced only at the steps where it plays. A
//! candidate whose step blows up is dropped. The adversary knows the honest
//! workers' future draws, so the planned trajectory is exactly the one that
//! then happens.

use super::objective::{self, Objective};
use super::{Attack, AttackEntry, AttackMemory, View, build};
use crate::dynamics::{Divergence, Dynamics, SimError, State};
use crate::plan::ComponentPlan;
use crate::spec::{Default, Kind, Param, ParamType, Spec};

/// Up to this many sequences per window are searched exhaustively.
const EXHAUSTIVE: usize = 256;

/// The `plan` attack: its settings, and the sequence of decisions it is playing.
#[derive(Clone)]
pub struct Planner {
    pub lookahead: usize,
    pub beams: usize,
    pub choose: Vec<ComponentPlan>,
    pub objective: Objective,
    /// Decisions still to play, next last.
    planned: Vec<usize>,
    /// The candidates as they play out the chosen sequence.
    playing: Vec<Box<dyn Attack>>,
}

/// The best sequence found: one index into `choose` per step, and the honest
/// loss after each step as simulated.
#[derive(Debug, Clone)]
pub struct Planned {
    pub decisions: Vec<usize>,
    pub losses: Vec<f64>,
}

#[derive(Clone)]
struct Beam {
    state: State,
    decisions: Vec<usize>,
    losses: Vec<f64>,
    /// Each candidate's own state along this sequence.
    attacks: Vec<Box<dyn Attack>>,
}

impl Beam {
    /// Whether one candidate played at every step so far.
    fn pure(&self) -> bool {
        self.decisions.windows(2).all(|w| w[0] == w[1])
    }
}

impl Planner {
    /// A planner with nothing planned yet.
    pub fn new(lookahead: usize, beams: usize, choose: Vec<ComponentPlan>, objective: Objective) -> Self {
        Planner { lookahead, beams, choose, objective, planned: vec![], playing: vec![] }
    }

    fn fresh(&self) -> Vec<Box<dyn Attack>> {
        self.choose.iter().map(build).collect()
    }

    /// Plans from `view`'s state to the end of its phase.
    pub fn search(&self, view: &View) -> Result<Planned, SimError> {
        let start = view.state.step;
        let horizon = view.phase_end.saturating_sub(start).max(1);
        let mut kept =
            vec![Beam { state: view.state.clone(), decisions: vec![], losses: vec![], attacks: self.fresh() }];
        let mut done = 0;
        while done < horizon {
            let window = self.lookahead.min(horizon - done);
            let exhaustive = self.choose.len().checked_pow(window as u32).is_some_and(|c| c <= EXHAUSTIVE);
            let mut frontier = kept;
            for _ in 0..window {
                let mut next = vec![];
                for beam in &frontier {
                    self.expand(view, start, beam, &mut next)?;
                }
                if !exhaustive {
                    self.keep_best(&mut next, self.beams * self.choose.len());
                }
                if next.is_empty() {
                    return Err(SimError::Diverged { step: start + done, cause: Divergence::EveryPlan });
                }
                frontier = next;
            }
            self.keep_best(&mut frontier, self.beams);
            kept = frontier;
            done += window;
        }
        let best = kept.swap_remove(0);
        Ok(Planned { decisions: best.decisions, losses: best.losses })
    }

    fn expand(&self, view: &View, start: usize, beam: &Beam, out: &mut Vec<Beam>) -> Result<(), SimError> {
        let honest =
            if beam.state.step == start { view.honest.to_vec() } else { view.dynamics.honest_vectors(&beam.state)? };
        for k in 0..self.choose.len() {
            let step_view = View {
                state: &beam.state,
                honest: &honest,
                mean: std::sync::Mutex::default(),
                dynamics: view.dynamics,
                f: view.f,
                n: view.n,
                phase_end: view.phase_end,
            };
            let mut attacks = beam.attacks.clone();
            let next =
                attacks[k].vectors(&step_view).and_then(|byz| view.dynamics.advance(&beam.state, honest.clone(), byz));
            let state = match next {
                Ok(s) => s,
                Err(SimError::Diverged { .. }) => continue,
                Err(e) => return Err(e),
            };
            let loss = view.dynamics.loss(&state.theta, state.step)?;
            if !loss.is_finite() {
                continue;
            }
            let mut b = Beam { state, decisions: beam.decisions.clone(), losses: beam.losses.clone(), attacks };
            b.decisions.push(k);
            b.losses.push(loss);
            out.push(b);
        }
        Ok(())
    }

    /// Keeps the `n` best sequences, and every pure one; a stable sort, so
    /// ties keep the order of `choose`.
    fn keep_best(&self, beams: &mut Vec<Beam>, n: usize) {
        let score = |b: &Beam| self.objective.value(&b.losses);
        beams.sort_by(|a, b| score(b).total_cmp(&score(a)));
        let mut rank = 0;
        beams.retain(|b| {
            rank += 1;
            rank <= n || b.pure()
        });
    }
}

impl Attack for Planner {
    fn vectors(&mut self, view: &View) -> Result<Vec<Vec<f32>>, SimError> {
        if self.planned.is_empty() {
            let mut decisions = self.search(view)?.decisions;
            decisions.reverse();
            self.planned = decisions;
            self.playing = self.fresh();
        }
        let k = self.planned.pop().unwrap_or(0);
        self.playing[k].vectors(view)
    }
}

/// The registry entry of the omniscient planner (`plan`).
pub const ENTRY: AttackEntry = AttackEntry {
    memory: AttackMemory::Beams,
    spec: Spec {
        name: "plan",
        kind: Kind::Attack,
        aliases: &[],
        summary: "omniscient lookahead planning over a set of attacks (000 Algorithm 2)",
        doc: "Beam search over per-step choices among `choose`, `lookahead` steps at a time, \
              keeping the `beams` best sequences by `objective` over the honest losses since \
              planning began; plays the best. Written `plan { lookahead 8; beams 4; choose [...] }`.",
        params: &[
            Param {
                name: "lookahead",
                ty: ParamType::Int { min: 1 },
                default: Default::Int(1),
                doc: "steps planned at once",
            },
            Param {
                name: "beams",
                ty: ParamType::Int { min: 1 },
                default: Default::Int(1),
                doc: "sequences kept between windows",
            },
            Param {
                name: "choose",
                ty: ParamType::List(Kind::Attack),
                default: Default::Required,
                doc: "the attacks to choose from at each step, e.g. `[sf, alie]`",
            },
            Param {
                name: "objective",
                ty: ParamType::Component(Kind::Objective),
                default: Default::Component("min_loss"),
                doc: "what the planner maximises (000 eq. (9) uses the minimum loss)",
            },
        ],
        requires: None,
        degenerate: None,
        needs_labels: false,
    },
    build: |c| {
        Box::new(Planner::new(
            c.int("lookahead") as usize,
            c.int("beams") as usize,
            c.list("choose").to_vec(),
            objective::build(c.component("objective")),
        ))
    },
};

/// Plans from `state` with the honest vectors it would see, without playing: for tests and tools.
pub fn plan_from(
    planner: &Planner,
    dynamics: &Dynamics,
    state: &State,
    f: usize,
    n: usize,
    end: usize,
) -> Result<Planned, SimError> {
    let honest = dynamics.honest_vectors(state)?;
    planner.search(&View { dynamics, state, honest: &honest, f, n, phase_end: end, mean: std::sync::Mutex::default() })
}
