//! Differential evolution, DE/rand/1/bin (Storn & Price 1997), in a box
//! around x0, from a seeded stream so that runs are reproducible.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::Minimum;

/// Differential evolution's settings: the box x0 ± `width`, the generations, the population and the seed.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    pub width: f64,
    pub generations: usize,
    /// Population per dimension (at least 5 members in all).
    pub popsize: usize,
    pub seed: u64,
}

const F: f64 = 0.8;
const CR: f64 = 0.9;

fn key(v: f64) -> f64 {
    if v.is_nan() { f64::INFINITY } else { v }
}

/// Minimises `f` by DE/rand/1/bin in the box x0 ± `width`; x0 starts in the population, so the result is no worse.
pub fn minimize(f: &mut dyn FnMut(&[f64]) -> f64, x0: &[f64], o: &Options) -> Minimum {
    let d = x0.len();
    let mut evaluations = 0;
    let mut eval = |x: &[f64]| {
        evaluations += 1;
        key(f(x))
    };
    if d == 0 {
        let value = eval(x0);
        return Minimum { x: vec![], value, evaluations };
    }
    let mut rng = ChaCha8Rng::seed_from_u64(o.seed);
    let (lo, hi): (Vec<f64>, Vec<f64>) = x0.iter().map(|x| (x - o.width, x + o.width)).unzip();
    let size = (o.popsize * d).max(5);
    let mut pop: Vec<Vec<f64>> = vec![x0.to_vec()];
    while pop.len() < size {
        pop.push((0..d).map(|j| rng.random_range(lo[j]..=hi[j])).collect());
    }
    let mut values: Vec<f64> = pop.iter().map(|x| eval(x)).collect();
    for _ in 0..o.generations {
        for i in 0..size {
            let pick = |rng: &mut ChaCha8Rng, not: &[usize]| loop {
                let k = rng.random_range(0..size);
                if !not.contains(&k) {
                    break k;
                }
            };
            let a = pick(&mut rng, &[i]);
            let b = pick(&mut rng, &[i, a]);
            let c = pick(&mut rng, &[i, a, b]);
            let forced = rng.random_range(0..d);
            let trial: Vec<f64> = (0..d)
                .map(|j| {
                    if j == forced || rng.random::<f64>() < CR {
                        (pop[a][j] + F * (pop[b][j] - pop[c][j])).clamp(lo[j], hi[j])
                    } else {
                        pop[i][j]
                    }
                })
                .collect();
            let v = eval(&trial);
            if v <= values[i] {
                pop[i] = trial;
                values[i] = v;
            }
        }
    }
    let best = (0..size).min_by(|&a, &b| values[a].total_cmp(&values[b])).unwrap_or(0);
    Minimum { x: pop[best].clone(), value: values[best], evaluations }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OPTS: Options = Options { width: 5.0, generations: 200, popsize: 15, seed: 3 };

    #[test]
    fn finds_the_global_minimum_of_a_multimodal_function() {
        let m = minimize(&mut |x: &[f64]| x[0] * x[0] / 10.0 + (3.0 * x[0]).sin(), &[2.0], &OPTS);
        assert!((m.x[0] + 0.5156).abs() < 0.01, "{m:?}");
    }

    #[test]
    fn rosenbrock_and_determinism() {
        let mut rosen = |x: &[f64]| (1.0 - x[0]).powi(2) + 100.0 * (x[1] - x[0] * x[0]).powi(2);
        let m = minimize(&mut rosen, &[-1.2, 1.0], &Options { generations: 1000, ..OPTS });
        assert!((m.x[0] - 1.0).abs() < 1e-2 && (m.x[1] - 1.0).abs() < 2e-2, "{m:?}");
        let again = minimize(&mut rosen, &[-1.2, 1.0], &Options { generations: 1000, ..OPTS });
        assert_eq!(m, again);
    }

    #[test]
    fn nan_everywhere_does_not_panic() {
        let m = minimize(&mut |_: &[f64]| f64::NAN, &[0.0, 0.0], &OPTS);
        assert_eq!(m.value, f64::INFINITY);
    }
}
