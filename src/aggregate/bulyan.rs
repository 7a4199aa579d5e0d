//! Bulyan.
//!
//! Selection: θ = n − 2f times, apply Krum to the vectors not yet selected
//! (score = sum of squared distances to the r − f − 2 nearest others, r the
//! number remaining) and move the winner to the selection S. Aggregation: per
//! coordinate, the mean of the β = θ − 2f values of S closest to the median.
//! Source: El Mhamdi, Guerraoui & Rouault, "The Hidden Vulnerability of
//! Distributed Learning in Byzantium", ICML 2018, §4 (Algorithm "Bulyan"),
//! with Krum as the selection rule; it requires n ≥ 4f + 3.
//!
//! Distances are computed once (`kernels::pairwise_sq_distances`, a NaN or
//! infinite vector is at `+inf`) and each round's Krum scores are recomputed on
//! the remaining vectors from them, summing the nearest distances in ascending
//! order. The neighbour count r − f − 2 is clamped to `[0, r − 1]`; in the last
//! rounds it is 1 or 0, where ties are the rule (two mutual nearest
//! neighbours have the same score), so ties go to the lexicographically
//! smaller vector (coordinates compared with `total_cmp`), which keeps Bulyan
//! invariant under permutations of its inputs, then to the lower index. The second phase is `meamed::mean_around_median` (ties towards
//! the lower value, NaN farthest).

use super::kernels::pairwise_sq_distances;
use super::meamed::mean_around_median_rows;
use super::sortnet::sorted_coordinatewise;
use super::{Capabilities, RuleEntry, Vectors};
use crate::plan::Args;
use crate::spec::{Kind, Setting, Spec, Unmet};

/// The θ = n − 2f (at least 1) vectors chosen by iterated Krum, in order of choice.
pub(crate) fn bulyan_select(v: &Vectors, f: usize) -> Vec<usize> {
    let n = v.len();
    let theta = n.saturating_sub(2 * f).max(1).min(n);
    let d = pairwise_sq_distances(v);
    let mut remaining: Vec<usize> = (0..n).collect();
    let mut selected = Vec::with_capacity(theta);
    let mut row = Vec::with_capacity(n);
    while selected.len() < theta {
        let r = remaining.len();
        let k = r.saturating_sub(f + 2).min(r - 1);
        let score = |i: usize, row: &mut Vec<f64>| -> f64 {
            row.clear();
            row.extend(remaining.iter().filter(|&&j| j != i).map(|&j| d[i * n + j]));
            row.sort_unstable_by(f64::total_cmp);
            row[..k].iter().sum()
        };
        let mut best: Option<(f64, usize, usize)> = None;
        for (pos, &i) in remaining.iter().enumerate() {
            let s = score(i, &mut row);
            let better = match best {
                None => true,
                Some((bs, bi, _)) => s.total_cmp(&bs).then_with(|| lexicographic(&v[i], &v[bi])).is_lt(),
            };
            if better {
                best = Some((s, i, pos));
            }
        }
        let Some(best) = best else { break };
        selected.push(best.1);
        remaining.remove(best.2);
    }
    selected
}

/// Orders vectors by their coordinates (`total_cmp`, first difference decides).
fn lexicographic(a: &[f32], b: &[f32]) -> std::cmp::Ordering {
    a.iter().zip(b).map(|(x, y)| x.total_cmp(y)).find(|o| o.is_ne()).unwrap_or(std::cmp::Ordering::Equal)
}

/// Bulyan: iterated-Krum selection, then the per-coordinate mean of the
/// β = θ − 2f (at least 1) selected values closest to their median.
pub fn bulyan(v: &Vectors, f: usize) -> Vec<f32> {
    if v.is_empty() {
        return Vec::new();
    }
    let mut sel = bulyan_select(v, f);
    sel.sort_unstable();
    let beta = sel.len().saturating_sub(2 * f).max(1);
    let rows: Vec<&[f32]> = sel.iter().map(|&i| v[i].as_slice()).collect();
    sorted_coordinatewise(&rows, |sorted, out| mean_around_median_rows(sorted, out, beta))
}

fn bulyan_fits(s: &Setting, _: &Args) -> Result<(), Unmet> {
    let bound = 4 * s.f + 3;
    if s.n < bound {
        return Err(Unmet {
            message: format!("Bulyan cannot work with {} Byzantine workers out of {}", s.f, s.n),
            label: format!("needs at least 4f + 3 = {bound} workers"),
            help: "use fewer Byzantine workers, or a rule with a lower requirement such as `krum` or `cm`".into(),
        });
    }
    Ok(())
}

/// The registry entry of Bulyan (`bulyan`), which needs n ≥ 4f + 3.
pub const ENTRY: RuleEntry = RuleEntry {
    spec: Spec {
        name: "bulyan",
        kind: Kind::Rule,
        aliases: &[],
        summary: "Krum selection of n − 2f vectors, then a trimmed mean around the median",
        doc: "Select θ = n − 2f vectors by repeated Krum, then per coordinate average the θ − 2f \
              selected values closest to the median (El Mhamdi et al. 2018); needs n ≥ 4f + 3.",
        params: &[],
        requires: Some(bulyan_fits),
        degenerate: None,
        needs_labels: false,
    },
    build: |_| Box::new(|v, ctx| bulyan(v, ctx.f)),
    capabilities: Capabilities { select: Some(|_| Box::new(|v, ctx| bulyan_select(v, ctx.f))), ..Capabilities::NONE },
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_computed() {
        // n = 7, f = 1: θ = 5, β = 3; points x on the line (x, −x), squared
        // distances 2Δx². Round 1 (4 neighbours), Σ Δx²: 0:30, 1:15, 2:10, 3:15, 4:30 -> 2.
        // Round 2 (3): 0:26, 1:14, 3:14, 4:26 -> 1 (lower index). Round 3 (2): 0:25,
        // 3:10, 4:17 -> 3. Round 4 (1): 0:16, 4:16, 50:2116, −40:1600 -> 0 (the smaller vector).
        // Round 5 (no neighbours): all scores 0; the smallest vector is (−40, 40).
        let v: Vec<Vec<f32>> = [0.0, 1.0, 2.0, 3.0, 4.0, 50.0, -40.0].iter().map(|&x| vec![x, -x]).collect();
        assert_eq!(bulyan_select(&v, 1), vec![2, 1, 3, 0, 6]);
        // first coordinate {−40, 0, 1, 2, 3}: median 1, three nearest 0, 1, 2 -> 1;
        // second {40, 0, −1, −2, −3}: median −1, three nearest 0, −1, −2 -> −1
        assert_eq!(bulyan(&v, 1), vec![1.0, -1.0]);
        // f = 0: θ = β = n, the mean
        let w = [vec![0.0], vec![1.0], vec![5.0]];
        assert_eq!(bulyan(&w, 0), vec![2.0]);
        assert!(bulyan(&[], 1).is_empty());
    }

    #[test]
    fn non_finite_is_never_selected_first() {
        let mut v: Vec<Vec<f32>> = (0..6).map(|i| vec![i as f32]).collect();
        v.push(vec![f32::NAN]);
        let sel = bulyan_select(&v, 1);
        assert!(!sel.contains(&6), "{sel:?}");
        assert!(bulyan(&v, 1)[0].is_finite());
    }

    #[test]
    fn requirement() {
        let args = Args::new();
        assert!(bulyan_fits(&Setting { n: 7, f: 1, declared: false }, &args).is_ok());
        assert!(bulyan_fits(&Setting { n: 14, f: 3, declared: false }, &args).is_err());
        assert!(bulyan_fits(&Setting { n: 15, f: 3, declared: false }, &args).is_ok());
    }
}
