//! The geometric median with f copies of one vector. `gm` runs its
//! Weiszfeld iterations on the Gram matrix of the vectors centred on the
//! first one, an honest vector: the honest rows of that matrix do not depend
//! on the copies and are computed once, and each candidate adds only its H
//! products with the honest vectors and its own. The iterations and the final
//! weighted mean are then `gm`'s own, so the bits are the rule's (tested).

use std::sync::OnceLock;

use crate::aggregate::Vectors;
use crate::aggregate::gm::{geometric_median, weiszfeld};
use crate::aggregate::kernels::{centered_dots_to, centered_gram, weighted_mean};

/// `gm(iters, nu, tol)` of the honest vectors and f copies of one vector, prepared for many candidates.
pub struct GmWithCopies<'a> {
    honest: &'a Vectors,
    f: usize,
    iters: usize,
    nu: f64,
    tol: f64,
    /// Whether the honest vectors are finite, and their Gram matrix centred
    /// on the first (H × H), made at the first candidate: a planner that
    /// needs none (its model no longer moves) does not pay for it.
    prepared: OnceLock<(bool, Vec<f64>)>,
}

impl<'a> GmWithCopies<'a> {
    /// Prepares `honest` for f copies of a candidate.
    pub fn new(honest: &'a Vectors, f: usize, (iters, nu, tol): (usize, f64, f64)) -> Self {
        GmWithCopies { honest, f, iters, nu, tol, prepared: OnceLock::new() }
    }

    /// `prepared`, made on first use.
    fn prepared(&self) -> &(bool, Vec<f64>) {
        self.prepared.get_or_init(|| {
            let rows: Vec<&[f32]> = self.honest.iter().map(Vec::as_slice).collect();
            let finite = self.honest.iter().all(|x| x.iter().all(|t| t.is_finite()));
            (finite, if finite && !rows.is_empty() { centered_gram(&rows) } else { vec![] })
        })
    }

    /// `gm` of the honest vectors and f copies of `v`.
    pub fn aggregate(&self, v: &[f32]) -> Vec<f32> {
        let (h, n) = (self.honest.len(), self.honest.len() + self.f);
        let d = self.honest.iter().fold(v.len(), |m, x| m.min(x.len()));
        let mut rows: Vec<&[f32]> = self.honest.iter().map(|x| &x[..d]).collect();
        rows.extend(std::iter::repeat_n(&v[..d], self.f));
        let (finite, between) = self.prepared();
        if h == 0 || !finite || v[..d].iter().any(|t| !t.is_finite()) {
            let all: Vec<Vec<f32>> = rows.iter().map(|r| r.to_vec()).collect();
            return geometric_median(&all, self.iters, self.nu, self.tol);
        }
        // Row 0 is the centre: its products are 0. The others with the copies:
        let with_v = centered_dots_to(v, &rows[1..h], rows[0]);
        let itself = centered_dots_to(v, &[v], rows[0])[0];
        let mut gram = vec![0.0; n * n];
        for i in 1..n {
            for k in 1..n {
                gram[i * n + k] = match (i < h, k < h) {
                    (true, true) => between[i * h + k],
                    (true, false) => with_v[i - 1],
                    (false, true) => with_v[k - 1],
                    (false, false) => itself,
                };
            }
        }
        weighted_mean(&rows, &weiszfeld(&gram, self.iters, self.nu, self.tol))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};

    #[test]
    fn equals_gm_of_the_union_bit_for_bit() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(11);
        let d = 5000;
        let bits = |x: &[f32]| x.iter().map(|y| y.to_bits()).collect::<Vec<_>>();
        for (h, f) in [(12, 3), (5, 1), (7, 5), (1, 2)] {
            let honest: Vec<Vec<f32>> =
                (0..h).map(|_| (0..d).map(|_| rng.random_range(-1.0f32..1.0)).collect()).collect();
            let mean = crate::aggregate::mean::mean(&honest);
            for params in [(8, 1e-6, 1e-6), (3, 1e-6, 0.0), (50, 0.1, 1e-9)] {
                let prepared = GmWithCopies::new(&honest, f, params);
                for lambda in [-3.0f32, -0.5, 0.0, 0.2, 1.0, 1.05, 2.5, 40.0, f32::INFINITY] {
                    let v: Vec<f32> = mean.iter().map(|x| x * lambda).collect();
                    let mut all = honest.clone();
                    all.extend(std::iter::repeat_n(v.clone(), f));
                    let slow = geometric_median(&all, params.0, params.1, params.2);
                    assert_eq!(bits(&prepared.aggregate(&v)), bits(&slow), "h {h} f {f} {params:?} λ {lambda}");
                }
            }
        }
    }
}
