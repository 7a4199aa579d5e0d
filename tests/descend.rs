//! The server's step θ_{t+1} = θ_t − γ_t F (`Dynamics::descend`).

use byz::sim::Dynamics;

/// Below `ignored_below`, `descend` returns θ bit for bit, whatever the
/// aggregate's signs and sizes, at the awkward weights: powers of two
/// (their lower neighbour is half as far), the smallest normal, subnormals,
/// both signs.
#[test]
fn steps_below_the_ignored_bound_leave_the_model_as_it_is() {
    use rand::{Rng, SeedableRng};
    let src = byz::check::SourceFile::new(
        "frozen.byz",
        "scenario frozen {\n  task mean_estimation {\n    dim 6\n    mean [1, 1, 1, 1, 1, 1]\n    std 1\n    init [0, 0, 0, 0, 0, 0]\n  }\n  \
         workers {\n    honest 3\n    byzantine 1\n  }\n  train {\n    steps 2\n    lr 0.37\n  }\n  aggregate cm\n}\n"
            .to_string(),
    );
    let plans = byz::check::check_source(&src, None).expect("checks");
    let dynamics = Dynamics::build(&plans[0].runs[0]).expect("builds");
    let mut state = dynamics.initial().expect("initial");
    let mut rng = rand::rngs::StdRng::seed_from_u64(5);
    // Each weight alone, so that the bound is its own: 3.5 times the bound
    // still leaves it (the bound keeps a factor 4).
    for w in [1e32f32, -3.0e31, 2f32.powi(100), -(2f32.powi(-120)), 2f32.powi(-2), 7.5, -1.0, 2f32.powi(-126), 1e-44] {
        state.theta = vec![w; 6];
        let bound = dynamics.ignored_below(&state);
        assert!(bound > 0.0, "{w}");
        for _ in 0..2000 {
            let agg: Vec<f32> = (0..6).map(|_| (rng.random_range(-3.5..3.5) * bound) as f32).collect();
            let bits = |x: &[f32]| x.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
            assert_eq!(
                bits(&dynamics.descend(&state, agg.clone()).expect("finite").0),
                bits(&state.theta),
                "{w} {agg:?}"
            );
        }
    }
    // A zero weight moves with any step; a large step moves the rest.
    state.theta = vec![1e32, 0.0, 1.0, 1.0, 1.0, 1.0];
    assert_eq!(dynamics.ignored_below(&state), 0.0);
    state.theta = vec![1.0; 6];
    let bound = dynamics.ignored_below(&state);
    assert!(bound < 1e-7, "{bound}");
    assert_ne!(dynamics.descend(&state, vec![1e-6; 6]).expect("finite").0, state.theta);
}
