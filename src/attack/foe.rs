//! Fall of Empires / inner-product manipulation (Xie et al. 2020, 002 §6):
//! a_t = −ε ḡ_t. With ε = 0.1 this is 001 Table 5's p = −ḡ, η = 1.1.

use super::{Attack, AttackEntry, AttackMemory, View};
use crate::dynamics::SimError;
use crate::spec::{Default, Kind, Param, ParamType, Spec};

#[derive(Clone)]
struct Foe {
    eps: f32,
}

impl Attack for Foe {
    fn vectors(&mut self, view: &View) -> Result<Vec<Vec<f32>>, SimError> {
        let mean = view.honest_mean();
        Ok(view.collude(mean.iter().map(|x| -self.eps * x).collect()))
    }
}

/// The registry entry of Fall of Empires (`foe`): a_t = −ε ḡ_t.
pub const ENTRY: AttackEntry = AttackEntry {
    memory: AttackMemory::Nothing,
    spec: Spec {
        name: "foe",
        kind: Kind::Attack,
        aliases: &["ipm"],
        summary: "inner-product manipulation: send −ε times the honest average",
        doc: "a_t = −ε ḡ_t (002 §6). ε = 0.1 matches 001 Table 5 (η = 1.1 in eq. (6)); \
              002 finds the median failing under a large positive ε (§6.2) and Krum under a small \
              one, a large ε being defended by Krum (§6.3).",
        params: &[Param {
            name: "eps",
            ty: ParamType::Float { min: 0.0, inclusive: true },
            default: Default::Float(0.1),
            doc: "the scale ε of the negated honest average",
        }],
        requires: None,
        degenerate: None,
        needs_labels: false,
    },
    build: |c| Box::new(Foe { eps: c.float("eps") as f32 }),
};
