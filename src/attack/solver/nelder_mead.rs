//! Nelder–Mead downhill simplex method.

use super::{Minimum, SolverOptions};

const RHO: f64 = 1.0;
const CHI: f64 = 2.0;
const PSI: f64 = 0.5;
const SIGMA: f64 = 0.5;
const NONZERO_DELTA: f64 = 0.05;
const ZERO_DELTA: f64 = 0.00025;

/// Comparison key: NaN counts as +infinity.
fn key(v: f64) -> f64 {
    if v.is_nan() { f64::INFINITY } else { v }
}

/// Minimises `f` from `x0` by the Nelder & Mead (1965) simplex method, following SciPy's rules.
pub fn minimize(f: &mut dyn FnMut(&[f64]) -> f64, x0: &[f64], opts: &SolverOptions) -> Minimum {
    let n = x0.len();
    let mut best = Minimum { x: x0.to_vec(), value: f(x0), evaluations: 1 };
    if n == 0 {
        return best;
    }
    let mut simplex = vec![(x0.to_vec(), key(best.value))];
    let mut eval = |x: &[f64]| {
        let v = f(x);
        best.evaluations += 1;
        if key(v) < key(best.value) {
            best.x = x.to_vec();
            best.value = v;
        }
        key(v)
    };
    for k in 0..n {
        let mut y = x0.to_vec();
        y[k] = if y[k] == 0.0 { ZERO_DELTA } else { (1.0 + NONZERO_DELTA) * y[k] };
        let fy = eval(&y);
        simplex.push((y, fy));
    }
    simplex.sort_by(|a, b| a.1.total_cmp(&b.1));
    // SciPy counts building the initial simplex as the first iteration.
    for _ in 1..opts.max_iters {
        let (x_best, f_best) = (&simplex[0].0, simplex[0].1);
        let converged = simplex[1..].iter().all(|(x, fx)| {
            (fx - f_best).abs() <= opts.ftol && x.iter().zip(x_best).all(|(a, b)| (a - b).abs() <= opts.xtol)
        });
        if converged {
            break;
        }
        let mut centroid = vec![0.0; n];
        for (x, _) in &simplex[..n] {
            for (c, xi) in centroid.iter_mut().zip(x) {
                *c += xi;
            }
        }
        centroid.iter_mut().for_each(|c| *c /= n as f64);
        let (worst, f_worst) = simplex[n].clone();
        // Point on the line through the centroid and the worst vertex: (1 + c) * centroid - c * worst.
        let along = |c: f64| -> Vec<f64> {
            let pairs = centroid.iter().zip(&worst);
            pairs.map(|(m, w)| (1.0 + c) * m - c * w).collect()
        };
        let xr = along(RHO);
        let fxr = eval(&xr);
        let replacement = if fxr < simplex[0].1 {
            let xe = along(RHO * CHI);
            let fxe = eval(&xe);
            Some(if fxe < fxr { (xe, fxe) } else { (xr, fxr) })
        } else if fxr < simplex[n - 1].1 {
            Some((xr, fxr))
        } else if fxr < f_worst {
            let xc = along(PSI * RHO);
            let fxc = eval(&xc);
            (fxc <= fxr).then_some((xc, fxc))
        } else {
            let xcc = along(-PSI);
            let fxcc = eval(&xcc);
            (fxcc < f_worst).then_some((xcc, fxcc))
        };
        match replacement {
            Some(vertex) => simplex[n] = vertex,
            None => {
                let x_best = simplex[0].0.clone();
                for (x, fx) in &mut simplex[1..] {
                    for (xi, bi) in x.iter_mut().zip(&x_best) {
                        *xi = bi + SIGMA * (*xi - bi);
                    }
                    *fx = eval(x);
                }
            }
        }
        simplex.sort_by(|a, b| a.1.total_cmp(&b.1));
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::attack::solver::test_functions::{bumpy, near, quadratic, rosenbrock};

    fn solve(mut f: impl FnMut(&[f64]) -> f64, x0: &[f64], max_iters: usize) -> Minimum {
        let opts = SolverOptions { max_iters, ..SolverOptions::default() };
        minimize(&mut f, x0, &opts)
    }

    #[test]
    fn rosenbrock_reaches_one_one() {
        let m = solve(rosenbrock, &[-1.2, 1.0], 2000);
        eprintln!("nelder-mead rosenbrock: {m:?}");
        assert!(near(&m.x, &[1.0, 1.0], 1e-2), "{m:?}");
    }

    #[test]
    fn quadratic_minimum() {
        let m = solve(quadratic, &[0.0, 0.0], 200);
        assert!(near(&m.x, &[3.0, -2.0], 1e-2), "{m:?}");
    }

    #[test]
    fn multimodal_finds_global_minimum_from_its_basin() {
        let grid = (-500_000..=500_000).map(|i| f64::from(i) * 1e-5);
        let truth = grid.min_by(|a, b| bumpy(*a).total_cmp(&bumpy(*b))).unwrap();
        let m = solve(|x| bumpy(x[0]), &[-0.2], 200);
        assert!(near(&m.x, &[truth], 1e-2), "{m:?} vs {truth}");
    }

    #[test]
    fn nan_and_infinite_values_do_not_panic() {
        let nan_left = |x: &[f64]| if x[0] < 0.0 { f64::NAN } else { rosenbrock(x) };
        let m = solve(nan_left, &[0.5, 0.5], 2000);
        assert!(m.value.is_finite() && m.value < 0.5, "{m:?}");
        assert_eq!(solve(|_| f64::NAN, &[1.0, 2.0], 200).x, vec![1.0, 2.0]);
        let cliff = |x: &[f64]| if x[0] > 2.0 { f64::NEG_INFINITY } else { -x[0] };
        assert_eq!(solve(cliff, &[0.0], 200).value, f64::NEG_INFINITY);
        assert!(solve(|x| x[0] * x[0], &[f64::NAN], 200).evaluations > 1);
    }

    #[test]
    fn constant_and_empty_inputs() {
        let m = solve(|_| 7.0, &[1.0, -2.0], 200);
        assert_eq!((m.x, m.value), (vec![1.0, -2.0], 7.0));
        assert!(m.evaluations < 100, "{}", m.evaluations);
        let m = solve(|_| 1.0, &[], 200);
        assert_eq!((m.x.len(), m.value, m.evaluations), (0, 1.0, 1));
    }
}
