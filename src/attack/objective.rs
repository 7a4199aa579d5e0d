//! What a planning adversary maximises over its horizon (000 §5.2): the
//! honest losses L_H(θ_{s+1}), ..., L_H(θ_{s+τ}) of the models its decisions
//! produce are reduced to one number.

use crate::plan::ComponentPlan;
use crate::spec::{Default, Kind, Param, ParamType, Spec};

/// How a planning adversary reduces the honest losses over its horizon to the one number it maximises.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Objective {
    MeanLoss,
    FinalLoss,
    MinLoss,
    /// Weighted mean with weights r^k over the horizon (r < 1 favours early losses).
    Decayed(f64),
}

impl Objective {
    /// The value to maximise; a non-finite loss counts as the worst outcome for the adversary.
    pub fn value(self, losses: &[f64]) -> f64 {
        if losses.is_empty() || losses.iter().any(|l| !l.is_finite()) {
            return f64::NEG_INFINITY;
        }
        match self {
            Objective::MeanLoss => losses.iter().sum::<f64>() / losses.len() as f64,
            Objective::FinalLoss => losses[losses.len() - 1],
            Objective::MinLoss => losses.iter().copied().fold(f64::INFINITY, f64::min),
            Objective::Decayed(r) => {
                let (mut num, mut den, mut w) = (0.0, 0.0, 1.0);
                for l in losses {
                    num += w * l;
                    den += w;
                    w *= r;
                }
                num / den
            }
        }
    }
}

/// An objective in the registry: its `Spec` and how to build it from its arguments.
pub struct ObjectiveEntry {
    pub spec: Spec,
    pub build: fn(&ComponentPlan) -> Objective,
}

const fn plain(name: &'static str, summary: &'static str, o: Objective) -> ObjectiveEntry {
    ObjectiveEntry {
        spec: Spec {
            name,
            kind: Kind::Objective,
            aliases: &[],
            summary,
            doc: summary,
            params: &[],
            requires: None,
            degenerate: None,
            needs_labels: false,
        },
        build: match o {
            Objective::MeanLoss => |_| Objective::MeanLoss,
            Objective::FinalLoss => |_| Objective::FinalLoss,
            _ => |_| Objective::MinLoss,
        },
    }
}

/// Every objective a planning attack may maximise.
pub static OBJECTIVES: &[ObjectiveEntry] = &[
    plain("mean_loss", "the mean honest loss over the horizon (001 (P_ℓ))", Objective::MeanLoss),
    plain("final_loss", "the honest loss at the end of the horizon", Objective::FinalLoss),
    plain("min_loss", "the smallest honest loss over the horizon", Objective::MinLoss),
    ObjectiveEntry {
        spec: Spec {
            name: "decayed",
            kind: Kind::Objective,
            aliases: &[],
            summary: "the honest losses over the horizon weighted by r^k",
            doc: "Σ r^k L_H(θ_{s+k+1}) / Σ r^k (000 §5.2 uses r = 0.9 and 1.1).",
            params: &[Param {
                name: "r",
                ty: ParamType::Float { min: 0.0, inclusive: false },
                default: Default::Float(0.9),
                doc: "the per-step weight ratio",
            }],
            requires: None,
            degenerate: None,
            needs_labels: false,
        },
        build: |c| Objective::Decayed(c.float("r")),
    },
];

/// The objective `c` names (a name the checker resolved).
pub fn build(c: &ComponentPlan) -> Objective {
    let entry = OBJECTIVES.iter().find(|e| e.spec.name == c.name).expect("the checker resolved this objective");
    (entry.build)(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reductions() {
        let l = [1.0, 3.0, 2.0];
        assert_eq!(Objective::MeanLoss.value(&l), 2.0);
        assert_eq!(Objective::FinalLoss.value(&l), 2.0);
        assert_eq!(Objective::MinLoss.value(&l), 1.0);
        assert!((Objective::Decayed(0.5).value(&l) - (1.0 + 1.5 + 0.5) / 1.75).abs() < 1e-12);
        assert_eq!(Objective::MeanLoss.value(&[1.0, f64::NAN]), f64::NEG_INFINITY);
    }
}
