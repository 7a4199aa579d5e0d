//! Sequential centred clipping (S-CC).
//!
//! The defence Özfatura, Özfatura, Küpçü & Gündüz propose against their own
//! ROP attack ("Byzantines Can Also Learn From History: Fall of Centered
//! Clipping in Federated Learning", IEEE TIFS 19, 2024), as the authors' code
//! runs it (FL-Byzantine-Library, `aggregators/cc_seq.py`, `Clipping_seq`
//! with its defaults: no bucket averaging, one reference):
//!
//! - the vectors are put in buckets of at most `bucket` vectors: sorted by
//!   their cosine to the previous aggregate m̃, cut into `bucket` groups of
//!   near-equal size (numpy's `array_split`), and each group's members dealt
//!   to ⌈n/`bucket`⌉ buckets by a random permutation, so that every bucket
//!   mixes vectors of low, middle and high similarity; at the first step (no
//!   m̃ yet) a random order is cut into max(1, ⌊n/`bucket`⌋) buckets instead
//!   (the library cuts ⌊n/3⌋ whatever its bucket length, and fails for n < 3);
//! - then, bucket after bucket, one centred-clipping step (`cc`) around the
//!   current centre, starting from m̃ (zero at the first step):
//!   c ← c + (1/|B|) Σ_{x∈B} clip_τ(x − c).
//!
//! Defaults as the library: τ = 1, buckets of 3. Permutations come from the
//! step's aggregation stream. The previous aggregate is part of the simulated
//! state (`Ctx::previous`), as for `cc`. A vector of non-finite cosine sorts
//! last (the most similar), as torch's `argsort` puts NaN.

use rand::seq::SliceRandom;

use super::cc::centered_clipping;
use super::kernels::{dot, norm};
use super::{Capabilities, Ctx, RuleEntry, Vectors};
use crate::spec::{Default, Kind, Param, ParamType, Spec};
use crate::task::split::array_split;

/// The buckets of this step, as lists of indices, in the order they are clipped.
pub fn buckets(v: &Vectors, previous: &[f32], bucket: usize, ctx: &mut Ctx) -> Vec<Vec<usize>> {
    let n = v.len();
    let mut order: Vec<usize> = (0..n).collect();
    if previous.is_empty() {
        order.shuffle(ctx.rng);
        return array_split(&order, (n / bucket).max(1)).into_iter().map(<[usize]>::to_vec).collect();
    }
    let np = norm(previous);
    // torch's cosine_similarity divides by max(‖x‖‖m̃‖, 10⁻⁸): a zero vector has cosine 0.
    let cosine = |x: &[f32]| dot(x, previous) / (norm(x) * np).max(1e-8);
    let sims: Vec<f64> = v.iter().map(|x| cosine(x)).collect();
    // NaN last whatever its sign bit (torch's argsort), the rest ascending.
    order.sort_by(|&a, &b| sims[a].is_nan().cmp(&sims[b].is_nan()).then(sims[a].total_cmp(&sims[b])));
    let mut out = vec![vec![]; n.div_ceil(bucket)];
    for group in array_split(&order, bucket.min(n)) {
        let mut slots: Vec<usize> = (0..group.len()).collect();
        slots.shuffle(ctx.rng);
        for (&slot, &i) in slots.iter().zip(group) {
            out[slot].push(i);
        }
    }
    out
}

/// The aggregate: one centred-clipping step per bucket, in turn, from the previous aggregate.
pub fn scc(v: &Vectors, ctx: &mut Ctx, tau: f64, bucket: usize) -> Vec<f32> {
    let previous = ctx.previous;
    let mut centre = previous.to_vec();
    for b in buckets(v, previous, bucket, ctx) {
        let rows: Vec<&[f32]> = b.iter().map(|&i| v[i].as_slice()).collect();
        centre = centered_clipping(&rows, &centre, tau, 1);
    }
    centre
}

/// The registry entry of sequential centred clipping (`scc`).
pub const ENTRY: RuleEntry = RuleEntry {
    spec: Spec {
        name: "scc",
        kind: Kind::Rule,
        aliases: &["sequential_cc"],
        summary: "sequential centred clipping over buckets that mix similar and dissimilar vectors",
        doc: "Özfatura et al., IEEE TIFS 2024 (FL-Byzantine-Library's Clipping_seq): sort the vectors by \
              cosine to the previous aggregate, cut them into `bucket` groups and deal each group to \
              ⌈n/bucket⌉ buckets at random, \
              then clip around the running centre one bucket at a time: c ← c + mean_B clip_τ(x − c), \
              from the previous aggregate (random buckets and a zero centre at the first step).",
        params: &[
            Param {
                name: "tau",
                ty: ParamType::Float { min: 0.0, inclusive: false },
                default: Default::Float(1.0),
                doc: "clipping radius τ around the running centre (the library's default 1)",
            },
            Param {
                name: "bucket",
                ty: ParamType::Int { min: 1 },
                default: Default::Int(3),
                doc: "the most vectors in a bucket, and how many similarity groups are dealt (3)",
            },
        ],
        requires: None,
        degenerate: None,
        needs_labels: false,
    },
    build: |c| {
        let (tau, bucket) = (c.float("tau"), c.int("bucket") as usize);
        Box::new(move |v, ctx| scc(v, ctx, tau, bucket))
    },
    capabilities: Capabilities::NONE,
};

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    fn ctx<'a>(rng: &'a mut rand_chacha::ChaCha8Rng, previous: &'a [f32]) -> Ctx<'a> {
        Ctx { f: 0, rng, previous, norms: &[], server: &[] }
    }

    #[test]
    fn buckets_mix_the_similarity_groups() {
        // Seven vectors at angles 0°, 15°, ..., 90° from m̃ = (1, 0): three groups
        // (sizes 3, 2, 2) dealt into ⌈7/3⌉ = 3 buckets, one of each group per bucket.
        let v: Vec<Vec<f32>> =
            (0..7).map(|k| f32::to_radians(15.0 * k as f32)).map(|a| vec![a.cos(), a.sin()]).collect();
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
        let b = buckets(&v, &[1.0, 0.0], 3, &mut ctx(&mut rng, &[]));
        assert_eq!(b.len(), 3);
        let mut all: Vec<usize> = b.concat();
        all.sort_unstable();
        assert_eq!(all, (0..7).collect::<Vec<_>>());
        // Sorted by cosine ascending: {6, 5, 4} least similar, then {3, 2}, then {1, 0}.
        let group = |i: usize| {
            if i >= 4 {
                0
            } else if i >= 2 {
                1
            } else {
                2
            }
        };
        for bucket in &b {
            let mut groups: Vec<usize> = bucket.iter().map(|&i| group(i)).collect();
            groups.dedup();
            assert_eq!(groups.len(), bucket.len(), "{b:?}");
            assert_eq!(groups[0], 0, "every bucket has one of the least similar: {b:?}");
        }
        // The first step: random buckets of at least 3.
        let first = buckets(&v, &[], 3, &mut ctx(&mut rng, &[]));
        assert_eq!(first.iter().map(Vec::len).collect::<Vec<_>>(), [4, 3]);
    }

    #[test]
    fn a_non_finite_cosine_sorts_as_the_most_similar() {
        // With `bucket` = n every group holds one vector and the one bucket lists them in sorted order.
        let v = vec![vec![1.0f32, 0.0], vec![0.0, 1.0], vec![f32::INFINITY, 0.0], vec![-1.0, 0.0]];
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0);
        assert_eq!(buckets(&v, &[1.0, 0.0], 4, &mut ctx(&mut rng, &[])), [vec![3, 1, 0, 2]]);
        let out = scc(&v, &mut ctx(&mut rng, &[1.0, 0.0]), 1.0, 4);
        assert!(out.iter().all(|x| x.is_finite()), "{out:?}");
    }

    #[test]
    fn clipping_runs_bucket_after_bucket() {
        // n = 2 in buckets of one at the first step: from 0, each vector in
        // turn moves the centre by its difference clipped to τ = 1.
        let xs = [[3.0f64, 4.0], [10.0, 0.0]];
        let v: Vec<Vec<f32>> = xs.iter().map(|x| x.iter().map(|&y| y as f32).collect()).collect();
        let step = |c: [f64; 2], x: [f64; 2]| {
            let d = [x[0] - c[0], x[1] - c[1]];
            let s = (1.0 / (d[0] * d[0] + d[1] * d[1]).sqrt()).min(1.0);
            [c[0] + d[0] * s, c[1] + d[1] * s]
        };
        let (a, b) = (step(step([0.0; 2], xs[0]), xs[1]), step(step([0.0; 2], xs[1]), xs[0]));
        assert!((a[1] - b[1]).abs() > 0.1, "the order matters: {a:?} vs {b:?}");
        for seed in 0..4 {
            let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
            let order = buckets(&v, &[], 1, &mut ctx(&mut rng.clone(), &[]));
            let want = if order == [vec![0], vec![1]] { a } else { b };
            let out = scc(&v, &mut ctx(&mut rng, &[]), 1.0, 1);
            assert!(out.iter().zip(want).all(|(o, w)| (f64::from(*o) - w).abs() < 1e-6), "{out:?} vs {want:?}");
        }
        // A large τ and one bucket: the mean, from any centre.
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0);
        assert_eq!(scc(&v, &mut ctx(&mut rng, &[5.0, 5.0]), 1e9, 3), [6.5, 2.0]);
    }
}
