//! `none`: the Byzantine workers send the honest average ḡ (η = 0 in 001
//! eq. (6)), so the rule still sees n inputs as configured and the run is
//! the attack-free baseline.

use super::{Attack, AttackEntry, AttackMemory, View};
use crate::dynamics::SimError;
use crate::spec::{Kind, Spec};

#[derive(Clone)]
struct NoAttack;

impl Attack for NoAttack {
    fn vectors(&mut self, view: &View) -> Result<Vec<Vec<f32>>, SimError> {
        Ok(view.collude(view.honest_mean()))
    }
}

/// The registry entry of `none`: the Byzantine workers send the honest average.
pub const ENTRY: AttackEntry = AttackEntry {
    memory: AttackMemory::Nothing,
    spec: Spec {
        name: "none",
        kind: Kind::Attack,
        aliases: &[],
        summary: "no attack: Byzantine workers send the honest average",
        doc: "a_t = ḡ_t (η = 0 in 001 eq. (6)); the robust rule still receives n vectors.",
        params: &[],
        requires: None,
        degenerate: None,
        needs_labels: false,
    },
    build: |_| Box::new(NoAttack),
};
