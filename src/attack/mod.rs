//! Byzantine attacks, one file each, each declaring its registry entry.
//! All Byzantine workers collude on one vector unless an attack says
//! otherwise (001 §3.1 (i)).

pub mod alie;
pub mod fang;
pub mod foe;
pub mod jump;
pub mod lf;
pub mod mimic;
pub mod minmax;
pub mod noise;
pub mod none;
pub mod objective;
pub mod optimal;
pub mod plan;
pub mod rop;
pub mod sf;
pub mod solver;

use std::sync::Mutex;

use crate::dynamics::{Dynamics, SimError, State};
use crate::plan::ComponentPlan;
pub use crate::plan::memory::AttackMemory;
use crate::spec::Spec;

/// What the omniscient adversary sees when it chooses this step's vectors.
pub struct View<'a> {
    pub dynamics: &'a Dynamics,
    pub state: &'a State,
    /// The vectors the honest workers send this step (after clipping and momentum).
    pub honest: &'a [Vec<f32>],
    /// Number of Byzantine workers.
    pub f: usize,
    /// Total number of workers.
    pub n: usize,
    /// First step after this attack's phase (capped at the number of steps).
    pub phase_end: usize,
    /// `honest`'s mean when it was taken with momentum's pass (`Dynamics::honest_vectors_and_loss`),
    /// handed out once by `honest_mean`.
    pub mean: Mutex<Option<Vec<f32>>>,
}

impl View<'_> {
    /// ḡ_t^H, the average of the honest vectors (001 §3.1): the one taken
    /// with momentum's pass the first time, computed again after that.
    pub(crate) fn honest_mean(&self) -> Vec<f32> {
        let taken = self.mean.lock().ok().and_then(|mut m| m.take());
        taken.unwrap_or_else(|| crate::aggregate::mean::mean(self.honest))
    }

    /// The same vector for every Byzantine worker. The f − 1 copies are made
    /// over the threads: copying the CNN's 1.2 M numbers twice (f = 3) kept
    /// one thread busy while the other waited.
    pub(crate) fn collude(&self, v: Vec<f32>) -> Vec<Vec<f32>> {
        copies(v, self.f)
    }
}

/// `vec![v; f]`, the f − 1 clones made over the threads.
fn copies(v: Vec<f32>, f: usize) -> Vec<Vec<f32>> {
    use rayon::prelude::*;
    let Some(clones) = f.checked_sub(1) else {
        return vec![];
    };
    let small = crate::task::min_len(clones * v.len(), clones);
    let mut all: Vec<Vec<f32>> = (0..clones).into_par_iter().with_min_len(small).map(|_| v.clone()).collect();
    all.push(v);
    all
}

/// A Byzantine attack: what the Byzantine workers send each step, given what the omniscient adversary sees.
pub trait Attack: Send + CloneAttack {
    /// The f vectors the Byzantine workers send this step.
    fn vectors(&mut self, view: &View) -> Result<Vec<Vec<f32>>, SimError>;
}

/// Attacks carry state (JUMP's planned λ's, Mimic's direction); the planner
/// clones them along each sequence it simulates.
pub trait CloneAttack {
    /// A boxed copy with the same state.
    fn clone_box(&self) -> Box<dyn Attack>;
}

impl<T: Attack + Clone + 'static> CloneAttack for T {
    fn clone_box(&self) -> Box<dyn Attack> {
        Box::new(self.clone())
    }
}

impl Clone for Box<dyn Attack> {
    fn clone(&self) -> Self {
        self.clone_box()
    }
}

/// An attack in the registry: its `Spec` and how to build it from its arguments.
pub struct AttackEntry {
    pub spec: Spec,
    pub build: fn(&ComponentPlan) -> Box<dyn Attack>,
    /// What it keeps beyond the Byzantine vectors, for the memory estimate.
    pub memory: AttackMemory,
}

/// Every attack, in the order `byz explain all` lists them; `build` looks names up here.
pub static ATTACKS: &[AttackEntry] = &[
    none::ENTRY,
    sf::ENTRY,
    lf::ENTRY,
    foe::ENTRY,
    alie::ENTRY,
    mimic::ENTRY,
    minmax::MINMAX,
    minmax::MINSUM,
    fang::ENTRY,
    rop::ENTRY,
    optimal::OPT_ALIE,
    optimal::OPT_IPM,
    noise::GAUSSIAN,
    noise::INF,
    jump::ENTRY,
    jump::STAB,
    plan::ENTRY,
];

/// The registry entry of the attack called `name`.
pub(crate) fn entry(name: &str) -> Option<&'static AttackEntry> {
    ATTACKS.iter().find(|e| e.spec.name == name)
}

/// The attack `c` names, ready to play (a name the checker resolved).
pub fn build(c: &ComponentPlan) -> Box<dyn Attack> {
    let entry = entry(&c.name).expect("the checker resolved this attack");
    (entry.build)(c)
}

/// ḡ + η p: the shape of most attacks (001 eq. (6)).
pub(crate) fn perturb(mean: &[f32], eta: f32, p: &[f32]) -> Vec<f32> {
    mean.iter().zip(p).map(|(m, p)| m + eta * p).collect()
}

/// Coordinate-wise standard deviation of the honest vectors (population, as in ALIE).
pub(crate) fn honest_std(honest: &[Vec<f32>], mean: &[f32]) -> Vec<f32> {
    let h = honest.len().max(1) as f64;
    (0..mean.len())
        .map(|j| {
            let var: f64 = honest.iter().map(|g| f64::from(g[j] - mean[j]).powi(2)).sum::<f64>() / h;
            var.sqrt() as f32
        })
        .collect()
}

#[cfg(test)]
mod tests {
    /// f copies of v, none for f = 0, on either side of the size from which
    /// the threads make them.
    #[test]
    fn copies_are_f_equal_vectors() {
        for len in [3, 1 << 20] {
            let v: Vec<f32> = (0..len).map(|i| i as f32 * 0.5 - 1.0).collect();
            for f in [0, 1, 3] {
                let all = super::copies(v.clone(), f);
                assert_eq!(all.len(), f);
                assert!(all.iter().all(|c| *c == v), "f = {f}, {len} numbers");
            }
        }
    }
}
