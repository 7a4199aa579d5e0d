//! JUMP-1 under Krum with a convex honest loss, without a general solver.
//! Krum returns either one of its inputs: a copy of the attack a = λ ḡ, or
//! an honest vector. Where it picks a copy the next model is θ − γ λ ḡ, and
//! a convex L_H along that line is largest at an end of the interval of λ's
//! (001 §3: JUMP maximises L_H(θ_{t+1}) over λ). So the search brackets the
//! interval around λ = init by asking Krum's choice alone, which costs H
//! distances and no loss, bisects each end to Powell's default tolerance,
//! and scores the last λ inside and the first outside at both ends.

/// Where the interval of `inside` around `start` ends, on each side: the
/// last point found inside and the first outside (`None` when even a point
/// 2^40 away is inside), to a tolerance of `xtol` relative to the point
/// (JUMP passes η = 1 − λ).
pub(super) fn interval_ends(inside: &mut dyn FnMut(f64) -> bool, start: f64, xtol: f64) -> [(f64, Option<f64>); 2] {
    [1.0, -1.0].map(|direction| {
        let (mut last_in, mut step) = (start, 1.0);
        let mut first_out = loop {
            let probe = start + direction * step;
            if !inside(probe) {
                break Some(probe);
            }
            last_in = probe;
            step *= 2.0;
            if step > 2f64.powi(40) {
                break None;
            }
        };
        if let Some(out) = first_out.as_mut() {
            while (*out - last_in).abs() > xtol * last_in.abs().max(1.0) {
                let mid = 0.5 * (last_in + *out);
                if inside(mid) {
                    last_in = mid;
                } else {
                    *out = mid;
                }
            }
        }
        (last_in, first_out)
    })
}

/// The best of the ends' λ's by `cost` (smaller is better; the first on ties).
pub(super) fn best_end(ends: &[(f64, Option<f64>); 2], cost: &mut dyn FnMut(f64) -> f64) -> f64 {
    let candidates = ends.iter().flat_map(|(inside, outside)| std::iter::once(*inside).chain(*outside));
    let (mut best, mut best_cost) = (ends[0].0, f64::INFINITY);
    for lambda in candidates {
        let c = cost(lambda);
        if c < best_cost {
            (best, best_cost) = (lambda, c);
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_both_ends_of_the_interval_and_the_better_one() {
        let (lo, hi) = (-2.37, 5.5);
        let mut asked = 0;
        let ends = interval_ends(
            &mut |l| {
                asked += 1;
                (lo..=hi).contains(&l)
            },
            1.0,
            1e-4,
        );
        assert!(ends[0].0 <= hi && hi - ends[0].0 < 1e-3 && ends[0].1.is_some_and(|o| o > hi && o - hi < 1e-3));
        assert!(ends[1].0 >= lo && ends[1].0 - lo < 1e-3 && ends[1].1.is_some_and(|o| o < lo));
        assert!(asked < 60, "{asked} questions");
        // A convex objective is largest at an end: with cost = −(λ − 1)², the far end (5.5) wins.
        let best = best_end(&ends, &mut |l| -(l - 1.0) * (l - 1.0));
        assert!((best - hi).abs() < 1e-3, "{best}");
        let best = best_end(&ends, &mut |l| -(l - 3.0) * (l - 3.0));
        assert!((best - lo).abs() < 1e-3, "{best}");
        // Unbounded on one side: that end reports no outside point.
        let ends = interval_ends(&mut |l| l > 0.0, 1.0, 1e-4);
        assert!(ends[0].1.is_none() && ends[1].1.is_some());
    }
}
