//! Sign flipping (Allen-Zhu et al. 2021): a_t = −ḡ_t, i.e. p = −ḡ, η = 2
//! in 001 eq. (6) and Table 5.

use super::{Attack, AttackEntry, AttackMemory, View};
use crate::dynamics::SimError;
use crate::spec::{Kind, Spec};

#[derive(Clone)]
struct SignFlip;

impl Attack for SignFlip {
    fn vectors(&mut self, view: &View) -> Result<Vec<Vec<f32>>, SimError> {
        let mut mean = view.honest_mean();
        mean.iter_mut().for_each(|x| *x = -*x);
        Ok(view.collude(mean))
    }
}

/// The registry entry of sign flipping (`sf`): a_t = −ḡ_t.
pub const ENTRY: AttackEntry = AttackEntry {
    memory: AttackMemory::Nothing,
    spec: Spec {
        name: "sf",
        kind: Kind::Attack,
        aliases: &["sign_flip"],
        summary: "sign flipping: send the negated honest average",
        doc: "a_t = ḡ_t + 2·(−ḡ_t) = −ḡ_t (001 eq. (6), Table 5; Allen-Zhu et al. 2021).",
        params: &[],
        requires: None,
        degenerate: None,
        needs_labels: false,
    },
    build: |_| Box::new(SignFlip),
};
