//! Bucketing (pre-aggregation by random grouping).
//!
//! Randomly permute the `n` vectors, split them into `⌈n/s⌉` consecutive buckets
//! of size `s` (the last may be smaller) and return each bucket's mean; a robust
//! rule is then applied to these means. Source: Karimireddy, He & Jaggi,
//! "Byzantine-Robust Learning on Heterogeneous Datasets via Bucketing", ICLR 2022.
//!
//! The permutation is the Fisher–Yates shuffle of `rand::seq::SliceRandom::shuffle`
//! driven by `rng`; it is applied to the indices `0..n`, which consumes the rng
//! exactly as shuffling the vectors themselves would and gives the same order.
//! Each bucket mean is accumulated in `f64` in increasing index order.
//! Preconditions (caller guarantees): all vectors have the same length and
//! `s ≥ 1` (`s = 0` is treated as 1). `n = 0` yields an empty vector.
//! Non-finite inputs propagate into their bucket's mean and never panic.

use super::PreEntry;
use super::Vectors;
use crate::spec::{Default, Kind, Param, ParamType, Spec};
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;

/// Buckets of at least n vectors make one bucket: the rule after it sees the mean alone.
/// So s ≥ n averages everything (the mean); s = 1 only shuffles the vectors,
/// which no rule of byz tells apart from the vectors as they came.
fn one_bucket(n: &crate::spec::Setting, args: &crate::plan::Args) -> Option<crate::spec::Unmet> {
    let Some(crate::plan::ArgValue::Int(s)) = args.get("s") else { return None };
    if *s == 1 {
        return Some(crate::spec::Unmet {
            message: "bucketing(s: 1) only shuffles the vectors: the rule after it sees them as they are".into(),
            label: "buckets of one vector".into(),
            help: "use buckets of two or more, e.g. `bucketing(s: 2)` (Karimireddy et al. 2022), or drop it".into(),
        });
    }
    (*s as usize >= n.n).then(|| crate::spec::Unmet {
        message: format!("bucketing(s: {s}) puts all {} vectors in one bucket: the pipeline equals `mean`", n.n),
        label: format!("s ≥ n = {}", n.n),
        help: "use small buckets, e.g. `bucketing(s: 2)` (Karimireddy et al. 2022)".into(),
    })
}

/// Means of `⌈n/s⌉` buckets of the vectors shuffled by `rng` (`s = 0` counts as 1).
pub fn bucketing(v: &Vectors, s: usize, rng: &mut ChaCha8Rng) -> Vec<Vec<f32>> {
    let mut idx: Vec<usize> = (0..v.len()).collect();
    idx.shuffle(rng);
    idx.chunks_mut(s.max(1))
        .map(|bucket| {
            bucket.sort_unstable();
            let mut acc = vec![0.0f64; v[bucket[0]].len()];
            for &i in &*bucket {
                for (a, &x) in acc.iter_mut().zip(&v[i]) {
                    *a += f64::from(x);
                }
            }
            let len = bucket.len() as f64;
            acc.into_iter().map(|a| (a / len) as f32).collect()
        })
        .collect()
}

/// The registry entry of bucketing (`bucketing`), buckets of s = 2 vectors by default.
pub const ENTRY: PreEntry = PreEntry {
    spec: Spec {
        name: "bucketing",
        kind: Kind::PreAggregator,
        aliases: &[],
        summary: "average random buckets of s vectors",
        doc: "Shuffle the n vectors with the step's seeded stream and average consecutive buckets \
              of size s (Karimireddy et al. 2022).",
        params: &[Param { name: "s", ty: ParamType::Int { min: 1 }, default: Default::Int(2), doc: "bucket size" }],
        requires: None,
        degenerate: Some(one_bucket),
        needs_labels: false,
    },
    build: |c| {
        let s = c.int("s") as usize;
        Box::new(move |v, ctx| bucketing(v, s, ctx.rng))
    },
};

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    fn input() -> Vec<Vec<f32>> {
        vec![vec![1.0, -1.0], vec![2.0, 0.0], vec![4.0, 3.0], vec![8.0, 1.0], vec![16.0, 2.0]]
    }

    #[test]
    fn empty() {
        let mut rng = ChaCha8Rng::seed_from_u64(0);
        assert!(bucketing(&[], 2, &mut rng).is_empty());
    }

    #[test]
    fn s_one_is_the_shuffle_permutation() {
        let v = input();
        let out = bucketing(&v, 1, &mut ChaCha8Rng::seed_from_u64(3));
        let mut expected = v.clone();
        expected.shuffle(&mut ChaCha8Rng::seed_from_u64(3));
        assert_eq!(out, expected);
        // ... hence a permutation of the input; s = 0 behaves as s = 1.
        let mut sorted = out.clone();
        sorted.sort_by(|a, b| a[0].total_cmp(&b[0]));
        assert_eq!(sorted, v);
        assert_eq!(bucketing(&v, 0, &mut ChaCha8Rng::seed_from_u64(3)), out);
    }

    #[test]
    fn s_n_is_the_mean() {
        let v = input();
        // (1+2+4+8+16)/5 = 6.2, (-1+0+3+1+2)/5 = 1
        assert_eq!(bucketing(&v, 5, &mut ChaCha8Rng::seed_from_u64(9)), vec![vec![6.2, 1.0]]);
        assert_eq!(bucketing(&v, 99, &mut ChaCha8Rng::seed_from_u64(9)), vec![vec![6.2, 1.0]]);
    }

    #[test]
    fn buckets_of_two_follow_the_shuffle() {
        let v = input();
        let mut rng = ChaCha8Rng::seed_from_u64(11);
        let out = bucketing(&v, 2, &mut rng);
        let mut shuffled = v.clone();
        let mut rng2 = ChaCha8Rng::seed_from_u64(11);
        shuffled.shuffle(&mut rng2);
        assert_eq!(out.len(), 3);
        for (k, m) in out.iter().enumerate() {
            let b = &shuffled[2 * k..(2 * k + 2).min(5)];
            let n = b.len() as f32;
            assert_eq!(*m, vec![b.iter().map(|x| x[0]).sum::<f32>() / n, b.iter().map(|x| x[1]).sum::<f32>() / n]);
        }
        // the caller's rng advanced exactly as a shuffle of the vectors would
        assert_eq!(rng, rng2);
    }
}
