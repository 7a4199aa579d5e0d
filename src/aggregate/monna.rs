//! MoNNA: the mean of the n − f nearest neighbours of a reference vector.
//!
//! `MoNNA(x_1..x_n) = (1/(n−f)) Σ_{j ∈ N_r} x_j`, where `N_r` holds the `n − f`
//! vectors closest to `x_r` (itself included). Source: Farhadkhani,
//! Guerraoui, Gupta, Hoang, Pinot & Stephan, "Robust Collaborative Learning
//! with Linear Gradient Overhead", ICML 2023, Algorithm 1 (there each correct
//! node is its own reference); NNM (Allouah et al. 2023) applies the same mean
//! around every vector.
//!
//! Choice of reference: index `r = reference` (default 0), as ByzFL's
//! `MoNNA(f, idx=0)`. In byz the vectors are ordered honest first, so any
//! `reference < n − f` is an honest worker's vector — the analogue of MoNNA's
//! peer-to-peer setting, where a correct node trusts its own vector; the
//! checker refuses a reference that would be Byzantine. The rule is therefore
//! deliberately not permutation invariant.
//!
//! Neighbours: `x_r` itself, then the closest others, ties by lower index;
//! distances from `kernels::pairwise_sq_distances`, so a vector with a NaN or
//! infinite coordinate is maximally far and is chosen only when too few finite
//! ones remain. The mean is in `f64`, in increasing index order.

use super::kernels::{mean_of, pairwise_sq_distances};
use super::{Capabilities, RuleEntry, Vectors};
use crate::plan::{ArgValue, Args};
use crate::spec::{Default, Kind, Param, ParamType, Setting, Spec, Unmet};

/// Indices (increasing) of the `n − f` (at least 1) nearest neighbours of `v[reference]`.
pub(crate) fn monna_select(v: &Vectors, f: usize, reference: usize) -> Vec<usize> {
    let n = v.len();
    if n == 0 {
        return Vec::new();
    }
    let r = reference.min(n - 1);
    let k = n.saturating_sub(f).max(1);
    let d = pairwise_sq_distances(v);
    let row = &d[r * n..(r + 1) * n];
    let mut idx: Vec<usize> = (0..n).filter(|&j| j != r).collect();
    idx.sort_unstable_by(|&a, &b| row[a].total_cmp(&row[b]).then(a.cmp(&b)));
    idx.truncate(k - 1);
    idx.push(r);
    idx.sort_unstable();
    idx
}

/// MoNNA around `v[reference]` (clamped to the last index).
pub fn monna(v: &Vectors, f: usize, reference: usize) -> Vec<f32> {
    mean_of(v, &monna_select(v, f, reference))
}

fn reference_is_honest(s: &Setting, args: &Args) -> Result<(), Unmet> {
    let r = match args.get("reference") {
        Some(ArgValue::Int(r)) => *r as usize,
        _ => 0,
    };
    let honest = s.n.saturating_sub(s.f);
    if r >= honest {
        return Err(Unmet {
            message: format!(
                "MoNNA's reference vector {r} is not an honest worker's ({honest} honest, numbered from 0)"
            ),
            label: format!("reference {r} ≥ n − f = {honest}"),
            help: "use `monna(reference: 0)`, an honest worker's vector".into(),
        });
    }
    Ok(())
}

/// The registry entry of MoNNA (`monna`), around worker 0's vector by default.
pub const ENTRY: RuleEntry = RuleEntry {
    spec: Spec {
        name: "monna",
        kind: Kind::Rule,
        aliases: &[],
        summary: "the average of the n − f nearest neighbours of an honest worker's vector",
        doc: "Mean of the n − f vectors closest to the vector of worker `reference`, itself included \
              (Farhadkhani et al. 2023); workers are numbered honest first, so reference 0 is honest.",
        params: &[Param {
            name: "reference",
            ty: ParamType::Int { min: 0 },
            default: Default::Int(0),
            doc: "index of the reference vector (an honest worker)",
        }],
        requires: Some(reference_is_honest),
        degenerate: None,
        needs_labels: false,
    },
    build: |c| {
        let r = c.int("reference") as usize;
        Box::new(move |v, ctx| monna(v, ctx.f, r))
    },
    capabilities: Capabilities {
        select: Some(|c| {
            let r = c.int("reference") as usize;
            Box::new(move |v, ctx| monna_select(v, ctx.f, r))
        }),
        ..Capabilities::NONE
    },
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_computed() {
        // ByzFL's example: f = 1 around [1,2,3] -> mean of [1,2,3], [4,5,6].
        let v = [vec![1.0, 2.0, 3.0], vec![4.0, 5.0, 6.0], vec![7.0, 8.0, 9.0]];
        assert_eq!(monna(&v, 1, 0), vec![2.5, 3.5, 4.5]);
        // Around index 2: [4,5,6] and [7,8,9].
        assert_eq!(monna(&v, 1, 2), vec![5.5, 6.5, 7.5]);
        // Ties by lower index: around 0, both 1 and -1 are at distance 1.
        let v = [vec![0.0], vec![1.0], vec![-1.0], vec![5.0]];
        assert_eq!(monna_select(&v, 2, 0), vec![0, 1]);
        assert_eq!(monna(&v, 0, 0), vec![1.25]);
        assert!(monna(&[], 1, 0).is_empty());
    }

    #[test]
    fn non_finite_is_maximally_far() {
        let v = [vec![0.0], vec![f32::NAN], vec![100.0], vec![f32::INFINITY]];
        assert_eq!(monna_select(&v, 2, 0), vec![0, 2]);
        assert!(monna(&v, 0, 0)[0].is_nan());
        // a non-finite reference: every other vector is equally (infinitely) far
        assert_eq!(monna_select(&v, 2, 1), vec![0, 1]);
    }

    #[test]
    fn requirement() {
        let args: Args = [("reference".to_string(), ArgValue::Int(3))].into_iter().collect();
        assert!(reference_is_honest(&Setting { n: 5, f: 1, declared: false }, &args).is_ok());
        assert!(reference_is_honest(&Setting { n: 5, f: 2, declared: false }, &args).is_err());
    }
}
