//! The claims of 001 §4 on the two-wells problem under coordinate-wise median.

mod common;

use byz::attack::solver::{SolverOptions, nelder_mead};
use byz::sim::RunResult;

fn two_wells_cm() -> Vec<RunResult> {
    let path = common::root().join("scenarios/toy/two_wells_cm.byz");
    let plans = common::check_file(&path).expect("checks");
    plans[0].runs.iter().map(|r| byz::sim::run(r).expect("runs")).collect()
}

fn by_attack<'a>(runs: &'a [RunResult], name: &str) -> &'a RunResult {
    runs.iter().find(|r| r.attack.starts_with(name)).unwrap_or_else(|| panic!("no `{name}` run"))
}

#[test]
fn without_attack_training_reaches_the_global_minimum() {
    let runs = two_wells_cm();
    let plan = &common::check_file(&common::root().join("scenarios/toy/two_wells_cm.byz")).unwrap()[0].runs[0];
    let task = byz::task::build(&plan.task, plan.workers.honest, plan.seed, None).unwrap();
    // The global minimum of L_H near (1, 0), found numerically.
    let mut loss = |x: &[f64]| task.loss(&[x[0] as f32, x[1] as f32], 0).unwrap();
    let opts = SolverOptions { max_iters: 2000, xtol: 1e-7, ftol: 1e-10 };
    let min = nelder_mead::minimize(&mut loss, &[1.0, 0.0], &opts).x;
    assert!((min[0] - 1.0).abs() < 0.1 && min[1].abs() < 0.01, "minimum at {min:?}");
    let theta = &by_attack(&runs, "none").final_theta;
    let dist = ((f64::from(theta[0]) - min[0]).powi(2) + (f64::from(theta[1]) - min[1]).powi(2)).sqrt();
    assert!(dist < 0.05, "θ_T = {theta:?} is {dist} from the minimum {min:?}");
}

#[test]
fn jump_1_has_the_highest_mean_loss() {
    let runs = two_wells_cm();
    let jump = by_attack(&runs, "jump").metrics.mean_loss;
    for other in ["sf", "foe", "alie", "mimic"] {
        let m = by_attack(&runs, other).metrics.mean_loss;
        assert!(jump > m, "JUMP-1 mean loss {jump} is not above {other}'s {m}");
    }
}
