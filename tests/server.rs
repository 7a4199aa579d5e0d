//! The server's own vector on a clean root data set (FLTrust): what it is,
//! and what the rule makes of it in a run.

mod common;

use byz::plan::RunPlan;
use byz::sim::{Dynamics, RunResult};

fn plans(scenario: &str) -> Vec<RunPlan> {
    let path = common::root().join("tests/inputs/server/fltrust.byz");
    let plans = common::check_file(&path).expect("checks");
    plans.into_iter().find(|s| s.name == scenario).expect("scenario").runs
}

fn run<'a>(runs: &'a [(RunPlan, RunResult)], aggregate: &str, attack: &str, seed: u64) -> &'a RunResult {
    &runs.iter().find(|(p, r)| p.aggregate.rule.display == aggregate && r.attack == attack && r.seed == seed).unwrap().1
}

/// Far from the mean, every sign-flipped vector points against the server's
/// own gradient and gets no trust: FLTrust's run under `sf` is the run of
/// the twelve honest workers alone, bit for bit, while `cm`'s differs from
/// its run without attack. A root set of one example gives another run than
/// one of a hundred.
#[test]
fn fltrust_gives_sign_flipped_vectors_no_trust() {
    let runs: Vec<(RunPlan, RunResult)> =
        plans("trust").into_iter().map(|p| (p.clone(), byz::sim::run(&p).expect("runs"))).collect();
    assert_eq!(runs.len(), 12);
    let alone: Vec<RunResult> = plans("alone").iter().map(|p| byz::sim::run(p).expect("runs")).collect();
    for seed in [1, 2] {
        let honest = alone.iter().find(|r| r.seed == seed).unwrap();
        let sf = run(&runs, "fltrust", "sf", seed);
        assert_eq!(honest.series.loss, sf.series.loss, "seed {seed}");
        assert_eq!(honest.final_theta, sf.final_theta);
        assert!(sf.metrics.final_loss < 0.2 * sf.series.loss[0], "it learns: {:?}", sf.series.loss);
        assert_ne!(run(&runs, "cm", "none", seed).series.loss, run(&runs, "cm", "sf", seed).series.loss);
        let none = run(&runs, "fltrust", "none", seed);
        assert_ne!(run(&runs, "fltrust(root: 1)", "none", seed).series.loss, none.series.loss);
    }
}

/// With every root point at the mean μ, the server's vector is exactly
/// s_t = β s_{t−1} + (1 − β) clip(θ_t − μ), s_{−1} = 0, as an honest worker's.
#[test]
fn the_servers_vector_is_its_clipped_gradient_in_momentum() {
    let plan = &plans("exact")[0];
    let dynamics = Dynamics::build(plan).expect("builds");
    let mu = [1.0f32, 2.0, 3.0];
    let (beta, c) = (0.5f32, 2.0f64);
    let clip = |g: Vec<f32>| {
        let n = g.iter().map(|x| f64::from(*x).powi(2)).sum::<f64>().sqrt();
        if n > c { g.iter().map(|x| x * (c / n) as f32).collect() } else { g }
    };
    let mut state = dynamics.initial().expect("initial state");
    let mut expected = vec![0.0f32; 3];
    for _ in 0..3 {
        let g = clip(state.theta.iter().zip(mu).map(|(t, m)| t - m).collect());
        expected = expected.iter().zip(&g).map(|(s, g)| beta * s + (1.0 - beta) * g).collect();
        for (s, e) in state.server.iter().zip(&expected) {
            assert!((s - e).abs() < 1e-6, "step {}: {:?} vs {expected:?}", state.step, state.server);
        }
        let honest = dynamics.honest_vectors(&state).unwrap();
        state = dynamics.advance(&state, honest, vec![vec![-1.0, -1.0, -1.0]]).unwrap();
    }
    // Other rules keep no server vector.
    let mut cm = plan.clone();
    cm.aggregate.rule = byz::plan::ComponentPlan { name: "cm".into(), args: Default::default(), display: "cm".into() };
    assert!(Dynamics::build(&cm).unwrap().initial().unwrap().server.is_empty());
}
