//! MinMax and MinSum (Shejwalkar & Houmansadr 2021; 001 §4.2, Table 5):
//! a = ḡ + η p with the largest η found by their binary search from 50
//! (threshold 1e-5) such that a stays as close to the honest vectors as
//! they are to each other — MinMax: max_i ‖a − g_i‖ ≤ max_{i,j} ‖g_i − g_j‖;
//! MinSum: Σ_i ‖a − g_i‖² ≤ max_i Σ_j ‖g_i − g_j‖². The perturbation p is
//! −ḡ/‖ḡ‖ (`unit`), −std(g) (`std`) or −sign(ḡ) (`sign`).

use super::{Attack, AttackEntry, AttackMemory, View, honest_std, perturb};
use crate::dynamics::SimError;
use crate::spec::{Default, Kind, Param, ParamType, Spec};

#[derive(Clone, Copy)]
enum Bound {
    Max,
    Sum,
}

#[derive(Clone)]
struct MinBound {
    bound: Bound,
    p: Perturbation,
}

#[derive(Clone, Copy)]
enum Perturbation {
    Unit,
    Std,
    Sign,
}

fn sq_dist(a: &[f32], b: &[f32]) -> f64 {
    a.iter().zip(b).map(|(x, y)| f64::from(x - y).powi(2)).sum()
}

/// How far `a` is from the honest vectors, and the honest vectors' own spread, under `bound`.
fn spread(bound: Bound, honest: &[Vec<f32>], a: &[f32]) -> f64 {
    match bound {
        Bound::Max => honest.iter().map(|g| sq_dist(a, g)).fold(0.0, f64::max),
        Bound::Sum => honest.iter().map(|g| sq_dist(a, g)).sum(),
    }
}

fn honest_spread(bound: Bound, honest: &[Vec<f32>]) -> f64 {
    let per_worker = honest.iter().map(|g| match bound {
        Bound::Max => honest.iter().map(|h| sq_dist(g, h)).fold(0.0, f64::max),
        Bound::Sum => honest.iter().map(|h| sq_dist(g, h)).sum(),
    });
    per_worker.fold(0.0, f64::max)
}

/// Shejwalkar & Houmansadr's search: the largest η ≤ 50 that keeps `ok`, to within 1e-5.
pub(crate) fn search_eta(ok: impl Fn(f32) -> bool) -> f32 {
    let (mut eta, mut step, mut good) = (50.0f32, 50.0f32, 0.0f32);
    while (good - eta).abs() > 1e-5 {
        if ok(eta) {
            good = eta;
            eta += step / 2.0;
        } else {
            eta -= step / 2.0;
        }
        step /= 2.0;
    }
    good
}

impl Attack for MinBound {
    fn vectors(&mut self, view: &View) -> Result<Vec<Vec<f32>>, SimError> {
        let mean = view.honest_mean();
        let p: Vec<f32> = match self.p {
            Perturbation::Unit => {
                let norm = mean.iter().map(|x| f64::from(*x).powi(2)).sum::<f64>().sqrt() as f32;
                mean.iter().map(|x| if norm > 0.0 { -x / norm } else { 0.0 }).collect()
            }
            Perturbation::Std => honest_std(view.honest, &mean).iter().map(|s| -s).collect(),
            Perturbation::Sign => mean.iter().map(|x| if *x == 0.0 { 0.0 } else { -x.signum() }).collect(),
        };
        let limit = honest_spread(self.bound, view.honest);
        let eta = search_eta(|eta| spread(self.bound, view.honest, &perturb(&mean, eta, &p)) <= limit);
        Ok(view.collude(perturb(&mean, eta, &p)))
    }
}

const P: Param = Param {
    name: "p",
    ty: ParamType::Choice(&["unit", "std", "sign"]),
    default: Default::Choice("unit"),
    doc: "the perturbation: −ḡ/‖ḡ‖ (unit), −std(g) (std) or −sign(ḡ) (sign)",
};

fn build(c: &crate::plan::ComponentPlan, bound: Bound) -> Box<dyn Attack> {
    let p = match c.choice("p") {
        "std" => Perturbation::Std,
        "sign" => Perturbation::Sign,
        _ => Perturbation::Unit,
    };
    Box::new(MinBound { bound, p })
}

/// The registry entry of MinMax (`minmax`).
pub const MINMAX: AttackEntry = AttackEntry {
    memory: AttackMemory::Nothing,
    spec: Spec {
        name: "minmax",
        kind: Kind::Attack,
        aliases: &[],
        summary: "the largest shift whose distance to every honest vector stays within their diameter",
        doc: "a = ḡ + η p, η maximal (binary search in [0, 50], 1e-5) with max_i ‖a − g_i‖ ≤ max_{i,j} ‖g_i − g_j‖ \
              (Shejwalkar & Houmansadr 2021; 001 Table 5).",
        params: &[P],
        requires: None,
        degenerate: None,
        needs_labels: false,
    },
    build: |c| build(c, Bound::Max),
};

/// The registry entry of MinSum (`minsum`).
pub const MINSUM: AttackEntry = AttackEntry {
    memory: AttackMemory::Nothing,
    spec: Spec {
        name: "minsum",
        kind: Kind::Attack,
        aliases: &[],
        summary: "the largest shift whose summed squared distance stays within the honest vectors' own",
        doc: "a = ḡ + η p, η maximal (binary search in [0, 50], 1e-5) with Σ_i ‖a − g_i‖² ≤ max_i Σ_j ‖g_i − g_j‖² \
              (Shejwalkar & Houmansadr 2021; 001 Table 5).",
        params: &[P],
        requires: None,
        degenerate: None,
        needs_labels: false,
    },
    build: |c| build(c, Bound::Sum),
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binary_search_finds_the_boundary() {
        assert!((search_eta(|e| e <= 3.25) - 3.25).abs() < 1e-4);
        assert_eq!(search_eta(|_| false), 0.0);
        assert!((search_eta(|_| true) - 100.0).abs() < 1e-3, "never failing, it climbs to 50 + 25 + ...");
    }

    #[test]
    fn minmax_on_hand_vectors() {
        // Honest 1-D values 0 and 2: ḡ = 1, p = −1 (unit), diameter 2:
        // max(|1 − η|, |1 − η − 2|) ≤ 2 ⇔ η ≤ 1.
        let honest = vec![vec![0.0f32], vec![2.0]];
        let limit = honest_spread(Bound::Max, &honest);
        let eta = search_eta(|eta| spread(Bound::Max, &honest, &perturb(&[1.0], eta, &[-1.0])) <= limit);
        assert!((eta - 1.0).abs() < 1e-4, "{eta}");
        // MinSum: (1 − η)² + (1 + η)² ≤ 4 ⇔ η ≤ 1 as well.
        let limit = honest_spread(Bound::Sum, &honest);
        let eta = search_eta(|eta| spread(Bound::Sum, &honest, &perturb(&[1.0], eta, &[-1.0])) <= limit);
        assert!((eta - 1.0).abs() < 1e-4, "{eta}");
    }
}
