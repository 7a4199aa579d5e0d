//! Krum and Multi-Krum.
//!
//! `score_i = Σ_{j ∈ N_i} ‖v_i − v_j‖²`, where `N_i` are the `k = n − discard − 1`
//! nearest other vectors (clamped into `[1, n − 1]` when `n ≥ 2`; `k = 0` when
//! `n = 1`). Krum returns the vector of smallest score, Multi-Krum the mean of
//! the `m` smallest-score vectors. Source: Blanchard, El Mhamdi, Guerraoui &
//! Stainer, "Machine Learning with Adversaries: Byzantine Tolerant Gradient
//! Descent", NeurIPS 2017 (`discard = f + 1`, i.e. `n − f − 2` neighbours);
//! Allouah et al., "Fixing by Mixing", AISTATS 2023 use `discard = f`
//! (`n − f − 1` neighbours).
//!
//! Krum and Multi-Krum first screen their choice with single-precision
//! distances and a bound on their error (`aggregate::screen`); only when the
//! bounds cannot separate the chosen vectors from the others are the exact
//! distances below computed. The choice is the exact one either way.
//! Squared distances are computed once (n×n, `f64`); a non-finite distance
//! (NaN/inf input) is treated as `+inf`, so such a vector is maximally far and
//! gets score `+inf`. Each score sums its `k` distances in ascending order, so
//! scores do not depend on input order. Ties are broken by lower index.
//! Preconditions (caller guarantees): all vectors have the same length.
//! For `n = 0` every function returns an empty vector.

use super::Vectors;
use super::copies::{KrumWithCopies, WithCopies};
use super::kernels::{mean_of, pairwise_sq_distances};
use super::{Capabilities, RuleEntry};
use crate::plan::{ArgValue, Args};
use crate::spec::{Default, Kind, Param, ParamType, Setting, Spec, Unmet};

/// Krum score of every vector (the tests' view of `scores_from_distances`).
#[cfg(test)]
fn krum_scores(v: &Vectors, _f: usize, discard: usize) -> Vec<f64> {
    scores_from_distances(&pairwise_sq_distances(v), v.len(), discard)
}

/// Krum scores from a row-major n × n matrix of squared distances, for
/// callers that have the distances already (Fang's attack on Krum, which
/// tries many placements of its vector against fixed honest ones).
pub(crate) fn scores_from_distances(d: &[f64], n: usize, discard: usize) -> Vec<f64> {
    let k = neighbours(n, discard);
    let mut row = Vec::with_capacity(n);
    (0..n)
        .map(|i| {
            row.clear();
            row.extend((0..n).filter(|&j| j != i).map(|j| d[i * n + j]));
            if k < row.len() {
                row.select_nth_unstable_by(k, f64::total_cmp);
            }
            let near = &mut row[..k];
            near.sort_unstable_by(f64::total_cmp);
            near.iter().sum()
        })
        .collect()
}

/// The neighbours each score sums (see the module docs).
pub(crate) fn neighbours(n: usize, discard: usize) -> usize {
    n.saturating_sub(discard + 1).max(1).min(n.saturating_sub(1))
}

/// Indices of the `m` (at most `n`) smallest scores, in increasing score order.
/// `_f` is accepted for interface uniformity; the neighbour count depends
/// only on `discard` (see the module docs).
pub(crate) fn krum_select(v: &Vectors, _f: usize, discard: usize, m: usize) -> Vec<usize> {
    select_from_distances(&pairwise_sq_distances(v), v.len(), discard, m)
}

/// `krum_select` from a row-major n × n matrix of squared distances.
pub(crate) fn select_from_distances(d: &[f64], n: usize, discard: usize, m: usize) -> Vec<usize> {
    let scores = scores_from_distances(d, n, discard);
    let mut idx: Vec<usize> = (0..n).collect();
    idx.sort_unstable_by(|&a, &b| scores[a].total_cmp(&scores[b]).then(a.cmp(&b)));
    idx.truncate(m);
    idx
}

/// The `m` vectors of smallest score, in index order: screened in single
/// precision first (`aggregate::screen`), which decides them on most steps,
/// and from the exact distances when it cannot; the same choice either way.
fn chosen(v: &Vectors, f: usize, discard: usize, m: usize) -> Vec<usize> {
    let k = neighbours(v.len(), discard);
    super::screen::krum_chosen(v, k, m).unwrap_or_else(|| {
        let mut sel = krum_select(v, f, discard, m);
        sel.sort_unstable();
        sel
    })
}

/// Krum: the input vector with the smallest score.
pub fn krum(v: &Vectors, f: usize, discard: usize) -> Vec<f32> {
    chosen(v, f, discard, 1).first().map_or_else(Vec::new, |&i| v[i].clone())
}

/// Multi-Krum: mean (in `f64`, index order) of the `m` selected vectors; `m` is
/// clamped into `[1, n]`.
pub fn multikrum(v: &Vectors, f: usize, discard: usize, m: usize) -> Vec<f32> {
    mean_of(v, &chosen(v, f, discard, m.max(1)))
}

fn discard_f_plus_1(s: &Setting) -> ArgValue {
    ArgValue::Int(s.f as i64 + 1)
}

fn m_honest(s: &Setting) -> ArgValue {
    ArgValue::Int((s.n - s.f.min(s.n)).max(1) as i64)
}

/// Multi-Krum that averages all n vectors is the mean.
fn multikrum_is_mean(s: &Setting, args: &Args) -> Option<Unmet> {
    let Some(ArgValue::Int(m)) = args.get("m") else { return None };
    (*m as usize >= s.n).then(|| Unmet {
        message: format!("multikrum(m: {m}) averages all {} vectors: it equals `mean`", s.n),
        label: format!("m ≥ n = {}", s.n),
        help: format!("average fewer vectors, e.g. `multikrum(m: {})` (n − f), or write `mean`", s.n - s.f.min(s.n)),
    })
}

/// Blanchard et al. need n > 2f + 2 for the original (discard = f + 1); the
/// variant discarding f (001 App. B.2) needs an honest majority and a neighbour.
fn krum_fits(s: &Setting, args: &Args) -> Result<(), Unmet> {
    let discard = match args.get("discard") {
        Some(ArgValue::Int(d)) => *d as usize,
        _ => s.f + 1,
    };
    if s.n < discard + 2 {
        return Err(Unmet {
            message: format!("Krum cannot leave out {discard} of {} vectors from each score", s.n),
            label: format!("needs at least discard + 2 = {} workers", discard + 2),
            help: format!("leave out fewer: `discard: {}` (f + 1) is Blanchard et al.'s choice", s.f + 1),
        });
    }
    let (bound, need) = if discard > s.f { (2 * s.f + 2, "2f + 2") } else { (2 * s.f, "2f") };
    if s.n <= bound {
        return Err(Unmet {
            message: format!("Krum cannot work with {} Byzantine workers out of {}", s.f, s.n),
            label: format!("needs more than {need} = {bound} workers"),
            help: format!(
                "use fewer Byzantine workers, `krum(discard: {})` (001 App. B.2's variant), or a rule with a lower requirement such as `cm`",
                s.f
            ),
        });
    }
    Ok(())
}

const DISCARD: Param = Param {
    name: "discard",
    ty: ParamType::Int { min: 0 },
    default: Default::Computed(discard_f_plus_1, "f + 1"),
    doc: "vectors left out of each score: f + 1 (Blanchard et al.), or f (001 App. B.2)",
};

/// The registry entry of Krum (`krum`), leaving f + 1 vectors out of each score by default.
pub const ENTRY: RuleEntry = RuleEntry {
    spec: Spec {
        name: "krum",
        kind: Kind::Rule,
        aliases: &[],
        summary: "the vector closest to its n − discard − 1 nearest neighbours",
        doc: "score_i = Σ of squared distances to the n − discard − 1 nearest other vectors; \
              output the vector with the smallest score (Blanchard et al. 2017; 002 §4).",
        params: &[DISCARD],
        requires: Some(krum_fits),
        degenerate: None,
        needs_labels: false,
    },
    build: |c| {
        let discard = c.int("discard") as usize;
        Box::new(move |v, ctx| krum(v, ctx.f, discard))
    },
    capabilities: Capabilities {
        select: Some(|c| {
            let discard = c.int("discard") as usize;
            Box::new(move |v, ctx| krum_select(v, ctx.f, discard, 1))
        }),
        with_copies: Some(|c| {
            let discard = c.int("discard") as usize;
            Box::new(move |h, f| WithCopies::Krum(KrumWithCopies::new(h, f, discard, None)))
        }),
        ..Capabilities::NONE
    },
};

/// The registry entry of Multi-Krum (`multikrum`), averaging the n − f best-scored vectors by default.
pub const MULTI_ENTRY: RuleEntry = RuleEntry {
    spec: Spec {
        name: "multikrum",
        kind: Kind::Rule,
        aliases: &[],
        summary: "the average of the m vectors with the best Krum scores",
        doc: "Average of the m vectors with the smallest Krum scores (Blanchard et al. 2017).",
        params: &[
            Param {
                name: "m",
                ty: ParamType::Int { min: 1 },
                default: Default::Computed(m_honest, "n − f"),
                doc: "how many vectors to average",
            },
            DISCARD,
        ],
        requires: Some(krum_fits),
        degenerate: Some(multikrum_is_mean),
        needs_labels: false,
    },
    build: |c| {
        let (discard, m) = (c.int("discard") as usize, c.int("m") as usize);
        Box::new(move |v, ctx| multikrum(v, ctx.f, discard, m))
    },
    capabilities: Capabilities {
        select: Some(|c| {
            let (discard, m) = (c.int("discard") as usize, c.int("m") as usize);
            Box::new(move |v, ctx| krum_select(v, ctx.f, discard, m.max(1)))
        }),
        with_copies: Some(|c| {
            let (discard, m) = (c.int("discard") as usize, c.int("m") as usize);
            Box::new(move |h, f| WithCopies::Krum(KrumWithCopies::new(h, f, discard, Some(m))))
        }),
        ..Capabilities::NONE
    },
};

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};

    fn line(xs: &[f32]) -> Vec<Vec<f32>> {
        xs.iter().map(|&x| vec![x, 1.0]).collect()
    }

    #[test]
    fn small_n() {
        assert!(krum_scores(&[], 0, 1).is_empty() && multikrum(&[], 0, 1, 3).is_empty());
        assert!(krum(&[], 0, 1).is_empty() && krum_select(&[], 0, 1, 2).is_empty());
        assert_eq!(krum_scores(&[vec![1.0]], 0, 1), vec![0.0]);
        assert_eq!(krum(&[vec![1.0]], 3, 4), vec![1.0]);
        // n = 2, k clamped to 1
        assert_eq!(krum_scores(&[vec![0.0], vec![2.0]], 5, 6), vec![4.0, 4.0]);
    }

    #[test]
    fn discard_variants_differ() {
        let v = line(&[0.0, 0.0, 3.0, 4.0, 5.0]);
        // Blanchard (discard f+1 = 2): 2 neighbours
        assert_eq!(krum_scores(&v, 1, 2), vec![9.0, 9.0, 5.0, 2.0, 5.0]);
        assert_eq!(krum(&v, 1, 2), vec![4.0, 1.0]);
        // Allouah (discard f = 1): 3 neighbours
        assert_eq!(krum_scores(&v, 1, 1), vec![25.0, 25.0, 14.0, 18.0, 30.0]);
        assert_eq!(krum(&v, 1, 1), vec![3.0, 1.0]);
        // ties by lower index: scores 2, 5, 5 -> [3, 2, 4]
        assert_eq!(krum_select(&v, 1, 2, 3), vec![3, 2, 4]);
        assert_eq!(multikrum(&v, 1, 2, 3), vec![4.0, 1.0]);
        assert_eq!(multikrum(&v, 1, 2, 99), vec![2.4, 1.0]);
    }

    #[test]
    fn fall_of_empires_toy_example() {
        // Xie, Koyejo & Gupta, "Fall of Empires", §5.3.1: n = 9, q = 3 Byzantine,
        // m − q − 2 = 4 neighbours (discard = q + 1).
        let v = line(&[-0.1, -0.1, -0.1, 0.0, 0.02, 0.14, 0.26, 0.38, 0.5]);
        let paper = [0.0244, 0.0244, 0.0244, 0.0304, 0.0436, 0.1060, 0.1440, 0.2160, 0.4320];
        for (s, p) in krum_scores(&v, 3, 4).iter().zip(paper) {
            assert!((s - p).abs() < 1e-4, "{s} vs {p}");
        }
        assert_eq!(krum(&v, 3, 4), vec![-0.1, 1.0]);
        // With 5 neighbours (discard = q) the scores of -0.1 and 0 become 0.082 and 0.05.
        assert_eq!(krum(&v, 3, 3), vec![0.0, 1.0]);
    }

    #[test]
    fn non_finite_is_maximally_far() {
        let v = [vec![0.0], vec![10.0], vec![-f32::NAN.abs()]];
        assert_eq!(krum_scores(&v, 1, 1), vec![100.0, 100.0, f64::INFINITY]);
        let v = line(&[0.0, 1.0, 2.0, f32::NAN, f32::INFINITY]);
        let inf = f64::INFINITY;
        assert_eq!(krum_scores(&v, 1, 2), vec![5.0, 2.0, 5.0, inf, inf]);
        assert_eq!(krum(&v, 1, 2), vec![1.0, 1.0]);
        assert_eq!(krum_select(&v, 1, 2, 9), vec![1, 0, 2, 3, 4]);
        assert!(multikrum(&v, 1, 2, 5)[0].is_nan());
    }

    #[test]
    fn permutation_invariant() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        let xs: Vec<f32> = (0..27).map(|_| rng.random_range(-99..99) as f32 / 16.0).collect();
        let v: Vec<Vec<f32>> = xs.chunks(3).map(<[f32]>::to_vec).collect();
        let mut w = v.clone();
        w.reverse();
        w.swap(0, 4);
        for discard in [2, 3] {
            let mut s = krum_scores(&v, 2, discard);
            s.sort_by(f64::total_cmp);
            assert!(s.windows(2).all(|p| p[0] < p[1]), "scores must be distinct");
            assert_eq!(krum(&v, 2, discard), krum(&w, 2, discard));
            assert_eq!(multikrum(&v, 2, discard, 4), multikrum(&w, 2, discard, 4));
        }
    }
}
