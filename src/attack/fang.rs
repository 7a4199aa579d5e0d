//! Fang et al.'s full-knowledge attacks: "Local Model Poisoning Attacks to
//! Byzantine-Robust Federated Learning", USENIX Security 2020, §3 (Krum,
//! §3.2; trimmed mean and median, §3.3).
//!
//! The paper works on models: s_j is the sign of the change of parameter j
//! without attack, and the crafted models move against it. With D-SGD the
//! change is −η·ḡ, so in the space of the vectors the workers send the
//! attack pushes along s = sign(ḡ) (as Blades, FLTrust and the NDSS 2021
//! code do):
//!
//! - `fang(rule: krum)` (§3.2): every Byzantine worker sends −λ·s, with the
//!   largest λ for which Krum (with f, `discard = f + 1`) selects it. The
//!   search starts at the paper's bound (Theorem 1, with the received model
//!   w_Re at the origin of the sent vectors: D(w_i, w_Re) = ‖g_i‖)
//!   λ₀ = min_i Σ_{l ∈ Γ_i} ‖g_l − g_i‖ / ((n − 2f − 1)√d) + max_i ‖g_i‖/√d,
//!   Γ_i the n − f − 2 honest vectors nearest g_i, and halves λ until Krum
//!   selects the crafted vector or λ < 10⁻⁵ (then the last λ is sent). The f
//!   copies are identical, as in FL-Byzantine-Library and FLPoison. The
//!   search simulates plain Krum with the real f, as the paper's adversary
//!   does, not the run's pipeline (its pre-aggregators, `discard` or a
//!   declared f); `opt_alie`/`opt_ipm` and JUMP search through the pipeline.
//! - `fang(rule: tm)` and `fang(rule: cm)` (§3.3, one attack for both): per
//!   coordinate j, with g_max,j and g_min,j the honest extremes and b = 2,
//!   a worker whose honest mean is positive there (s_j = 1) sends a value
//!   drawn uniformly from [g_min,j / b, g_min,j] if g_min,j > 0, else from
//!   [b·g_min,j, g_min,j]; if s_j = −1, from [g_max,j, b·g_max,j] if
//!   g_max,j > 0, else from [g_max,j / b, g_max,j]; 0 where s_j = 0. Each
//!   Byzantine worker draws its own values from the run's (seed, attack,
//!   step, worker) stream.

use rand::Rng;

use super::{Attack, AttackEntry, AttackMemory, View};
use crate::aggregate::kernels::{norm, pairwise_sq_distances};
use crate::aggregate::krum::scores_from_distances;
use crate::dynamics::SimError;
use crate::rng::{Purpose, stream};
use crate::spec::{Default, Kind, Param, ParamType, Spec};

#[derive(Clone)]
enum Fang {
    Krum,
    /// The attack on the trimmed mean and the median, with its scale b.
    Trim {
        b: f32,
    },
}

impl Attack for Fang {
    fn vectors(&mut self, view: &View) -> Result<Vec<Vec<f32>>, SimError> {
        let mean = view.honest_mean();
        let s: Vec<f32> = mean.iter().map(|&m| sign(m)).collect();
        Ok(match self {
            Fang::Krum => {
                let lambda = krum_lambda(view.honest, &s, view.f);
                view.collude(s.iter().map(|&x| -(lambda as f32) * x).collect())
            }
            Fang::Trim { b } => {
                let range = extremes(view.honest);
                (0..view.f)
                    .map(|w| {
                        let mut rng = stream(view.dynamics.seed(), Purpose::Attack, view.state.step as u64, w as u64);
                        trim_attack(&range, &s, *b, &mut rng)
                    })
                    .collect()
            }
        })
    }
}

fn sign(x: f32) -> f32 {
    if x > 0.0 {
        1.0
    } else if x < 0.0 {
        -1.0
    } else {
        0.0
    }
}

/// The λ of §3.2: from the bound of Theorem 1, halved until Krum selects −λ·s.
///
/// Distances from an honest g_i to −λ·s are ‖g_i‖² + 2λ⟨g_i, s⟩ + λ²‖s‖²
/// (s has entries in {−1, 0, 1}), so each trial λ costs O(n²) after one
/// O(n²·d) pass, not another pass over the vectors.
pub(crate) fn krum_lambda(honest: &[Vec<f32>], s: &[f32], f: usize) -> f64 {
    let h = honest.len();
    let n = h + f;
    let d = s.len().max(1) as f64;
    if h == 0 || f == 0 {
        return 0.0;
    }
    let hh = pairwise_sq_distances(honest);
    let sq: Vec<f64> = honest.iter().map(|g| norm(g).powi(2)).collect();
    let dot: Vec<f64> =
        honest.iter().map(|g| g.iter().zip(s).map(|(&x, &y)| f64::from(x) * f64::from(y)).sum()).collect();
    let s_sq: f64 = s.iter().map(|&x| f64::from(x * x)).sum();
    // Theorem 1's bound, with Γ_i the n − f − 2 nearest honest vectors.
    let near = n.saturating_sub(f + 2).clamp(1, h.saturating_sub(1).max(1));
    let spread = (0..h)
        .map(|i| {
            let mut row: Vec<f64> = (0..h).filter(|&l| l != i).map(|l| hh[i * h + l].max(0.0).sqrt()).collect();
            row.sort_unstable_by(f64::total_cmp);
            row.iter().take(near).sum::<f64>()
        })
        .fold(f64::INFINITY, f64::min);
    let spread = if spread.is_finite() { spread } else { 0.0 };
    let far = sq.iter().map(|x| x.sqrt()).fold(0.0, f64::max);
    let mut lambda = spread / ((n.saturating_sub(2 * f + 1)).max(1) as f64 * d.sqrt()) + far / d.sqrt();
    if !lambda.is_finite() {
        // A non-finite honest vector: no placement to search (the run diverges at this step).
        return 0.0;
    }
    let mut dist = vec![0.0f64; n * n];
    for i in 0..h {
        for l in 0..h {
            dist[i * n + l] = hh[i * h + l];
        }
    }
    // At most 1,100 halvings: from f64's largest value to below 10⁻⁵.
    for _ in 0..1100 {
        if lambda <= 1e-5 {
            break;
        }
        for i in 0..h {
            let to_crafted = (sq[i] + 2.0 * lambda * dot[i] + lambda * lambda * s_sq).max(0.0);
            for k in h..n {
                dist[i * n + k] = to_crafted;
                dist[k * n + i] = to_crafted;
            }
        }
        let scores = scores_from_distances(&dist, n, f + 1);
        let best = (0..n).min_by(|&a, &b| scores[a].total_cmp(&scores[b]).then(a.cmp(&b)));
        if best.is_some_and(|i| i >= h) {
            return lambda;
        }
        lambda /= 2.0;
    }
    lambda
}

/// The honest extremes (g_min,j, g_max,j) of each coordinate, computed once
/// for all Byzantine workers.
pub(crate) fn extremes(honest: &[Vec<f32>]) -> Vec<(f32, f32)> {
    let d = honest.first().map_or(0, Vec::len);
    let mut range = vec![(f32::INFINITY, f32::NEG_INFINITY); d];
    for g in honest {
        for ((lo, hi), &x) in range.iter_mut().zip(g) {
            (*lo, *hi) = (lo.min(x), hi.max(x));
        }
    }
    range
}

/// One Byzantine worker's vector of §3.3, from the honest `extremes`.
pub(crate) fn trim_attack(range: &[(f32, f32)], s: &[f32], b: f32, rng: &mut impl Rng) -> Vec<f32> {
    s.iter()
        .zip(range)
        .map(|(&sj, &(lo, hi))| {
            let (a, z) = if sj > 0.0 {
                if lo > 0.0 { (lo / b, lo) } else { (b * lo, lo) }
            } else if sj < 0.0 {
                if hi > 0.0 { (hi, b * hi) } else { (hi / b, hi) }
            } else {
                return 0.0;
            };
            let u: f32 = rng.random();
            a + u * (z - a)
        })
        .collect()
}

/// The registry entry of Fang et al.'s attacks (`fang`).
pub const ENTRY: AttackEntry = AttackEntry {
    memory: AttackMemory::Nothing,
    spec: Spec {
        name: "fang",
        kind: Kind::Attack,
        aliases: &[],
        summary: "Fang et al.'s full-knowledge attack on Krum, or on the trimmed mean and the median",
        doc: "Fang et al., USENIX Security 2020, §3, on the sent vectors with s = sign(ḡ). \
              `rule: krum` (§3.2): all send −λ·s with the largest λ (halved from Theorem 1's bound) that \
              Krum selects. `rule: tm` or `cm` (§3.3): per coordinate, values beyond the honest extreme on \
              the side opposite to s, drawn uniformly in a range scaled by b (e.g. [g_max, b·g_max]).",
        params: &[
            Param {
                name: "rule",
                ty: ParamType::Choice(&["krum", "tm", "cm"]),
                default: Default::Required,
                doc: "the rule attacked: `krum`, or `tm`/`cm` (one attack for both)",
            },
            Param {
                name: "b",
                ty: ParamType::Float { min: 1.0, inclusive: true },
                default: Default::Float(2.0),
                doc: "the range's scale for `tm`/`cm` (the paper's b)",
            },
        ],
        requires: None,
        degenerate: None,
        needs_labels: false,
    },
    build: |c| {
        Box::new(match c.choice("rule") {
            "krum" => Fang::Krum,
            _ => Fang::Trim { b: c.float("b") as f32 },
        })
    },
};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aggregate::krum::krum_select;
    use rand::SeedableRng;

    /// Stochastic gradients: a small mean under unit noise, as in training.
    fn honest() -> Vec<Vec<f32>> {
        use rand_distr::{Distribution, StandardNormal};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(5);
        (0..8)
            .map(|_| {
                (0..50)
                    .map(|j| 0.1 * (j % 3) as f32 - 0.1 + Distribution::<f32>::sample(&StandardNormal, &mut rng))
                    .collect()
            })
            .collect()
    }

    /// The crafted vector is selected by Krum at the λ returned, and λ is the
    /// largest of the halving sequence that is: twice λ is not selected.
    #[test]
    fn krum_selects_the_crafted_vector_at_the_largest_lambda() {
        let h = honest();
        let f = 2;
        let mean = crate::aggregate::mean::mean(&h);
        let s: Vec<f32> = mean.iter().map(|&m| sign(m)).collect();
        let lambda = krum_lambda(&h, &s, f);
        let with = |l: f64| {
            let mut all = h.clone();
            all.extend(vec![s.iter().map(|&x| -(l as f32) * x).collect::<Vec<f32>>(); f]);
            krum_select(&all, f, f + 1, 1)[0] >= h.len()
        };
        assert!(lambda > 1e-5 && with(lambda), "λ = {lambda}");
        assert!(!with(2.0 * lambda), "λ = {lambda} is not the largest");
    }

    #[test]
    fn trim_attack_lies_beyond_the_honest_extremes() {
        let h = vec![vec![1.0f32, -2.0, 3.0], vec![2.0, -1.0, -1.0], vec![4.0, -3.0, 0.0]];
        // ḡ = (7/3, −2, 2/3): s = (1, −1, 1).
        let s = [1.0, -1.0, 1.0];
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
        for _ in 0..100 {
            let a = trim_attack(&extremes(&h), &s, 2.0, &mut rng);
            // Below the honest minimum where s = 1, above the maximum where s = −1:
            // s = 1, g_min = 1 > 0: between g_min/b = 0.5 and 1;
            assert!((0.5..=1.0).contains(&a[0]), "{a:?}");
            // s = −1, g_max = −1 ≤ 0: between −1 and g_max/b = −0.5;
            assert!((-1.0..=-0.5).contains(&a[1]), "{a:?}");
            // s = 1, g_min = −1 ≤ 0: between b·g_min = −2 and −1.
            assert!((-2.0..=-1.0).contains(&a[2]), "{a:?}");
        }
    }
}
