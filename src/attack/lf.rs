//! Label flipping (Allen-Zhu et al. 2021; 001 Table 5): the Byzantine
//! workers send the gradient on flipped labels 9 − l, i.e. a_t with
//! p_t = a_t − ḡ_t, η = 1. The Byzantine workers hold no data here, so the
//! gradient is the mean of what the honest workers would compute on their
//! own batch with flipped labels, clipped like theirs and averaged into a
//! momentum of its own (m ← β m + (1 − β) g) so that it is comparable to the
//! honest momenta. Only tasks with labels can be attacked this way (a check
//! error otherwise).

use super::{Attack, AttackEntry, AttackMemory, View};
use crate::dynamics::SimError;
use crate::spec::{Kind, Spec};

#[derive(Clone, Default)]
struct LabelFlip {
    momentum: Vec<f32>,
}

impl Attack for LabelFlip {
    fn vectors(&mut self, view: &View) -> Result<Vec<Vec<f32>>, SimError> {
        let Some(grads) = view.dynamics.flipped_gradients(view.state)? else {
            return Err(crate::task::TaskError::Lacks("label flipping needs a task with labels").into());
        };
        let g = crate::aggregate::mean::mean(&grads);
        let beta = view.dynamics.momentum();
        if beta == 0.0 {
            return Ok(view.collude(g));
        }
        if self.momentum.len() != g.len() {
            self.momentum = vec![0.0; g.len()];
        }
        self.momentum.iter_mut().zip(&g).for_each(|(m, g)| *m = beta * *m + (1.0 - beta) * g);
        Ok(view.collude(self.momentum.clone()))
    }
}

/// The registry entry of label flipping (`lf`), which needs a data task.
pub const ENTRY: AttackEntry = AttackEntry {
    memory: AttackMemory::Nothing,
    spec: Spec {
        name: "lf",
        kind: Kind::Attack,
        aliases: &["label_flip"],
        summary: "label flipping: the gradient on labels 9 − l",
        doc: "a_t = mean over the honest batches of ∇ℓ(θ; x, 9 − l), clipped and averaged into momentum \
              like an honest worker's (001 Table 5; Allen-Zhu et al. 2021). Needs a data task.",
        params: &[],
        requires: None,
        degenerate: None,
        needs_labels: true,
    },
    build: |_| Box::new(LabelFlip::default()),
};
