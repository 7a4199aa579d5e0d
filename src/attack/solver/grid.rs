//! Grid search, and coordinate-wise Brent searches.

use super::powell::brent_line;
use super::{Minimum, SolverOptions};

/// NaN compares as +∞.
fn key(v: f64) -> f64 {
    if v.is_nan() { f64::INFINITY } else { v }
}

/// Tracks the best point seen and counts evaluations.
struct Best<'a> {
    f: &'a mut dyn FnMut(&[f64]) -> f64,
    min: Minimum,
}

impl<'a> Best<'a> {
    fn new(f: &'a mut dyn FnMut(&[f64]) -> f64, x0: &[f64]) -> Self {
        let value = f(x0);
        Best { f, min: Minimum { x: x0.to_vec(), value, evaluations: 1 } }
    }

    fn eval(&mut self, x: &[f64]) -> f64 {
        let v = (self.f)(x);
        self.min.evaluations += 1;
        if key(v) < key(self.min.value) {
            self.min.x = x.to_vec();
            self.min.value = v;
        }
        v
    }
}

fn axis(x0: f64, width: f64, points: usize) -> impl Iterator<Item = f64> {
    (0..points).map(move |k| x0 - width + 2.0 * width * k as f64 / (points - 1) as f64)
}

/// The best of `points` values per coordinate in x0 ± width.
pub fn minimize(f: &mut dyn FnMut(&[f64]) -> f64, x0: &[f64], width: f64, points: usize) -> Minimum {
    let mut best = Best::new(f, x0);
    let d = x0.len();
    let full = points.checked_pow(d as u32).filter(|&p| p <= 100_000);
    match full {
        Some(total) => {
            let mut x = x0.to_vec();
            for mut index in 0..total {
                for (j, xj) in x.iter_mut().enumerate() {
                    let k = index % points;
                    index /= points;
                    *xj = x0[j] - width + 2.0 * width * k as f64 / (points - 1) as f64;
                }
                best.eval(&x);
            }
        }
        None => {
            // Too many points for the full grid: one coordinate at a time, from the best so far.
            for j in 0..d {
                let mut x = best.min.x.clone();
                for v in axis(x0[j], width, points) {
                    x[j] = v;
                    best.eval(&x);
                }
            }
        }
    }
    best.min
}

/// Brent's method along each coordinate in turn, repeated while it improves.
pub(crate) fn coordinate_brent(f: &mut dyn FnMut(&[f64]) -> f64, x0: &[f64], opts: &SolverOptions) -> Minimum {
    let mut best = Best::new(f, x0);
    for _ in 0..opts.max_iters {
        let before = key(best.min.value);
        for j in 0..x0.len() {
            let start = best.min.x.clone();
            let mut line = |t: f64| {
                let mut x = start.clone();
                x[j] = t;
                best.eval(&x)
            };
            brent_line(&mut line, start[j], start[j] + 1.0, opts.xtol, 500);
        }
        let after = key(best.min.value);
        // SciPy's rule; a NaN difference (from infinite values) counts as no progress.
        let improved = 2.0 * (before - after) > opts.ftol * (before.abs() + after.abs()) + 1e-20;
        if !improved {
            break;
        }
    }
    best.min
}

#[cfg(test)]
mod tests {
    use super::*;

    fn multimodal(x: &[f64]) -> f64 {
        x[0] * x[0] / 10.0 + (3.0 * x[0]).sin()
    }

    #[test]
    fn grid_finds_the_global_minimum_of_a_multimodal_function() {
        // Global minimum near x = −0.5 (f ≈ −0.975); local ones near 1.5 and −2.6.
        let m = minimize(&mut |x| multimodal(x), &[2.0], 5.0, 1001);
        assert!((m.x[0] + 0.5156).abs() < 0.02, "{m:?}");
        assert_eq!(m.evaluations, 1002);
    }

    #[test]
    fn grid_in_two_dimensions_and_beyond_the_full_grid() {
        let mut quad = |x: &[f64]| (x[0] - 1.0).powi(2) + (x[1] + 2.0).powi(2);
        let m = minimize(&mut quad, &[0.0, 0.0], 3.0, 61);
        assert!((m.x[0] - 1.0).abs() < 1e-9 && (m.x[1] + 2.0).abs() < 1e-9, "{m:?}");
        let mut sum = |x: &[f64]| x.iter().map(|v| (v - 0.5).powi(2)).sum::<f64>();
        let m = minimize(&mut sum, &[0.0; 6], 1.0, 21);
        assert!(m.x.iter().all(|v| (v - 0.5).abs() < 1e-9), "{m:?}");
    }

    #[test]
    fn coordinate_brent_on_rosenbrock_and_nan() {
        let mut rosen = |x: &[f64]| (1.0 - x[0]).powi(2) + 100.0 * (x[1] - x[0] * x[0]).powi(2);
        let m = coordinate_brent(&mut rosen, &[-1.2, 1.0], &SolverOptions { max_iters: 5000, xtol: 1e-8, ftol: 1e-14 });
        assert!(m.value < 1e-3, "{m:?}");
        let mut holey = |x: &[f64]| if x[0] < 0.0 { f64::NAN } else { (x[0] - 2.0).powi(2) };
        let m = coordinate_brent(&mut holey, &[1.0], &SolverOptions::default());
        assert!((m.x[0] - 2.0).abs() < 1e-3, "{m:?}");
    }
}
