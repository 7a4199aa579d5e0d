//! `byz aggregate`, through `byz::cli::aggregate::run_cli` (main.rs only
//! parses the command line and prints).

mod common;

use std::path::PathBuf;

use byz::cli::aggregate::{read_vectors, run_cli};
use serde_json::{Value, json};

fn input(name: &str) -> PathBuf {
    common::root().join("tests/inputs/aggregate").join(name)
}

fn run(pipeline: &str, f: usize, name: &str, explain: bool) -> Value {
    let out = run_cli(pipeline, f, Some(&input(name)), explain).unwrap_or_else(|e| panic!("{pipeline}: {e}"));
    serde_json::from_str(&out).expect("the output is JSON")
}

/// A temporary input file holding `text`.
fn temp_input(name: &str, text: &str) -> PathBuf {
    let path = std::env::temp_dir().join(format!("byz-aggregate-cli-{}-{name}.json", std::process::id()));
    std::fs::write(&path, text).expect("temp dir is writable");
    path
}

#[test]
fn krum_chooses_minus_a_tenth_in_the_fall_of_empires_example() {
    // 002 §5.3.1: n = 9, f = 3, Krum with n − f − 2 = 4 neighbours picks −0.1.
    assert_eq!(run("krum", 3, "fall_of_empires.json", true), json!({"aggregate": [-0.1], "selected": [0]}));
    assert_eq!(run("krum", 3, "fall_of_empires.json", false), json!({"aggregate": [-0.1]}));
    // 001 App. B.2's variant (discard f, 5 neighbours) picks 0.
    assert_eq!(run("krum(discard: 3)", 3, "fall_of_empires.json", true), json!({"aggregate": [0.0], "selected": [3]}));
}

#[test]
fn selection_rules_explain_their_choice() {
    let out = run("multikrum(m: 3)", 2, "two_clusters.json", true);
    assert_eq!(out["selected"], json!([0, 1, 2]));
    let out = run("mda", 2, "two_clusters.json", true);
    assert_eq!(out, json!({"aggregate": [1.0, 0.0], "selected": [0, 1, 2, 3, 4]}));
    let out = run("nnm |> monna", 2, "two_clusters.json", true);
    assert_eq!(out["selected"].as_array().map(Vec::len), Some(5));
    // not a selection rule: no "selected" even with --explain
    assert_eq!(run("cm", 2, "two_clusters.json", true), json!({"aggregate": [1.0, 0.5]}));
}

#[test]
fn every_rule_runs_on_the_command_line() {
    for pipeline in ["mean", "tm", "gm", "cc(tau: 1)", "meamed", "arc |> cm", "clip(c: 1) |> tm", "bucketing |> mean"] {
        let out = run(pipeline, 2, "two_clusters.json", false);
        let agg = out["aggregate"].as_array().unwrap_or_else(|| panic!("{pipeline}: {out}"));
        assert_eq!(agg.len(), 2, "{pipeline}");
        assert!(agg.iter().all(Value::is_number), "{pipeline}: {out}");
    }
    // bucketing draws from a fixed stream: the same answer every time
    assert_eq!(
        run("bucketing |> cm", 2, "two_clusters.json", false),
        run("bucketing |> cm", 2, "two_clusters.json", false)
    );
}

#[test]
fn pipeline_errors_come_from_the_checker() {
    let err = run_cli("krum", 4, Some(&input("fall_of_empires.json")), false).unwrap_err();
    assert!(err.contains("Krum cannot work with 4 Byzantine workers out of 9"), "{err}");
    assert!(err.contains("help:"), "{err}");
    let err = run_cli("krun", 1, Some(&input("fall_of_empires.json")), false).unwrap_err();
    assert!(err.contains("unknown aggregation rule `krun`") && err.contains("krum"), "{err}");
    let err = run_cli("bulyan", 2, Some(&input("fall_of_empires.json")), false).unwrap_err();
    assert!(err.contains("4f + 3 = 11"), "{err}");
    let err = run_cli("cm", 9, Some(&input("fall_of_empires.json")), false).unwrap_err();
    assert!(err.contains("no honest vector"), "{err}");
}

#[test]
fn input_errors_are_reported_not_panicked() {
    let cases = [
        ("not json", "not JSON"),
        ("{}", "\"vectors\""),
        (r#"{"vectors": []}"#, "empty"),
        (r#"{"vectors": [[]]}"#, "no coordinates"),
        (r#"{"vectors": [[1, 2], [3]]}"#, "vector 1 has 1 coordinates"),
        (r#"{"vectors": [[1, "x"]]}"#, "coordinate 1 is not a number"),
        (r#"{"vectors": [1, 2]}"#, "vector 0 is not a list"),
    ];
    for (i, (text, expected)) in cases.into_iter().enumerate() {
        let err = read_vectors(text).unwrap_err();
        assert!(err.contains(expected), "{text}: {err}");
        let err = run_cli("cm", 0, Some(&temp_input(&i.to_string(), text)), false).unwrap_err();
        assert!(err.contains(expected), "{text}: {err}");
    }
    let err = run_cli("cm", 0, Some(&input("missing.json")), false).unwrap_err();
    assert!(err.contains("cannot read"), "{err}");
}

#[test]
fn non_finite_results_are_null() {
    // 1e39 is beyond f32: it reads as +inf, and the mean is +inf, written null.
    let path = temp_input("overflow", r#"{"vectors": [[1e39, 1], [0, 2]]}"#);
    let out: Value = serde_json::from_str(&run_cli("mean", 0, Some(&path), false).unwrap()).unwrap();
    assert_eq!(out, json!({"aggregate": [null, 1.5]}));
}

#[test]
fn fltrust_reads_the_servers_vector_from_the_input() {
    // Against the server's (2, 0) only (1, 0) and (4, 4) have positive cosines (1 and 1/√2).
    let text = r#"{"vectors": [[1, 0], [4, 4], [-1, 0], [0, -3]], "server": [2, 0]}"#;
    let out = run_cli("fltrust", 1, Some(&temp_input("fltrust", text)), false).unwrap();
    let agg: Vec<f64> = serde_json::from_str::<Value>(&out).unwrap()["aggregate"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect();
    // (2, 0) with trust 1 and (√2, √2) with trust 1/√2, over 1 + 1/√2.
    let s = 0.5f64.sqrt();
    let want = [(2.0 + s * 2f64.sqrt()) / (1.0 + s), s * 2f64.sqrt() / (1.0 + s)];
    assert!(agg.iter().zip(want).all(|(a, w)| (a - w).abs() < 1e-6), "{agg:?} vs {want:?}");

    let missing =
        run_cli("fltrust", 1, Some(&temp_input("fltrust-missing", r#"{"vectors": [[1, 0], [2, 0], [3, 0]]}"#)), false);
    let err = missing.unwrap_err();
    assert!(err.contains("server's own vector") && err.contains("\"server\""), "{err}");
    let short = run_cli(
        "fltrust",
        1,
        Some(&temp_input("fltrust-short", r#"{"vectors": [[1, 0], [2, 0], [3, 0]], "server": [1]}"#)),
        false,
    );
    assert!(short.unwrap_err().contains("\"server\" has 1 coordinates, the vectors 2"));
}
