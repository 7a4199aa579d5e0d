//! `train { noise σ }`: each honest worker adds N(0, σ² I) to its clipped
//! gradient, from the run's own random streams.

use byz::diagnostic::SourceFile;
use byz::plan::RunPlan;

fn run_of(noise: &str) -> RunPlan {
    let text = format!(
        "scenario s {{\n  seeds 1\n  task mean_estimation {{ dim 4; mean [1, 1, 1, 1] }}\n  workers {{ honest 8; byzantine 2 }}\n  \
         train {{ steps 40; lr 0.2; clip 1{noise} }}\n  aggregate cm\n  attack sf\n}}\n"
    );
    let plans = byz::check::check_source(&SourceFile::new("noise.byz", text), None).expect("the file checks");
    plans[0].runs[0].clone()
}

fn final_loss(plan: &RunPlan) -> f64 {
    let r = byz::sim::run(plan).expect("the run ends");
    *r.series.loss.last().expect("a loss")
}

#[test]
fn noise_is_added_after_clipping_reproducibly_and_zero_is_none() {
    let (none, zero, some, more) = (run_of(""), run_of("; noise 0"), run_of("; noise 0.5"), run_of("; noise 4"));
    let key = byz::experiment::store::key;
    assert_eq!(key(&none), key(&zero), "σ = 0 is the same run, under the same store key");
    assert_ne!(key(&none), key(&some));
    let base = final_loss(&none);
    assert_eq!(base.to_bits(), final_loss(&zero).to_bits());
    let noisy = final_loss(&some);
    assert_eq!(noisy.to_bits(), final_loss(&some).to_bits(), "the same draws on every run");
    assert_ne!(noisy.to_bits(), base.to_bits(), "the noise changes the run");
    // Clipping bounds the gradient, not the noise: with σ = 4 on unit-norm
    // gradients the model ends far from the mean that σ = 0 reaches.
    assert!(final_loss(&more) > 10.0 * base.max(1e-3), "σ = 4: {} vs {base}", final_loss(&more));
}
