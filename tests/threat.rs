//! The threat model's knobs: a declared f that differs from the real one.

mod common;

use serde_json::Value;

fn runs(file: &str, scenario: &str) -> Vec<Value> {
    let out = common::temp_dir(&format!("threat-{scenario}"));
    let args = ["run", file, "--scenario", scenario, "--format", "json", "--out", out.to_str().unwrap()];
    let run = common::byz_in(&common::root(), &args);
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    String::from_utf8(run.stdout).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

/// `tm` told f = 3 while one worker attacks trims 3 from each side: the same
/// run as `tm(trim: 3)` with the real f = 1, bit for bit, under every attack.
#[test]
fn declared_f_is_what_the_rule_sees_and_the_attack_does_not() {
    let file = "scenarios/threat/declared_f.byz";
    let declared = runs(file, "declared_tm");
    let explicit = runs(file, "explicit_tm");
    assert_eq!(declared.len(), 6);
    for d in &declared {
        assert_eq!(d["label"]["workers.declared"], "3", "the label names the declared f: {}", d["label"]);
        let e = explicit
            .iter()
            .find(|e| e["attack"] == d["attack"] && e["seed"] == d["seed"])
            .expect("the same attack and seed");
        assert_eq!(d["series"], e["series"], "{} seed {}", d["attack"], d["seed"]);
        assert_eq!(d["metrics"], e["metrics"]);
    }
    // And the declared f changes the run: tm told f = 1 trims 1 under `sf`.
    let swept = runs(file, "declared_f");
    let pick = |declared: &str| {
        swept
            .iter()
            .find(|r| {
                r["label"]["workers.declared"] == declared
                    && r["aggregate"] == "tm"
                    && r["attack"] == "sf"
                    && r["seed"] == 1
            })
            .expect("run in the sweep")["series"]["loss"]
            .clone()
    };
    assert_ne!(pick("1"), pick("3"));
}
