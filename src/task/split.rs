//! How the training set is divided among the honest workers
//! (`workers { heterogeneity ... }`). Every split is a pure function of the
//! seed, and every honest worker gets data.

use rand::seq::SliceRandom;
use rand_distr::{Distribution, Gamma};

use crate::plan::ComponentPlan;
use crate::rng::{Purpose, stream};
use crate::spec::{Default, Kind, Param, ParamType, Spec};

pub use crate::plan::Heterogeneity;

/// A data split in the registry: its `Spec`, and the `Heterogeneity` its checked arguments give.
pub struct SplitEntry {
    pub spec: Spec,
    pub build: fn(&ComponentPlan) -> Heterogeneity,
}

const fn split_spec(name: &'static str, summary: &'static str, doc: &'static str, params: &'static [Param]) -> Spec {
    Spec {
        name,
        kind: Kind::Split,
        aliases: &[],
        summary,
        doc,
        params,
        requires: None,
        degenerate: None,
        needs_labels: false,
    }
}

/// Every split `workers { heterogeneity ... }` accepts, looked up by name.
pub static SPLITS: &[SplitEntry] = &[
    SplitEntry {
        spec: split_spec(
            "iid",
            "a uniform shuffle dealt round-robin",
            "Every worker sees every class in the data set's proportions (the default).",
            &[],
        ),
        build: |_| Heterogeneity::Iid,
    },
    SplitEntry {
        spec: split_spec(
            "dirichlet",
            "per class, proportions over the workers drawn from Dir(α)",
            "For each class, the shares of the workers are drawn from a symmetric Dirichlet \
             distribution Dir(α·1) (Hsu et al. 2019; 001 §5.1): α = 0.1 is highly heterogeneous, \
             α = 10 nearly iid.",
            &[Param {
                name: "alpha",
                ty: ParamType::Float { min: 0.0, inclusive: false },
                default: Default::Required,
                doc: "the concentration α; smaller is more heterogeneous",
            }],
        ),
        build: |c| Heterogeneity::Dirichlet { alpha: c.float("alpha") },
    },
    SplitEntry {
        spec: split_spec(
            "extreme",
            "sorted by label and cut into equal contiguous shards",
            "Each worker holds one or two classes only (the most heterogeneous split).",
            &[],
        ),
        build: |_| Heterogeneity::Extreme,
    },
    SplitEntry {
        spec: split_spec(
            "longtail",
            "class c keeps β^c of its samples, then an iid split",
            "A long-tailed class distribution (after Karimireddy et al. 2022; used in 000 §5.4): \
             class c keeps a share β^c of its samples, and the kept samples are dealt iid.",
            &[Param {
                name: "beta",
                ty: ParamType::Share { zero: false },
                default: Default::Required,
                doc: "the decay β in (0, 1]; 1 keeps every sample",
            }],
        ),
        build: |c| Heterogeneity::Longtail { beta: c.float("beta") },
    },
    SplitEntry {
        spec: split_spec(
            "gamma_similarity",
            "a share γ of the data iid, the rest sorted by label",
            "After ByzFL's `gamma_similarity_niid`: of a random order of the samples, the first ⌊γ·N⌋ are \
             cut into one contiguous chunk per worker, the rest are sorted by label and cut the same \
             way; each worker holds one chunk of each. γ = 1 is iid, γ = 0 the `extreme` split.",
            &[Param {
                name: "gamma",
                ty: ParamType::Share { zero: true },
                default: Default::Required,
                doc: "the iid share γ in [0, 1]",
            }],
        ),
        build: |c| Heterogeneity::GammaSimilarity { gamma: c.float("gamma") },
    },
];

/// The split a resolved `ComponentPlan` names (`iid` for a name the registry lacks, which the checker prevents).
pub fn heterogeneity(c: &ComponentPlan) -> Heterogeneity {
    SPLITS.iter().find(|e| e.spec.name == c.name).map_or(Heterogeneity::Iid, |e| (e.build)(c))
}

/// Indices into `labels` for each of `workers` workers.
pub fn split(labels: &[u8], classes: usize, workers: usize, h: Heterogeneity, seed: u64) -> Vec<Vec<usize>> {
    let mut rng = stream(seed, Purpose::Split, 0, 0);
    let mut shards = vec![vec![]; workers];
    match h {
        Heterogeneity::Iid => {
            let mut idx: Vec<usize> = (0..labels.len()).collect();
            idx.shuffle(&mut rng);
            deal(&idx, &mut shards);
        }
        Heterogeneity::Extreme => {
            let mut idx: Vec<usize> = (0..labels.len()).collect();
            idx.shuffle(&mut rng);
            idx.sort_by_key(|&i| labels[i]); // stable: the shuffle decides the order within a class
            let per = idx.len().div_ceil(workers.max(1));
            for (w, chunk) in idx.chunks(per.max(1)).enumerate() {
                shards[w.min(workers - 1)].extend_from_slice(chunk);
            }
        }
        Heterogeneity::Dirichlet { alpha } => {
            let gamma = Gamma::new(alpha, 1.0).unwrap_or_else(|_| Gamma::new(1.0, 1.0).expect("valid"));
            for c in 0..classes {
                let mut idx: Vec<usize> = (0..labels.len()).filter(|&i| usize::from(labels[i]) == c).collect();
                idx.shuffle(&mut rng);
                let draws: Vec<f64> = (0..workers).map(|_| gamma.sample(&mut rng).max(1e-300)).collect();
                let total: f64 = draws.iter().sum();
                let mut start = 0;
                let mut cum = 0.0;
                for (w, d) in draws.iter().enumerate() {
                    cum += d / total;
                    let end = if w + 1 == workers {
                        idx.len()
                    } else {
                        ((cum * idx.len() as f64).round() as usize).min(idx.len())
                    };
                    shards[w].extend_from_slice(&idx[start..end.max(start)]);
                    start = end.max(start);
                }
            }
        }
        Heterogeneity::Longtail { beta } => {
            let mut kept = vec![];
            for c in 0..classes {
                let idx: Vec<usize> = (0..labels.len()).filter(|&i| usize::from(labels[i]) == c).collect();
                let keep = ((idx.len() as f64) * beta.powi(c as i32)).ceil() as usize;
                kept.extend_from_slice(&idx[..keep.min(idx.len())]);
            }
            kept.shuffle(&mut rng);
            deal(&kept, &mut shards);
        }
        Heterogeneity::GammaSimilarity { gamma } => {
            // After ByzFL (`data_distributor.py`, `gamma_niid_idx`, which takes
            // the given order: its benchmark passes a randomly split subset, so
            // a random order too): of a random order of the samples, the first
            // ⌊γ·N⌋ are dealt in contiguous
            // chunks, the rest sorted by (label, index) and cut the same way;
            // worker i gets its iid chunk, then its sorted chunk.
            let mut idx: Vec<usize> = (0..labels.len()).collect();
            idx.shuffle(&mut rng);
            let similar = ((labels.len() as f64) * gamma).floor() as usize;
            let (iid, rest) = idx.split_at_mut(similar.min(labels.len()));
            rest.sort_by_key(|&i| (labels[i], i));
            for part in [&*iid, &*rest] {
                for (shard, chunk) in shards.iter_mut().zip(array_split(part, workers)) {
                    shard.extend_from_slice(chunk);
                }
            }
        }
    }
    feed_the_empty(&mut shards);
    shards
}

/// `parts` contiguous chunks of `idx`, the first `len mod parts` one longer
/// (numpy's `array_split`, which ByzFL's splits use).
pub(crate) fn array_split(idx: &[usize], parts: usize) -> Vec<&[usize]> {
    let parts = parts.max(1);
    let (base, extra) = (idx.len() / parts, idx.len() % parts);
    let mut out = Vec::with_capacity(parts);
    let mut start = 0;
    for k in 0..parts {
        let len = base + usize::from(k < extra);
        out.push(&idx[start..start + len]);
        start += len;
    }
    out
}

fn deal(idx: &[usize], shards: &mut [Vec<usize>]) {
    let m = shards.len();
    for (k, &i) in idx.iter().enumerate() {
        shards[k % m].push(i);
    }
}

/// A worker left without data takes the last sample of the largest shard,
/// until every worker has at least one (with very small α a Dirichlet draw
/// can leave a worker empty).
fn feed_the_empty(shards: &mut [Vec<usize>]) {
    while let Some(empty) = shards.iter().position(Vec::is_empty) {
        let largest = (0..shards.len()).max_by_key(|&w| (shards[w].len(), std::cmp::Reverse(w))).unwrap_or(0);
        if shards[largest].len() < 2 {
            return; // fewer samples than workers: nothing sensible to move
        }
        let moved = shards[largest].pop().expect("non-empty");
        shards[empty].push(moved);
    }
}

/// Each worker's class histogram.
pub(crate) fn histograms(shards: &[Vec<usize>], labels: &[u8], classes: usize) -> Vec<Vec<usize>> {
    shards
        .iter()
        .map(|s| {
            let mut h = vec![0; classes];
            s.iter().for_each(|&i| h[usize::from(labels[i])] += 1);
            h
        })
        .collect()
}

/// Mean total-variation distance between each worker's class distribution and the pooled one.
pub fn skew(shards: &[Vec<usize>], labels: &[u8], classes: usize) -> f64 {
    let hists = histograms(shards, labels, classes);
    let mut pooled = vec![0.0; classes];
    hists.iter().flatten().enumerate().for_each(|(k, c)| pooled[k % classes] += *c as f64);
    let total: f64 = pooled.iter().sum();
    let tv = |h: &Vec<usize>| {
        let n: usize = h.iter().sum();
        0.5 * h.iter().zip(&pooled).map(|(c, p)| (*c as f64 / n.max(1) as f64 - p / total).abs()).sum::<f64>()
    };
    hists.iter().map(tv).sum::<f64>() / hists.len().max(1) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels() -> Vec<u8> {
        (0..6000).map(|i| (i % 10) as u8).collect()
    }

    #[test]
    fn every_split_is_a_partition_with_data_for_everyone() {
        let l = labels();
        for h in [
            Heterogeneity::Iid,
            Heterogeneity::Extreme,
            Heterogeneity::Dirichlet { alpha: 0.01 },
            Heterogeneity::Dirichlet { alpha: 10.0 },
            Heterogeneity::GammaSimilarity { gamma: 0.0 },
            Heterogeneity::GammaSimilarity { gamma: 0.5 },
            Heterogeneity::GammaSimilarity { gamma: 1.0 },
        ] {
            let s = split(&l, 10, 12, h, 3);
            assert!(s.iter().all(|w| !w.is_empty()), "{h:?}");
            let mut all: Vec<usize> = s.concat();
            all.sort();
            assert_eq!(all, (0..l.len()).collect::<Vec<_>>(), "{h:?}");
            assert_eq!(s, split(&l, 10, 12, h, 3), "a pure function of the seed");
        }
    }

    #[test]
    fn smaller_alpha_is_more_skewed() {
        let l = labels();
        let skew_of = |alpha| skew(&split(&l, 10, 12, Heterogeneity::Dirichlet { alpha }, 1), &l, 10);
        let (low, high) = (skew_of(0.1), skew_of(10.0));
        assert!(low > 0.5 && high < 0.2 && low > 3.0 * high, "α = 0.1: {low}, α = 10: {high}");
        assert!(skew(&split(&l, 10, 12, Heterogeneity::Extreme, 1), &l, 10) > 0.8);
        assert!(skew(&split(&l, 10, 12, Heterogeneity::Iid, 1), &l, 10) < 0.1);
    }

    /// γ = 1 is as iid as `iid`, γ = 0 as skewed as `extreme`, and the skew falls as γ grows.
    #[test]
    fn gamma_similarity_interpolates_between_extreme_and_iid() {
        let l = labels();
        let skew_of = |gamma| skew(&split(&l, 10, 12, Heterogeneity::GammaSimilarity { gamma }, 1), &l, 10);
        let (none, half, all) = (skew_of(0.0), skew_of(0.5), skew_of(1.0));
        assert!(none > 0.8 && all < 0.1 && none > half && half > all, "γ = 0: {none}, 0.5: {half}, 1: {all}");
        // 6,000 samples over 12 workers: γ = 0.5 gives each 250 iid and 250 sorted.
        let s = split(&l, 10, 12, Heterogeneity::GammaSimilarity { gamma: 0.5 }, 1);
        assert!(s.iter().all(|w| w.len() == 500));
        // The sorted part of worker 0 holds the lowest label only.
        assert!(s[0][250..].iter().all(|&i| l[i] == 0));
    }

    #[test]
    fn array_split_gives_the_first_chunks_one_more() {
        let idx: Vec<usize> = (0..10).collect();
        let lens: Vec<usize> = array_split(&idx, 3).iter().map(|c| c.len()).collect();
        assert_eq!(lens, vec![4, 3, 3]);
    }

    #[test]
    fn longtail_decays_by_class() {
        let l = labels();
        let s = split(&l, 10, 4, Heterogeneity::Longtail { beta: 0.5 }, 1);
        let pooled: Vec<usize> = (0..10).map(|c| s.iter().flatten().filter(|&&i| l[i] == c).count()).collect();
        assert_eq!(pooled[0], 600);
        assert_eq!(pooled[1], 300);
        assert_eq!(pooled[3], 75);
    }
}
