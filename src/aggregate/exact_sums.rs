//! Sums of many large subsets of the same vectors, as the total minus what
//! each subset leaves out, where that is provably the same bits.
//!
//! NNM replaces each of n vectors by the mean of its n − f nearest
//! neighbours: n sums of n − f vectors each, O(n²d), which at n = 120 was
//! about 30 % of an NNM∘CM step. Each sum leaves out only f vectors, so the
//! total of all n minus the f left out costs f additions instead of n − f,
//! and a set that differs from the one before by a few vectors costs those.
//!
//! Floating-point addition is not associative, so in general that changes
//! the bits. But the `f64` sum of `f32` values is *exact*, in any order, when
//! the values of a coordinate span few enough binades: every nonzero `f32`
//! with biased exponent `e` is an integer multiple of `2^(e − 150)` below
//! `2^(e − 126)`, so with `lo` the smallest and `hi` the largest exponent of a
//! coordinate's nonzero values, every sum of up to n of them is a multiple of
//! `2^(lo − 150)` below `n · 2^(hi − 126)`, and fits `f64`'s 53 bits when
//! `⌈log₂ n⌉ + hi − lo ≤ 29`. Then the sequential sum in the set's order (what
//! [`means_of`] computes otherwise) and any chain of subset sums that leads
//! to the set (see [`Via`]) are both that exact number, bit for bit (+0.0 for an exact zero: neither ever
//! yields −0.0, as both start from +0.0). Where a coordinate does not qualify
//! (a wider span, a NaN or an infinity), its run is summed in order as before.
//!
//! [`means_of`]: super::kernels::means_of

/// How one set's sum is made from an earlier sum: that sum (the total of all
/// n vectors, or the sum of the set summed just before), minus the vectors in
/// `subtract`, plus those in `add`. Every step is again the sum of a subset of
/// the n vectors, so where the span allows it every step is exact.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Via {
    pub from_previous: bool,
    pub subtract: Vec<usize>,
    pub add: Vec<usize>,
}

/// For each set, in order, the cheaper of: the total minus what the set leaves
/// out, or the set before it (if that one has a `Via`) corrected by their
/// difference. NNM's sets of neighbours differ from one another by few
/// vectors, so most sums cost a few additions instead of n − f. `None` for a
/// set that gains nothing so (or repeats an index, or names one past `n`);
/// `None` overall when the total's n additions are not repaid.
pub(super) fn plan(n: usize, sets: &[&[usize]]) -> Option<Vec<Option<Via>>> {
    let members = |set: &[usize]| {
        let mut inside = vec![false; n];
        for &i in set {
            if i >= n || std::mem::replace(&mut inside[i], true) {
                return None;
            }
        }
        Some(inside)
    };
    let mut previous: Option<Vec<bool>> = None;
    let mut out = Vec::with_capacity(sets.len());
    let (mut direct, mut via_total) = (0, n);
    for set in sets {
        let Some(inside) = members(set) else {
            previous = None;
            out.push(None);
            continue;
        };
        let left_out = Via { from_previous: false, subtract: (0..n).filter(|&i| !inside[i]).collect(), add: vec![] };
        let from_previous = previous.as_ref().map(|p| Via {
            from_previous: true,
            subtract: (0..n).filter(|&i| p[i] && !inside[i]).collect(),
            add: (0..n).filter(|&i| !p[i] && inside[i]).collect(),
        });
        let cost = |v: &Via| v.subtract.len() + v.add.len();
        let via = match from_previous {
            Some(p) if cost(&p) < cost(&left_out) => p,
            _ => left_out,
        };
        if cost(&via) < set.len() {
            direct += set.len();
            via_total += cost(&via);
            previous = Some(inside);
            out.push(Some(via));
        } else {
            previous = None;
            out.push(None);
        }
    }
    (via_total < direct).then_some(out)
}

/// Whether every sum of up to `n` of these coordinate values, in any order, is
/// exact in `f64` (see the module's doc). `exponents` holds, per coordinate,
/// the smallest and the largest biased exponent of its nonzero values, as
/// gathered by [`Span::add`].
#[derive(Clone, Copy)]
pub(super) struct Span {
    lo: u32,
    hi: u32,
}

impl Span {
    /// No values yet: every sum is 0.
    pub const EMPTY: Span = Span { lo: 255, hi: 0 };

    /// Widens the span by `x` (zeros add nothing and are left out).
    #[inline(always)]
    pub fn add(self, x: f32) -> Span {
        let bits = x.to_bits() & 0x7fff_ffff;
        let e = bits >> 23;
        // A subnormal (e = 0, bits ≠ 0) is a multiple of 2^(1 − 150), as exponent 1's values.
        let lo = if bits == 0 { 255 } else { e.max(1) };
        Span { lo: self.lo.min(lo), hi: self.hi.max(e) }
    }

    /// Whether sums of up to `n` values of this span are exact in `f64`.
    pub fn exact_for(self, n: usize) -> bool {
        if self.hi == 0 {
            return true; // only zeros
        }
        // Exponent 255 is an infinity or a NaN.
        let log2_n = n.next_power_of_two().trailing_zeros();
        self.hi < 255 && log2_n + self.hi <= 29 + self.lo
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn span(xs: &[f32]) -> Span {
        xs.iter().fold(Span::EMPTY, |s, &x| s.add(x))
    }

    #[test]
    fn spans_decide_exactness() {
        assert!(span(&[0.0, -0.0]).exact_for(1000));
        assert!(span(&[1.0, 3.0, -0.5]).exact_for(120));
        // 2^22 binades apart with n = 128 (7 bits): 7 + 22 = 29, exact; 2^23 is not.
        assert!(span(&[1.0, 2f32.powi(-22)]).exact_for(128));
        assert!(!span(&[1.0, 2f32.powi(-23)]).exact_for(128));
        assert!(!span(&[1.0, 2f32.powi(-22)]).exact_for(129));
        assert!(!span(&[1.0, f32::NAN]).exact_for(2));
        assert!(!span(&[f32::INFINITY]).exact_for(1));
        // The smallest subnormal is a multiple of 2^-149, as the smallest normal's ulp.
        assert!(span(&[f32::from_bits(1), f32::MIN_POSITIVE]).exact_for(2));
    }

    /// Where a span says exact, sums in any order agree bit for bit, and the
    /// boundary is tight: one more binade and some order loses a bit.
    #[test]
    fn exact_spans_sum_alike_in_any_order() {
        let n = 128;
        // 24 ones just below 2^24 (exponent 150), and 2 + 2^-22 (exponent 128, its last bit 2^-22):
        // 7 + 150 − 128 = 29, and the exact sum of all needs 31 + 22 = 53 bits.
        let big = 2f32.powi(24) - 1.0;
        let mut xs = vec![big; n - 1];
        xs.push(2.0 + 2f32.powi(-22));
        assert!(span(&xs).exact_for(n));
        let forward = xs.iter().fold(0.0f64, |s, &x| s + f64::from(x));
        let backward = xs.iter().rev().fold(0.0f64, |s, &x| s + f64::from(x));
        let total_minus = xs.iter().fold(0.0f64, |s, &x| s + f64::from(x)) - f64::from(big);
        let rest = xs[1..].iter().fold(0.0f64, |s, &x| s + f64::from(x));
        assert_eq!(forward.to_bits(), backward.to_bits());
        assert_eq!(total_minus.to_bits(), rest.to_bits());
        // One binade lower, the span is refused, and indeed the last bit is lost.
        let low = 1.0 + 2f32.powi(-23);
        xs[n - 1] = low;
        assert!(!span(&xs).exact_for(n));
        let forward = xs.iter().fold(0.0f64, |s, &x| s + f64::from(x));
        assert_ne!(forward - f64::from(big) * (n - 1) as f64, f64::from(low));
    }

    #[test]
    fn plans_take_the_cheapest_start() {
        let via = |from_previous, subtract: &[usize], add: &[usize]| {
            Some(Via { from_previous, subtract: subtract.to_vec(), add: add.to_vec() })
        };
        let full: Vec<usize> = (0..10).collect();
        let most: Vec<usize> = (0..10).filter(|&i| i != 3 && i != 4).collect();
        let next: Vec<usize> = (0..10).filter(|&i| i != 3 && i != 5).collect();
        let half: Vec<usize> = (0..5).collect();
        let repeated = vec![0, 0, 1, 2, 3, 4, 5, 6, 7];
        let got = plan(10, &[&most, &next, &half, &next, &repeated, &full]).expect("cheaper");
        assert_eq!(
            got,
            vec![
                via(false, &[3, 4], &[]),
                // From `most`: −5, +4 (2) ties with the total's −3, −5: the total.
                via(false, &[3, 5], &[]),
                None,
                // After a set without a plan, from the total.
                via(false, &[3, 5], &[]),
                None,
                via(false, &[], &[])
            ]
        );
        // Leaving out {3, 4, 5}, then {3, 4, 6}: from the previous, −6 +5.
        let a: Vec<usize> = (0..10).filter(|&i| !(3..6).contains(&i)).collect();
        let b: Vec<usize> = (0..10).filter(|&i| ![3, 4, 6].contains(&i)).collect();
        let got = plan(10, &[&a, &b, &a]).expect("cheaper");
        assert_eq!(got, vec![via(false, &[3, 4, 5], &[]), via(true, &[6], &[5]), via(true, &[5], &[6])]);
        // One set of 8: 10 + 2 additions against 8.
        assert_eq!(plan(10, &[&most]), None);
        assert_eq!(plan(10, &[&[10, 1, 2, 3, 4, 5, 6, 7][..]; 3]), None);
    }
}
