//! Attacks against hand computations, the planner's guarantees, and the
//! omniscient adversary's exact view of the future.

mod common;

use byz::attack::{self, View};
use byz::check::{SourceFile, check_source};
use byz::plan::RunPlan;
use byz::sim::{self, Dynamics, RunResult};

/// Resolves a scenario written inline (with the standard library in reach).
fn runs(text: &str) -> Vec<RunPlan> {
    let src = SourceFile::new("inline.byz", text);
    let plans = check_source(&src, None).unwrap_or_else(|e| panic!("{}", byz::diagnostic::render_plain(&e.errors)));
    plans.into_iter().flat_map(|p| p.runs).collect()
}

fn run_all(text: &str) -> Vec<RunResult> {
    runs(text).iter().map(|r| sim::run(r).expect("runs")).collect()
}

/// The vector `attack` sends against three fixed honest vectors.
fn attack_vector(attack: &str) -> Vec<f32> {
    let plan = &runs(&format!(
        "scenario s {{ task mean_estimation {{ dim 2; mean [0, 0]; std 1 }} workers {{ honest 3; byzantine 1 }} \
         train {{ steps 1; lr 1 }} aggregate mean attack {attack} }}"
    ))[0];
    let dynamics = Dynamics::build(plan).unwrap();
    let state = dynamics.initial().unwrap();
    let honest = vec![vec![1.0, 0.0], vec![3.0, 2.0], vec![2.0, 4.0]];
    let view = View {
        dynamics: &dynamics,
        state: &state,
        honest: &honest,
        f: 1,
        n: 4,
        phase_end: 1,
        mean: Default::default(),
    };
    attack::build(&plan.attack.phases[0].attack).vectors(&view).unwrap().remove(0)
}

fn close(a: &[f32], b: &[f32]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| (x - y).abs() < 1e-4)
}

#[test]
fn attack_vectors_match_hand_computations() {
    // ḡ = (2, 2); population std = (√(2/3), √(8/3)).
    let (s0, s1) = ((2.0f32 / 3.0).sqrt(), (8.0f32 / 3.0).sqrt());
    let cases: Vec<(&str, Vec<f32>)> = vec![
        ("none", vec![2.0, 2.0]),
        ("sf", vec![-2.0, -2.0]),
        ("foe(eps: 0.1)", vec![-0.2, -0.2]),
        ("ipm(eps: 3)", vec![-6.0, -6.0]),
        ("alie(z: 1.5)", vec![2.0 - 1.5 * s0, 2.0 - 1.5 * s1]),
        // Centred: (−1,−2), (1,0), (0,2); z starts at worker 2's deviation and one power step keeps it there.
        ("mimic", vec![2.0, 4.0]),
        ("gaussian(sigma: 0)", vec![0.0, 0.0]),
    ];
    for (attack, want) in cases {
        let got = attack_vector(attack);
        assert!(close(&got, &want), "{attack}: got {got:?}, want {want:?}");
    }
    assert!(attack_vector("inf").iter().all(|x| *x == f32::INFINITY));
}

#[test]
fn minmax_and_minsum_stay_on_their_boundary() {
    // p = −ḡ/‖ḡ‖; MinMax: the largest η with max_i ‖a − g_i‖ ≤ max_ij ‖g_i − g_j‖ = √17.
    let honest = [[1.0f32, 0.0], [3.0, 2.0], [2.0, 4.0]];
    let dist = |a: &[f32], b: &[f32; 2]| ((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2)).sqrt();
    let a = attack_vector("minmax");
    assert!(a[0] < 2.0 && (a[0] - a[1]).abs() < 1e-5, "along −ḡ: {a:?}");
    let worst = honest.iter().map(|g| dist(&a, g)).fold(0.0, f32::max);
    assert!((worst - 17f32.sqrt()).abs() < 1e-3, "{worst}");
    // MinSum: Σ_i ‖a − g_i‖² = max_i Σ_j ‖g_i − g_j‖² = 8 + 17 = 25 (worker 0).
    let a = attack_vector("minsum");
    let sum: f32 = honest.iter().map(|g| dist(&a, g).powi(2)).sum();
    assert!((sum - 25.0).abs() < 1e-2, "{sum}");
    let sign = attack_vector("minmax(p: sign)");
    assert!((sign[0] - sign[1]).abs() < 1e-5);
}

const TWO_WELLS: &str =
    "use std.papers.jump\nscenario s extends two_wells { aggregate cm; report { loss } sweep { attack in [ATTACKS] } }";

fn two_wells(attacks: &str) -> Vec<RunResult> {
    run_all(&TWO_WELLS.replace("ATTACKS", attacks))
}

#[test]
fn a_plan_choosing_only_sf_is_sf() {
    let r = two_wells("sf, plan { lookahead 4; beams 2; choose [sf] }");
    assert_eq!(r[0].series.loss, r[1].series.loss);
}

#[test]
fn a_plan_is_at_least_as_good_as_each_candidate_alone() {
    let candidates = ["alie", "sf", "foe(eps: 1.1)", "mimic", "jump(segment: 1)"];
    for objective in ["min_loss", "mean_loss"] {
        let plan =
            format!("plan {{ lookahead 4; beams 2; choose [{}]; objective {objective} }}", candidates.join(", "));
        let r = two_wells(&format!("{plan}, {}", candidates.join(", ")));
        let value = |r: &RunResult| {
            let l = &r.series.loss[1..];
            if objective == "min_loss" {
                l.iter().copied().fold(f64::INFINITY, f64::min)
            } else {
                l.iter().sum::<f64>() / l.len() as f64
            }
        };
        for alone in &r[1..] {
            assert!(
                value(&r[0]) >= value(alone),
                "{objective}: plan {} < {} {}",
                value(&r[0]),
                alone.attack,
                value(alone)
            );
        }
    }
}

#[test]
fn the_planned_trajectory_is_the_one_that_happens() {
    // Mean estimation draws fresh honest points every step: the planner must foresee them
    // exactly, also under centered clipping, whose centre is the previous aggregate.
    for rule in ["cm", "cc(tau: 0.5)"] {
        let plans = runs(&format!(
            "use std.papers.nlp\nscenario s extends mean_estimation_2d {{ seeds [4] aggregate {rule} \
             attack plan {{ lookahead 3; beams 3; choose [sf, alie, ipm(eps: 0.5), jump] }} }}"
        ));
        planned_equals_actual(&plans[0]);
    }
}

fn planned_equals_actual(plan: &RunPlan) {
    let dynamics = Dynamics::build(plan).unwrap();
    let c = &plan.attack.phases[0].attack;
    let planner = attack::plan::Planner::new(
        c.int("lookahead") as usize,
        c.int("beams") as usize,
        c.list("choose").to_vec(),
        attack::objective::build(c.component("objective")),
    );
    let planned =
        attack::plan::plan_from(&planner, &dynamics, &dynamics.initial().unwrap(), 5, 12, plan.train.steps).unwrap();
    let happened = sim::run(plan).unwrap();
    assert_eq!(planned.losses, happened.series.loss[1..], "bit for bit");
    assert_eq!(planned.losses.len(), plan.train.steps);
}

#[test]
fn longer_jump_segments_are_not_worse_than_jump_1() {
    let r = two_wells("jump(segment: 1), jump(segment: 4), jump(segment: 16)");
    for longer in &r[1..] {
        assert!(
            longer.metrics.mean_loss >= r[0].metrics.mean_loss - 0.01,
            "{}: {}",
            longer.attack,
            longer.metrics.mean_loss
        );
    }
}

#[test]
fn a_warm_started_jump_keeps_its_strength() {
    // The fast configuration of JUMP-1 (Brent to 1e-2, each step starting from the last λ)
    // stays within solver noise of the paper's Powell from λ = 1, and above SF.
    let r = two_wells("sf, jump(segment: 1), jump(segment: 1, solver: brent(xtol: 0.01), start: previous)");
    let (sf, cold, warm) = (r[0].metrics.mean_loss, r[1].metrics.mean_loss, r[2].metrics.mean_loss);
    assert!(warm > sf && (warm - cold).abs() < 0.005, "sf {sf}, cold {cold}, warm {warm}");
}

#[test]
fn blow_ups_are_reported_as_divergence() {
    let r = run_all(
        "use std.papers.jump\nscenario s extends two_wells { aggregate gm; attack inf }\n\
         scenario t extends two_wells { aggregate mean; attack inf }",
    );
    for run in &r {
        assert_eq!(run.status, "diverged", "{}", run.scenario);
        assert!(run.diverged.as_deref().unwrap().contains("step"), "{:?}", run.diverged);
    }
}

#[test]
fn ipm_turns_the_median_against_the_honest_mean() {
    let r = run_all(
        "use std.papers.nlp\nscenario s extends mean_estimation_2d { workers { honest 12; byzantine 5 } train { steps 30 } \
         aggregate cm; report { inner_product } sweep { attack in [none, ipm(eps: 0.1)] } }",
    );
    assert_eq!(r[0].metrics.descent_violations, Some(0));
    assert!(r[1].metrics.descent_violations.unwrap() >= 5, "{:?}", r[1].metrics.descent_violations);
    assert_eq!(r[1].series.inner_product.len(), 30);
}

/// ByzFL's unit tests of Optimal_ALittleIsEnough and
/// Optimal_InnerProductManipulation (tests/unit_test_attacks.py): honest
/// vectors (1,2,3), (4,5,6), (7,8,9), one Byzantine worker, the pipeline
/// NNM(f = 1) → Clipping(c = 2) → TrMean(f = 1). byz's search through the
/// same pipeline gives ByzFL's vectors (its tolerance: 1e-5).
#[test]
fn optimal_alie_and_ipm_match_byzfl() {
    use byz::aggregate::{Aggregator, Ctx};
    use byz::attack::optimal::{Base, Search, base_vector, distance, sample_std};
    use rand::SeedableRng;
    let honest = vec![vec![1.0f32, 2.0, 3.0], vec![4.0, 5.0, 6.0], vec![7.0, 8.0, 9.0]];
    let plan = byz::cli::aggregate::pipeline("nnm |> clip(c: 2) |> tm", 4, 1, 3).expect("checks");
    let aggregator = Aggregator::build(&plan);
    let mean = byz::aggregate::mean::mean(&honest);
    let sigma = sample_std(&honest, &mean);
    let search = Search { evals: 20, start: 0.0, delta: 10.0, ratio: 0.8 };
    for (base, want) in
        [(Base::Alie, [12.91985116f64, 13.91985116, 14.91985116]), (Base::Ipm, [-2.74877907, -3.43597384, -4.1231686])]
    {
        let tau = search.best(|tau| {
            let mut all = honest.clone();
            all.push(base_vector(base, &mean, &sigma, tau));
            let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0);
            distance(
                &aggregator.aggregate(&all, &mut Ctx { f: 1, rng: &mut rng, previous: &[], norms: &[], server: &[] }),
                &mean,
            )
        });
        let got = base_vector(base, &mean, &sigma, tau);
        for (g, w) in got.iter().zip(want) {
            assert!((f64::from(*g) - w).abs() <= 1e-5 * (1.0 + w.abs()), "τ = {tau}: {got:?} vs ByzFL {want:?}");
        }
    }
}

/// Momentum's pass that also takes the honest mean sends the vectors
/// `send` alone sends, and a mean equal to `mean::mean` of them, bit for
/// bit, over several steps (momentum then holds earlier vectors), with
/// and without clipping, and with and without momentum.
#[test]
fn the_mean_taken_with_momentum_is_the_vectors_mean() {
    let d = byz::dynamics::FUSED_MEAN_FROM + 4099;
    for (clip, beta) in [("", 0.9), ("clip 3", 0.9), ("clip 3", 0.0)] {
        let text = format!(
            "scenario s {{ task mean_estimation {{ dim {d}; std 2 }} workers {{ honest 5; byzantine 1 }} \
             train {{ steps 4; lr 0.3; momentum {beta}; {clip} }} aggregate cm; attack sf }}"
        );
        let plans = check_source(&SourceFile::new("m.byz", text), None).expect("checks");
        let dynamics = Dynamics::build(&plans[0].runs[0]).expect("builds");
        let mut state = dynamics.initial().expect("initial");
        for _ in 0..3 {
            let sent = dynamics.honest_vectors_and_loss(&state, true).expect("a step");
            let mean = sent.mean.expect("long vectors take the mean with momentum");
            let bits = |x: &[f32]| x.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
            let alone = dynamics.honest_vectors(&state).expect("a step");
            assert!(sent.vectors.iter().zip(&alone).all(|(a, b)| bits(a) == bits(b)) && alone.len() == 5);
            assert_eq!(bits(&mean), bits(&byz::aggregate::mean::mean(&sent.vectors)));
            assert!(dynamics.honest_vectors_and_loss(&state, false).expect("a step").mean.is_none());
            // The attack's view hands the mean out once, then computes it again.
            let view = View {
                dynamics: &dynamics,
                state: &state,
                honest: &sent.vectors,
                f: 1,
                n: 6,
                phase_end: 4,
                mean: std::sync::Mutex::new(Some(mean.clone())),
            };
            let mut sf = attack::build(&plans[0].runs[0].attack.phases[0].attack);
            let flipped = sf.vectors(&view).expect("sf");
            assert_eq!(bits(&flipped[0]), bits(&mean.iter().map(|x| -x).collect::<Vec<_>>()));
            assert!(view.mean.lock().unwrap().is_none(), "taken by the attack");
            state = dynamics.advance(&state, sent.vectors, vec![]).expect("a step");
        }
    }
}
