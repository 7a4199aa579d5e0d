//! Coordinate-wise trimmed mean (TM).
//!
//! For each coordinate `j`, drop the `trim` largest and the `trim` smallest of
//! `v_1[j], …, v_n[j]` and average the remaining `n - 2·trim` values. Source:
//! Yin, Chen, Ramchandran & Bartlett, "Byzantine-Robust Distributed Learning:
//! Towards Optimal Statistical Rates", ICML 2018 (β-trimmed mean, β = trim/n).
//!
//! Each coordinate's values are sorted by `sortnet` (a sorting network on
//! `total_cmp` keys, 16 coordinates at a time, blocks in parallel); the kept
//! values are summed in `f64` in increasing order. Under `total_cmp` a positive NaN sorts above `+inf` and a
//! negative NaN below `-inf`, so non-finite inputs never panic: they are trimmed
//! as extremes or, if kept, propagate into the mean.
//! Vectors of unequal length are read up to the shortest. Normally
//! `2·trim < n`; as a safeguard `trim` is clamped to `(n - 1) / 2`.
//! `n = 0` yields an empty vector.

use super::Vectors;
use super::sortnet::{LANES, sorted_coordinatewise, value};
use super::{Capabilities, RuleEntry};
use crate::plan::{ArgValue, Args};
use crate::spec::{Default, Kind, Param, ParamType, Setting, Spec, Unmet};

/// Coordinate-wise mean after dropping the `trim` smallest and `trim` largest values.
pub(crate) fn trimmed_mean(v: &Vectors, trim: usize) -> Vec<f32> {
    if v.is_empty() {
        return Vec::new();
    }
    let n = v.len();
    let trim = trim.min((n - 1) / 2);
    let kept = n - 2 * trim;
    sorted_coordinatewise(v, |rows, out| {
        let mut acc = [0.0f64; LANES];
        for row in &rows[trim..n - trim] {
            for (a, &k) in acc.iter_mut().zip(row) {
                *a += f64::from(value(k));
            }
        }
        for (o, a) in out.iter_mut().zip(acc) {
            *o = (a / kept as f64) as f32;
        }
    })
}

fn trim_f(s: &Setting) -> ArgValue {
    ArgValue::Int(s.f as i64)
}

fn trim_fits(s: &Setting, args: &Args) -> Result<(), Unmet> {
    let trim = match args.get("trim") {
        Some(ArgValue::Int(t)) => *t as usize,
        _ => s.f,
    };
    if 2 * trim >= s.n {
        return Err(Unmet {
            message: format!("a trimmed mean cannot trim {trim} from each side of {} values", s.n),
            label: format!("trims 2 × {trim} = {} of {} values", 2 * trim, s.n),
            help: "trim fewer values (`tm(trim: ...)` with 2·trim < n), or use more workers".into(),
        });
    }
    Ok(())
}

/// `tm(trim: 0)` against Byzantine workers is the plain mean.
fn trims_nothing(s: &Setting, args: &Args) -> Option<Unmet> {
    (s.f > 0 && matches!(args.get("trim"), Some(ArgValue::Int(0)))).then(|| Unmet {
        message: format!("tm(trim: 0) trims nothing: it is the plain mean, with f = {} Byzantine workers", s.f),
        label: "trim = 0".into(),
        help: format!("trim at least f values from each side, e.g. `tm(trim: {})` (the default, 001 Table 4)", s.f),
    })
}

/// The registry entry of the coordinate-wise trimmed mean (`tm`), trimming f values from each side by default.
pub const ENTRY: RuleEntry = RuleEntry {
    spec: Spec {
        name: "tm",
        kind: Kind::Rule,
        aliases: &["trimmed_mean"],
        summary: "coordinate-wise trimmed mean",
        doc: "Per coordinate, drop the `trim` largest and `trim` smallest values and average the rest \
              (Yin et al. 2018); trim = f by default (001 Table 4).",
        params: &[Param {
            name: "trim",
            ty: ParamType::Int { min: 0 },
            default: Default::Computed(trim_f, "f"),
            doc: "values dropped at each end, per coordinate",
        }],
        requires: Some(trim_fits),
        degenerate: Some(trims_nothing),
        needs_labels: false,
    },
    build: |c| {
        let trim = c.int("trim") as usize;
        Box::new(move |v, _| trimmed_mean(v, trim))
    },
    capabilities: Capabilities::NONE,
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_and_single() {
        assert!(trimmed_mean(&[], 1).is_empty());
        assert_eq!(trimmed_mean(&[vec![2.0, -1.0]], 0), vec![2.0, -1.0]);
    }

    #[test]
    fn trim_one_of_five() {
        // coord 0: drop 1 and 100 -> mean(2,3,4) = 3
        // coord 1: drop -50 and 3 -> mean(0,1,2) = 1
        let v = [vec![4.0, 0.0], vec![100.0, -50.0], vec![2.0, 3.0], vec![1.0, 2.0], vec![3.0, 1.0]];
        assert_eq!(trimmed_mean(&v, 1), vec![3.0, 1.0]);
        // trim 2 of 5 is the median
        assert_eq!(trimmed_mean(&v, 2), vec![3.0, 1.0]);
        // trim 0 is the plain mean: 110/5 = 22, -44/5 = -8.8
        assert_eq!(trimmed_mean(&v, 0), vec![22.0, -8.8]);
    }

    #[test]
    fn excessive_trim_is_clamped() {
        let v = [vec![1.0], vec![2.0], vec![6.0], vec![7.0]];
        // trim clamped to (4-1)/2 = 1: mean(2, 6) = 4
        assert_eq!(trimmed_mean(&v, 5), vec![4.0]);
    }

    #[test]
    fn non_finite_are_trimmed_as_extremes() {
        let nan = f32::NAN.abs(); // positive NaN: above +inf under total_cmp
        let v =
            [vec![nan, 1.0], vec![1.0, f32::INFINITY], vec![2.0, 2.0], vec![3.0, 3.0], vec![4.0, f32::NEG_INFINITY]];
        // coord 0: drop 1 and NaN -> 3; coord 1: drop -inf and +inf -> 2
        assert_eq!(trimmed_mean(&v, 1), vec![3.0, 2.0]);
        assert!(trimmed_mean(&v, 0)[0].is_nan());
    }

    #[test]
    fn permutation_invariant() {
        let (v, w) = crate::aggregate::testing::reordered(7, (1, 4));
        for trim in 0..4 {
            assert_eq!(trimmed_mean(&v, trim), trimmed_mean(&w, trim));
        }
    }
}
