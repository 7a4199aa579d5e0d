//! Properties of every registered rule, checked on random inputs (proptest):
//! permutation invariance, translation equivariance, robustness bounds, and
//! no panic on non-finite input. Pipelines are built as `byz aggregate` builds
//! them (checked text, registry defaults, `Aggregator::build`).

use byz::aggregate::{Aggregator, Ctx, PRE_AGGREGATORS, RULES};
use byz::cli::aggregate as cli;
use proptest::prelude::*;
use rand::SeedableRng;

/// Runs `pipeline` on `v` with f Byzantine, or `None` when the checker refuses (n, f).
/// The server's own vector (for `fltrust`) is the mean of `v`, which no permutation changes.
fn aggregate(pipeline: &str, v: &[Vec<f32>], f: usize) -> Option<Vec<f32>> {
    let plan = cli::pipeline(pipeline, v.len(), f, v[0].len()).ok()?;
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
    let server = byz::aggregate::mean::mean(v);
    Some(
        Aggregator::build(&plan)
            .aggregate(v, &mut Ctx { f, rng: &mut rng, previous: &[], norms: &[], server: &server }),
    )
}

fn close(a: &[f32], b: &[f32], scale: f32) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| (x - y).abs() <= 1e-4 * scale.max(1.0))
}

fn max_abs(v: &[Vec<f32>]) -> f32 {
    v.iter().flatten().fold(0.0f32, |m, x| m.max(x.abs()))
}

/// n ∈ [5, 11], f with 4f + 3 ≤ n or f ≤ 2, d ∈ [1, 4], coordinates in [−100, 100].
fn inputs() -> impl Strategy<Value = (Vec<Vec<f32>>, usize)> {
    (5usize..=11, 1usize..=4, 0usize..=2).prop_flat_map(|(n, d, f)| {
        (prop::collection::vec(prop::collection::vec(-100.0f32..100.0, d), n), Just(f.min((n - 1) / 2)))
    })
}

/// Every rule, and every pre-aggregator in front of `cm`, except `monna`
/// (its reference is the vector at index 0 by design), `bucketing` and `scc`
/// (random buckets of the vectors in their order) and `clipped_clustering` (average linkage breaks ties between
/// equal distances by index, and on these inputs ties are the rule: in one
/// dimension every cosine distance is 0 or 2).
fn permutation_invariant_pipelines() -> Vec<String> {
    let rules = RULES
        .iter()
        .map(|e| e.spec.name.to_string())
        .filter(|n| !["monna", "scc", "clipped_clustering"].contains(&n.as_str()));
    let pre = PRE_AGGREGATORS.iter().map(|e| e.spec.name).filter(|n| *n != "bucketing").map(|n| format!("{n} |> cm"));
    rules.chain(pre).collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn permutation_invariance((v, f) in inputs(), seed in any::<u64>()) {
        let mut w = v.clone();
        rand::seq::SliceRandom::shuffle(&mut w[..], &mut rand_chacha::ChaCha8Rng::seed_from_u64(seed));
        for p in permutation_invariant_pipelines() {
            if let (Some(a), Some(b)) = (aggregate(&p, &v, f), aggregate(&p, &w, f)) {
                prop_assert!(close(&a, &b, max_abs(&v)), "{p}: {a:?} vs {b:?}");
            }
        }
    }

    /// A(v + t) = A(v) + t for every rule but `cc`, `scc`, `clipped_clustering`,
    /// `signguard` and `fltrust` (clipping around a fixed centre; cosines,
    /// norms and signs relative to the origin) and the
    /// norm-based pre-aggregators `clip` and `arc`.
    #[test]
    fn translation_equivariance((v, f) in inputs(), t in -50.0f32..50.0) {
        let w: Vec<Vec<f32>> = v.iter().map(|x| x.iter().map(|y| y + t).collect()).collect();
        let pipelines = RULES.iter().map(|e| e.spec.name.to_string()).filter(|n| !["cc", "scc", "clipped_clustering", "signguard", "fltrust"].contains(&n.as_str()))
            .chain(["nnm |> tm".to_string(), "bucketing |> cm".to_string()]);
        for p in pipelines {
            if let (Some(a), Some(b)) = (aggregate(&p, &v, f), aggregate(&p, &w, f)) {
                let shifted: Vec<f32> = a.iter().map(|x| x + t).collect();
                prop_assert!(close(&shifted, &b, max_abs(&w)), "{p}: {shifted:?} vs {b:?}");
            }
        }
    }

    /// CM and TM (trim = f) stay in the bounding box of the honest vectors
    /// whatever the f others are.
    #[test]
    fn cm_and_tm_stay_in_the_honest_box((v, f) in inputs(), byz in prop::collection::vec(-1e6f32..1e6, 8)) {
        let mut w = v.clone();
        let n = w.len();
        for (k, x) in w[n - f..].iter_mut().enumerate() {
            x.iter_mut().enumerate().for_each(|(j, c)| *c = byz[(k * 4 + j) % 8]);
        }
        for p in ["cm", "tm"] {
            let Some(a) = aggregate(p, &w, f) else { continue };
            for (j, &aj) in a.iter().enumerate() {
                let honest = v[..n - f].iter().map(|x| x[j]);
                let (lo, hi) = honest.fold((f32::INFINITY, f32::NEG_INFINITY), |(l, h), x| (l.min(x), h.max(x)));
                prop_assert!(lo - 1e-3 <= aj && aj <= hi + 1e-3, "{p}: coordinate {j} = {aj} outside [{lo}, {hi}]");
            }
        }
    }

    /// Krum (n > 2f + 2) is not confined to the honest box (see
    /// `krum_and_gm_can_leave_the_honest_box`), but its output is within
    /// √((n−f−2)/(n−2f−1)) · diam(H) of some honest vector: a Byzantine winner b
    /// has at least n − 2f − 1 honest vectors among its n − f − 2 neighbours,
    /// each at least dist(b, H) away, while an honest score is at most
    /// (n − f − 2) · diam(H)².
    #[test]
    fn krum_stays_near_the_honest_vectors((v, f) in inputs(), byz in prop::collection::vec(-300.0f32..300.0, 8)) {
        let mut w = v.clone();
        let n = w.len();
        for (k, x) in w[n - f..].iter_mut().enumerate() {
            x.iter_mut().enumerate().for_each(|(j, c)| *c = byz[(k * 4 + j) % 8]);
        }
        let Some(a) = aggregate("krum", &w, f) else { return Ok(()) };
        let honest = &v[..n - f];
        let dist = |x: &[f32], y: &[f32]| x.iter().zip(y).map(|(p, q)| f64::from(p - q).powi(2)).sum::<f64>().sqrt();
        let diam = honest.iter().flat_map(|x| honest.iter().map(move |y| dist(x, y))).fold(0.0, f64::max);
        let bound = (((n - f - 2) as f64) / ((n - 2 * f - 1) as f64)).sqrt() * diam;
        let nearest = honest.iter().map(|h| dist(h, &a)).fold(f64::INFINITY, f64::min);
        prop_assert!(nearest <= bound + 1e-3, "Krum output {a:?} at {nearest} > {bound}");
    }

    /// The geometric median is within 2(n − f)/(n − 2f) · r of any honest
    /// vector c, with r the largest distance from c to another honest vector
    /// (compare the objective at the median and at c). Checked with enough
    /// Weiszfeld iterations to converge.
    #[test]
    fn gm_stays_near_the_honest_vectors((v, f) in inputs(), byz in prop::collection::vec(-1e4f32..1e4, 8)) {
        let mut w = v.clone();
        let n = w.len();
        for (k, x) in w[n - f..].iter_mut().enumerate() {
            x.iter_mut().enumerate().for_each(|(j, c)| *c = byz[(k * 4 + j) % 8]);
        }
        let Some(a) = aggregate("gm(iters: 2000, tol: 0, nu: 1e-9)", &w, f) else { return Ok(()) };
        let honest = &v[..n - f];
        let dist = |x: &[f32], y: &[f32]| x.iter().zip(y).map(|(p, q)| f64::from(p - q).powi(2)).sum::<f64>().sqrt();
        let c = &honest[0];
        let r = honest.iter().map(|h| dist(h, c)).fold(0.0, f64::max);
        let bound = 2.0 * (n - f) as f64 / (n - 2 * f) as f64 * r;
        prop_assert!(dist(&a, c) <= bound * 1.01 + 1e-2, "GM {a:?} at {} > {bound}", dist(&a, c));
    }

    /// Nothing panics on NaN or infinite coordinates, and the length is kept.
    #[test]
    fn non_finite_inputs_do_not_panic((v, f) in inputs(), spots in prop::collection::vec((0usize..11, 0usize..4, 0usize..3), 1..6)) {
        let mut w = v.clone();
        let specials = [f32::NAN, f32::INFINITY, f32::NEG_INFINITY];
        for (i, j, s) in spots {
            let (i, j) = (i % w.len(), j % w[0].len());
            w[i][j] = specials[s];
        }
        let pipelines = RULES.iter().map(|e| e.spec.name.to_string())
            .chain(PRE_AGGREGATORS.iter().map(|e| format!("{} |> mean", e.spec.name)));
        for p in pipelines {
            if let Some(a) = aggregate(&p, &w, f) {
                prop_assert_eq!(a.len(), w[0].len(), "{}", p);
            }
        }
    }
}

/// The bounding-box property does not hold for Krum or GM in more than one
/// dimension: honest vectors on the x axis, one Byzantine vector just off it.
#[test]
fn krum_and_gm_can_leave_the_honest_box() {
    let v = vec![vec![0.0, 0.0], vec![1.0, 0.0], vec![2.0, 0.0], vec![3.0, 0.0], vec![1.5, 0.1]];
    // Krum (2 neighbours): honest scores 3.26, 2, 2, 3.26; the Byzantine one 0.26 + 0.26.
    assert_eq!(aggregate("krum", &v, 1), Some(vec![1.5, 0.1]));
    let mut far = v.clone();
    far[4] = vec![1.5, 100.0];
    let gm = aggregate("gm(iters: 1000, tol: 0)", &far, 1).expect("gm checks");
    assert!(gm[1] > 0.01, "the median is pulled off the axis: {gm:?}");
}

#[test]
fn requirements_are_checked_on_the_word() {
    let v = vec![vec![0.0]; 10];
    let err = cli::pipeline("bulyan", v.len(), 2, 1).unwrap_err();
    assert!(err.contains("Bulyan cannot work with 2 Byzantine workers out of 10") && err.contains("`bulyan`"), "{err}");
    let err = cli::pipeline("nnm |> mda", 40, 10, 1).unwrap_err();
    assert!(err.contains("C(40, 10)") && err.contains("`mda`"), "{err}");
    let err = cli::pipeline("monna(reference: 9)", 10, 2, 1).unwrap_err();
    assert!(err.contains("not an honest worker"), "{err}");
    assert!(cli::pipeline("arc |> clip(c: 1) |> mda", 12, 3, 1).is_ok());
}

/// Blocks are computed independently and combined in a fixed order, so one
/// thread and many give the same bits (d spans several blocks).
#[test]
fn results_do_not_depend_on_the_thread_count() {
    let d = 3 * byz::aggregate::kernels::BLOCK + 11;
    let v: Vec<Vec<f32>> =
        (0..11).map(|i| (0..d).map(|j| ((i * 7919 + j * 104_729) % 1000) as f32 / 37.0 - 13.0).collect()).collect();
    let all = RULES
        .iter()
        .map(|e| e.spec.name.to_string())
        .chain(PRE_AGGREGATORS.iter().map(|e| format!("{} |> cm", e.spec.name)));
    for p in all {
        let one = rayon::ThreadPoolBuilder::new().num_threads(1).build().expect("a pool of one");
        let three = rayon::ThreadPoolBuilder::new().num_threads(3).build().expect("a pool of three");
        let a = one.install(|| aggregate(&p, &v, 2));
        let b = three.install(|| aggregate(&p, &v, 2));
        let bits = |x: Option<Vec<f32>>| x.map(|x| x.iter().map(|y| y.to_bits()).collect::<Vec<_>>());
        assert_eq!(bits(a), bits(b), "{p}");
    }
}
