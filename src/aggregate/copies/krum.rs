//! Krum and Multi-Krum with f copies of one vector. The honest vectors'
//! distances to each other, (H² − H)/2 of the (n² − n)/2, do not depend on
//! the copies: they are computed once, and each candidate adds only its H
//! distances to the honest vectors (and its distance to itself, 0 unless it
//! is not finite). The scores and the choice are then Krum's own, on the
//! same distance matrix, so the bits are the rule's (tested).

use super::Candidate;
use crate::aggregate::Vectors;
use crate::aggregate::kernels::{mean_of, pairwise_sq_distances, sq_distances_to};
use crate::aggregate::krum::select_from_distances;

/// The squared distances from the honest vectors to (1 − η) ḡ as
/// e_i + 2η b_i + η² c ([`KrumWithCopies::line`]).
pub struct KrumLine {
    e: Vec<f64>,
    b: Vec<f64>,
    c: f64,
}

/// Krum (`m = None`) or Multi-Krum of the honest vectors and f copies of one vector, prepared for many candidates.
pub struct KrumWithCopies<'a> {
    honest: &'a Vectors,
    f: usize,
    discard: usize,
    /// Multi-Krum's m; `None` for Krum, which returns the chosen vector itself.
    m: Option<usize>,
    /// The honest vectors' squared distances, H × H.
    between: Vec<f64>,
}

impl<'a> KrumWithCopies<'a> {
    /// Prepares `honest` for f copies of a candidate.
    pub fn new(honest: &'a Vectors, f: usize, discard: usize, m: Option<usize>) -> Self {
        KrumWithCopies { honest, f, discard, m, between: pairwise_sq_distances(honest) }
    }

    /// The rule's choice among the honest vectors and f copies of `v`: rows
    /// below H are honest, the others copies; as `krum_select`.
    fn choose(&self, v: &[f32]) -> Vec<usize> {
        let rows: Vec<&[f32]> = self.honest.iter().map(Vec::as_slice).collect();
        let itself = if self.f > 1 { sq_distances_to(v, &[v])[0] } else { 0.0 };
        self.choose_at(&sq_distances_to(v, &rows), itself)
    }

    /// The choice given the candidate's squared distances to the honest vectors and to its own copies.
    fn choose_at(&self, to_v: &[f64], itself: f64) -> Vec<usize> {
        let (h, n) = (self.honest.len(), self.honest.len() + self.f);
        let mut d = vec![0.0; n * n];
        for i in 0..n {
            for j in 0..n {
                d[i * n + j] = match (i < h, j < h) {
                    _ if i == j => 0.0,
                    (true, true) => self.between[i * h + j],
                    (true, false) => to_v[i],
                    (false, true) => to_v[j],
                    (false, false) => itself,
                };
            }
        }
        let mut idx = select_from_distances(&d, n, self.discard, self.m.unwrap_or(1).max(1));
        idx.sort_unstable();
        idx
    }

    /// Whether Krum (not Multi-Krum) picks a copy of (1 − η) ḡ, for many η
    /// (see [`KrumWithCopies::line`]).
    pub fn krum_picks_along(&self, mean: &[f32]) -> Option<impl Fn(f64) -> bool + '_> {
        let line = self.line(mean)?;
        let h = self.honest.len();
        Some(move |eta: f64| self.choice_on_line(&line, eta).iter().any(|&r| r >= h))
    }

    /// Krum's (not Multi-Krum's) distances to copies of (1 − η) ḡ, for many
    /// η, from ‖h_i − (1 − η) ḡ‖² = ‖e_i‖² + 2η⟨e_i, ḡ⟩ + η²‖ḡ‖² with
    /// e_i = h_i − ḡ: three numbers per honest vector, so each η costs Krum's
    /// scores alone. Exact but for rounding (not bit for bit: the attack's
    /// vector is not rounded to `f32` here), for a search that scores its
    /// answers exactly or tolerates rounding (`solver: auto`).
    pub fn line(&self, mean: &[f32]) -> Option<KrumLine> {
        self.m.is_none().then_some(())?;
        let g: Vec<f64> = mean.iter().map(|&x| f64::from(x)).collect();
        let c: f64 = g.iter().map(|x| x * x).sum();
        let (e, b): (Vec<f64>, Vec<f64>) = self
            .honest
            .iter()
            .map(|h| {
                let dev = h.iter().zip(&g).map(|(&x, y)| f64::from(x) - y);
                dev.zip(&g).fold((0.0, 0.0), |(e, b), (d, y)| (e + d * d, b + d * y))
            })
            .unzip();
        Some(KrumLine { e, b, c })
    }

    /// Krum's aggregate for copies of (1 − η) ḡ on `line`: `Copy`, or the honest rows it chose.
    pub fn candidate_on_line(&self, line: &KrumLine, eta: f64) -> Candidate {
        let rows = self.choice_on_line(line, eta);
        if self.only_honest(&rows) { Candidate::Honest(rows) } else { Candidate::Copy }
    }

    /// The choice holds no copy.
    fn only_honest(&self, rows: &[usize]) -> bool {
        rows.iter().all(|&r| r < self.honest.len())
    }

    /// Krum's choice (rows below H honest, the others copies) for copies of (1 − η) ḡ on `line`.
    fn choice_on_line(&self, line: &KrumLine, eta: f64) -> Vec<usize> {
        let to_v: Vec<f64> =
            line.e.iter().zip(&line.b).map(|(e, b)| (e + 2.0 * eta * b + eta * eta * line.c).max(0.0)).collect();
        self.choose_at(&to_v, 0.0)
    }

    /// The aggregate for candidate `v`, or the honest rows it chose.
    pub fn candidate(&self, v: &[f32]) -> Candidate {
        let rows = self.choose(v);
        let h = self.honest.len();
        if self.only_honest(&rows) {
            return Candidate::Honest(rows);
        }
        match self.m {
            None => Candidate::Copy,
            Some(_) => {
                let chosen: Vec<Vec<f32>> =
                    rows.iter().map(|&r| if r < h { self.honest[r].clone() } else { v.to_vec() }).collect();
                Candidate::Vector(mean_of(&chosen, &(0..chosen.len()).collect::<Vec<_>>()))
            }
        }
    }

    /// The aggregate of honest rows the rule chose.
    pub fn honest_aggregate(&self, rows: &[usize]) -> Vec<f32> {
        match self.m {
            None => rows.first().map_or_else(Vec::new, |&r| self.honest[r].clone()),
            Some(_) => mean_of(self.honest, rows),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::WithCopies;
    use super::*;
    use crate::aggregate::krum::{krum, multikrum};
    use rand::{Rng, SeedableRng};

    #[test]
    fn equals_krum_and_multikrum_of_the_union_bit_for_bit() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        let d = 5000;
        let bits = |x: &[f32]| x.iter().map(|y| y.to_bits()).collect::<Vec<_>>();
        for (h, f) in [(12, 3), (7, 2), (5, 1), (9, 4)] {
            let honest: Vec<Vec<f32>> =
                (0..h).map(|_| (0..d).map(|_| rng.random_range(-1.0f32..1.0)).collect()).collect();
            let mean = crate::aggregate::mean::mean(&honest);
            for discard in [f, f + 1] {
                for m in [None, Some(1), Some(h - 1), Some(h + f - 2)] {
                    let prepared = WithCopies::Krum(KrumWithCopies::new(&honest, f, discard, m));
                    let mut seen_honest = false;
                    for lambda in [-3.0f32, -0.5, 0.0, 0.2, 1.0, 1.05, 2.5, 40.0, f32::INFINITY] {
                        let v: Vec<f32> = mean.iter().map(|x| x * lambda).collect();
                        let mut all = honest.clone();
                        all.extend(std::iter::repeat_n(v.clone(), f));
                        let slow = match m {
                            None => krum(&all, f, discard),
                            Some(m) => multikrum(&all, f, discard, m),
                        };
                        seen_honest |= matches!(prepared.candidate(&v), Candidate::Honest(_));
                        assert_eq!(
                            bits(&prepared.aggregate(&v)),
                            bits(&slow),
                            "h {h} f {f} discard {discard} m {m:?} λ {lambda}"
                        );
                    }
                    if m.is_none() {
                        let picks = prepared.krum_picks_along(&mean).expect("krum");
                        let mut agree = 0;
                        for k in -400..400 {
                            let eta = f64::from(k) / 40.0;
                            let v: Vec<f32> = mean.iter().map(|x| (f64::from(*x) * (1.0 - eta)) as f32).collect();
                            agree += usize::from(picks(eta) == matches!(prepared.candidate(&v), Candidate::Copy));
                        }
                        assert!(agree >= 798, "Krum's choice along the line: {agree} of 800 agree");
                    }
                    if m.unwrap_or(1) <= h {
                        assert!(seen_honest, "some candidate should leave the copies out");
                    }
                }
            }
        }
    }
}
