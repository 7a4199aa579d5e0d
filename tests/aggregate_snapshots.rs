//! One snapshot per registered rule and pre-aggregator: its output with the
//! registry's default arguments on fixed inputs (n = 11, f = 2, d = 3), built
//! through the checker and `Aggregator::build` / the pre-aggregator's `build`,
//! values rounded to 4 significant digits.

mod common;

use byz::aggregate::{Aggregator, Ctx, PRE_AGGREGATORS, RULES};
use byz::cli::aggregate as cli;
use rand::SeedableRng;

const F: usize = 2;

/// Nine honest vectors around (1, −2, 0.5) and two Byzantine ones: a far
/// outlier and one placed near the honest vectors but biased.
fn inputs() -> Vec<Vec<f32>> {
    let mut v: Vec<Vec<f32>> = (0..9)
        .map(|i| {
            let t = i as f32;
            vec![1.0 + 0.3 * (t * 1.7).sin(), -2.0 + 0.25 * (t * 0.9).cos(), 0.5 + 0.1 * (t - 4.0)]
        })
        .collect();
    v.push(vec![40.0, 30.0, -25.0]);
    v.push(vec![1.6, -1.4, 1.1]);
    v
}

fn row(x: &[f32]) -> String {
    let cells: Vec<String> = x.iter().map(|&y| common::sig4(f64::from(y))).collect();
    format!("[{}]", cells.join(", "))
}

fn rng() -> rand_chacha::ChaCha8Rng {
    rand_chacha::ChaCha8Rng::seed_from_u64(1)
}

#[test]
fn every_rule_on_fixed_inputs() {
    let v = inputs();
    for entry in RULES {
        let name = entry.spec.name;
        let plan = cli::pipeline(name, v.len(), F, 3).unwrap_or_else(|e| panic!("{name}: {e}"));
        let agg = Aggregator::build(&plan);
        // The server's own vector (`fltrust`): the honest vectors' centre.
        let ctx = &mut Ctx { f: F, rng: &mut rng(), previous: &[], norms: &[], server: &[1.0, -2.0, 0.5] };
        let (out, selected) = agg.aggregate_explained(&v, ctx, true);
        let mut text = format!("{}\naggregate {}\n", plan.rule.display, row(&out));
        if let Some(s) = selected {
            text.push_str(&format!("selected {s:?}\n"));
        }
        insta::assert_snapshot!(format!("rule_{name}"), text);
    }
}

#[test]
fn every_pre_aggregator_on_fixed_inputs() {
    let v = inputs();
    for entry in PRE_AGGREGATORS {
        let name = entry.spec.name;
        let plan = cli::pipeline(&format!("{name} |> mean"), v.len(), F, 3).unwrap_or_else(|e| panic!("{name}: {e}"));
        let pre = (entry.build)(&plan.pre[0]);
        let out = pre(&v, &mut Ctx { f: F, rng: &mut rng(), previous: &[], norms: &[], server: &[] });
        let rows: Vec<String> = out.iter().map(|x| row(x)).collect();
        insta::assert_snapshot!(format!("pre_{name}"), format!("{}\n{}\n", plan.pre[0].display, rows.join("\n")));
    }
}
