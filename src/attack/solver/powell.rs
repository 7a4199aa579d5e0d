//! Powell's conjugate-direction method with bracketed Brent line searches.

use super::{Minimum, SolverOptions};

const GOLD: f64 = 1.618034;
const GROW_LIMIT: f64 = 110.0;
const MAX_EXPANSIONS: usize = 100;
const CGOLD: f64 = 0.381_966;
const MIN_TOL: f64 = 1e-11;
const LINE_MAX_ITERS: usize = 500;

type Point = (f64, f64);

/// Comparison key: NaN counts as +infinity.
fn key(v: f64) -> f64 {
    if v.is_nan() { f64::INFINITY } else { v }
}

/// Minimises `f` from `x0` by Powell's (1964) conjugate-direction method, following SciPy's rules.
pub fn minimize(f: &mut dyn FnMut(&[f64]) -> f64, x0: &[f64], opts: &SolverOptions) -> Minimum {
    let n = x0.len();
    let mut best = Minimum { x: x0.to_vec(), value: f(x0), evaluations: 1 };
    if n == 0 {
        return best;
    }
    let mut fval = key(best.value);
    let mut eval = |x: &[f64]| {
        let v = f(x);
        best.evaluations += 1;
        if key(v) < key(best.value) {
            best.x = x.to_vec();
            best.value = v;
        }
        key(v)
    };
    let tol = opts.xtol * 100.0;
    let mut dirs: Vec<Vec<f64>> = (0..n).map(|i| (0..n).map(|j| if i == j { 1.0 } else { 0.0 }).collect()).collect();
    let (mut x, mut x1) = (x0.to_vec(), x0.to_vec());
    for iter in 1..=opts.max_iters {
        let fx = fval;
        let (mut big, mut delta) = (0, 0.0);
        for (i, d) in dirs.iter().enumerate() {
            let before = fval;
            fval = line_search(&mut eval, &mut x, d, fval, tol).0;
            if before - fval > delta {
                (big, delta) = (i, before - fval);
            }
        }
        let converged =
            if fx.is_finite() { 2.0 * (fx - fval) <= opts.ftol * (fx.abs() + fval.abs()) + 1e-20 } else { fval == fx };
        if converged || iter >= opts.max_iters {
            break;
        }
        // Extrapolate along the net displacement of this sweep and maybe adopt it as a new direction.
        let dir: Vec<f64> = x.iter().zip(&x1).map(|(a, b)| a - b).collect();
        x1.clone_from(&x);
        let x2: Vec<f64> = x.iter().zip(&dir).map(|(a, d)| a + d).collect();
        let fx2 = eval(&x2);
        if fx > fx2 {
            let (t1, t2) = (fx - fval - delta, fx - fx2);
            if 2.0 * (fx + fx2 - 2.0 * fval) * t1 * t1 - delta * t2 * t2 < 0.0 {
                let (fnew, step) = line_search(&mut eval, &mut x, &dir, fval, tol);
                fval = fnew;
                if step.iter().any(|&s| s != 0.0) {
                    dirs.swap(big, n - 1);
                    dirs[n - 1] = step;
                }
            }
        }
    }
    best
}

/// Minimises along `x + t * d`, moves `x` there and returns the new value and the step `t * d`.
fn line_search(eval: &mut dyn FnMut(&[f64]) -> f64, x: &mut [f64], d: &[f64], fval: f64, tol: f64) -> (f64, Vec<f64>) {
    if d.iter().all(|&di| di == 0.0) {
        return (fval, d.to_vec());
    }
    let mut p = x.to_vec();
    let mut phi = |t: f64| {
        for ((pi, xi), di) in p.iter_mut().zip(x.iter()).zip(d) {
            *pi = xi + t * di;
        }
        eval(&p)
    };
    let (t, value, _) = brent_line(&mut phi, 0.0, 1.0, tol, LINE_MAX_ITERS);
    let step: Vec<f64> = d.iter().map(|di| t * di).collect();
    for (xi, di) in x.iter_mut().zip(d) {
        *xi += t * di;
    }
    (value, step)
}

/// Brackets a minimum of `f` from `(a, b)`, then refines it by Brent's method (SciPy's `brent`).
///
/// Returns (minimiser, value, evaluations), with NaN values counted and reported as +infinity.
/// `tol` is relative to the minimiser; if no bracket is found, the best bracket point is returned.
pub(crate) fn brent_line(
    f: &mut dyn FnMut(f64) -> f64,
    a: f64,
    b: f64,
    tol: f64,
    max_iters: usize,
) -> (f64, f64, usize) {
    let mut evals = 0;
    let mut g = |t: f64| {
        evals += 1;
        key(f(t))
    };
    let [pa, (xb, fb), pc] = match bracket(&mut g, a, b) {
        Ok(points) => points,
        Err((x, fx)) => return (x, fx, evals),
    };
    let (mut x, mut w, mut v, mut fx, mut fw, mut fv) = (xb, xb, xb, fb, fb, fb);
    let (mut a, mut b) = (pa.0.min(pc.0), pa.0.max(pc.0));
    let (mut deltax, mut rat) = (0.0_f64, 0.0_f64);
    for _ in 0..max_iters {
        let tol1 = tol * x.abs() + MIN_TOL;
        let tol2 = 2.0 * tol1;
        let xmid = 0.5 * (a + b);
        if (x - xmid).abs() < tol2 - 0.5 * (b - a) {
            break;
        }
        let golden_gap = if x >= xmid { a - x } else { b - x };
        if deltax.abs() <= tol1 {
            (deltax, rat) = (golden_gap, CGOLD * golden_gap);
        } else {
            // Parabola through (v, fv), (w, fw), (x, fx): its vertex is at x + p / q.
            let (tmp1, tmp2) = ((x - w) * (fx - fv), (x - v) * (fx - fw));
            let q = 2.0 * (tmp2 - tmp1);
            let p = ((x - v) * tmp2 - (x - w) * tmp1) * if q > 0.0 { -1.0 } else { 1.0 };
            let (q, dx_temp) = (q.abs(), deltax);
            deltax = rat;
            if p > q * (a - x) && p < q * (b - x) && p.abs() < (0.5 * q * dx_temp).abs() {
                rat = p / q;
                if x + rat - a < tol2 || b - (x + rat) < tol2 {
                    rat = if xmid - x >= 0.0 { tol1 } else { -tol1 };
                }
            } else {
                (deltax, rat) = (golden_gap, CGOLD * golden_gap);
            }
        }
        let u = x + if rat.abs() >= tol1 {
            rat
        } else if rat >= 0.0 {
            tol1
        } else {
            -tol1
        };
        let fu = g(u);
        if fu > fx {
            (a, b) = if u < x { (u, b) } else { (a, u) };
            if fu <= fw || w == x {
                (v, fv, w, fw) = (w, fw, u, fu);
            } else if fu <= fv || v == x || v == w {
                (v, fv) = (u, fu);
            }
        } else {
            (a, b) = if u >= x { (x, b) } else { (a, x) };
            (v, fv, w, fw, x, fx) = (w, fw, x, fx, u, fu);
        }
    }
    (x, fx, evals)
}

/// SciPy's `bracket`: golden-section expansion with parabolic extrapolation; `Err` holds the best point seen.
fn bracket(g: &mut dyn FnMut(f64) -> f64, a: f64, b: f64) -> Result<[Point; 3], Point> {
    let (mut xa, mut xb) = (a, b);
    let (mut fa, mut fb) = (g(xa), g(xb));
    if fa < fb {
        (xa, xb, fa, fb) = (xb, xa, fb, fa);
    }
    let mut xc = xb + GOLD * (xb - xa);
    let mut fc = g(xc);
    let mut expansions = 0;
    while fc < fb && xc.is_finite() && expansions < MAX_EXPANSIONS {
        expansions += 1;
        let (tmp1, tmp2) = ((xb - xa) * (fb - fc), (xb - xc) * (fb - fa));
        let val = tmp2 - tmp1;
        let denom = 2.0 * if val.abs() < 1e-21 { 1e-21 } else { val };
        let mut w = xb - ((xb - xc) * tmp2 - (xb - xa) * tmp1) / denom;
        let wlim = xb + GROW_LIMIT * (xc - xb);
        let mut fw;
        if (w - xc) * (xb - w) > 0.0 {
            fw = g(w);
            if fw < fc {
                (xa, xb, fa, fb) = (xb, w, fb, fw);
                break;
            } else if fw > fb {
                (xc, fc) = (w, fw);
                break;
            }
            w = xc + GOLD * (xc - xb);
            fw = g(w);
        } else if (w - wlim) * (wlim - xc) >= 0.0 {
            w = wlim;
            fw = g(w);
        } else if (w - wlim) * (xc - w) > 0.0 {
            fw = g(w);
            if fw < fc {
                (xb, xc, fb, fc) = (xc, w, fc, fw);
                w = xc + GOLD * (xc - xb);
                fw = g(w);
            }
        } else {
            w = xc + GOLD * (xc - xb);
            fw = g(w);
        }
        (xa, xb, xc, fa, fb, fc) = (xb, xc, w, fb, fc, fw);
    }
    let points = [(xa, fa), (xb, fb), (xc, fc)];
    let ordered = (xa < xb && xb < xc) || (xc < xb && xb < xa);
    let lowest = (fb < fc && fb <= fa) || (fb < fa && fb <= fc);
    if ordered && lowest && points.iter().all(|p| p.0.is_finite()) {
        return Ok(points);
    }
    let finite = points.into_iter().filter(|p| p.0.is_finite());
    let lowest = finite.min_by(|p, q| p.1.total_cmp(&q.1));
    Err(lowest.unwrap_or((xb, fb)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::attack::solver::test_functions::{bumpy, near, quadratic, rosenbrock};

    fn solve(mut f: impl FnMut(&[f64]) -> f64, x0: &[f64]) -> Minimum {
        minimize(&mut f, x0, &SolverOptions::default())
    }

    #[test]
    fn rosenbrock_reaches_one_one() {
        let m = solve(rosenbrock, &[-1.2, 1.0]);
        eprintln!("powell rosenbrock: {m:?}");
        assert!(near(&m.x, &[1.0, 1.0], 1e-2), "{m:?}");
    }

    #[test]
    fn quadratic_minimum() {
        let m = solve(quadratic, &[0.0, 0.0]);
        assert!(near(&m.x, &[3.0, -2.0], 1e-3), "{m:?}");
    }

    #[test]
    fn multimodal_finds_global_minimum_from_its_basin() {
        let grid = (-500_000..=500_000).map(|i| f64::from(i) * 1e-5);
        let truth = grid.min_by(|a, b| bumpy(*a).total_cmp(&bumpy(*b))).unwrap();
        let m = solve(|x| bumpy(x[0]), &[-0.2]);
        assert!(near(&m.x, &[truth], 1e-2), "{m:?} vs {truth}");
        let (t, v, evals) = brent_line(&mut bumpy, -0.2, 0.0, 1e-6, 500);
        assert!(near(&[t, v], &[truth, bumpy(truth)], 1e-4) && evals > 3);
    }

    #[test]
    fn nan_and_infinite_values_do_not_panic() {
        let nan_left = |x: &[f64]| if x[0] < 0.0 { f64::NAN } else { rosenbrock(x) };
        let m = solve(nan_left, &[0.5, 0.5]);
        assert!(m.value.is_finite() && m.value < 0.5, "{m:?}");
        assert_eq!(solve(|_| f64::NAN, &[1.0, 2.0]).x, vec![1.0, 2.0]);
        let cliff = |x: &[f64]| if x[0] > 2.0 { f64::NEG_INFINITY } else { -x[0] };
        assert_eq!(solve(cliff, &[0.0]).value, f64::NEG_INFINITY);
        assert!(solve(|x| -x[0] - x[1], &[0.0, 0.0]).value < -1e6);
        assert!(solve(|x| x[0] * x[0], &[f64::NAN]).evaluations > 1);
    }

    #[test]
    fn constant_and_empty_inputs() {
        let m = solve(|_| 7.0, &[1.0, -2.0]);
        assert_eq!((m.x, m.value), (vec![1.0, -2.0], 7.0));
        assert!(m.evaluations < 20, "{}", m.evaluations);
        let m = solve(|_| 1.0, &[]);
        assert_eq!((m.x.len(), m.value, m.evaluations), (0, 1.0, 1));
    }
}
