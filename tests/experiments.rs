//! Experiments as files: sweeps and their labels, confidence intervals,
//! tables, snapshots of results, and the results store (resume, atomicity).

mod common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use byz::plan::{Metric, Stat, Statistic, TablePlan};
use byz::report::{summary::mean_ci, table};
use byz::sim::{Metrics, RunResult, Series};

use common::{byz_in, temp_dir};

#[test]
fn sweeps_over_settings_and_arguments_label_each_point() {
    let plans = common::check_file(&common::root().join("tests/inputs/experiments/sweep_fields.byz")).expect("checks");
    let runs = &plans[0].runs;
    assert_eq!(runs.len(), 2 * 2 * 2 * 2, "three axes of two values, two seeds");
    let first = &runs[0];
    assert_eq!(
        first.label,
        vec![
            ("attack.eps".to_string(), "0.5".to_string()),
            ("aggregate.trim".into(), "2".into()),
            ("train.momentum".into(), "0".into())
        ]
    );
    assert_eq!((first.seed, runs[1].seed), (1, 2), "seeds vary fastest");
    // The swept argument reaches the resolved components; unswept ones keep their values.
    let last = runs.last().unwrap();
    assert_eq!(last.attack.to_string(), "foe(eps: 2)");
    assert_eq!(last.aggregate.to_string(), "tm(trim: 3)");
    assert_eq!(last.train.momentum, 0.9);
    assert_eq!(first.train.momentum, 0.0);
    let t = plans[0].table.as_ref().expect("a table");
    assert_eq!((t.rows.len(), t.columns.len(), t.value), (2, 1, Statistic::new(Stat::Final, Metric::Loss)));
}

#[test]
fn confidence_interval_matches_a_hand_computation() {
    // xs = 1..5: mean 3, s² = 2.5, t(0.975, 4) = 2.776445: half-width 2.776445 · √2.5 / √5 = 1.963243.
    let c = mean_ci(&[1.0, 2.0, 3.0, 4.0, 5.0]);
    assert_eq!(c.mean, 3.0);
    assert!((c.half_width - 1.963243).abs() < 1e-5, "{}", c.half_width);
    // Two values: t(0.975, 1) = 12.7062, s = √2 · 0.5: half-width 12.7062 · 0.5 = 6.3531.
    let c = mean_ci(&[0.5, 1.5]);
    assert!((c.half_width - 6.353102).abs() < 1e-5, "{}", c.half_width);
    assert!(mean_ci(&[0.7]).half_width.is_nan(), "one seed has no interval");
    assert_eq!(mean_ci(&[0.7]).text(100.0, 2), "70.00");
    assert!(mean_ci(&[0.5, f64::NAN]).mean.is_nan(), "a diverged seed is not hidden");
}

/// A run with a given final accuracy (its accuracy series ends there, peaks at `max`).
fn run(aggregate: &str, attack: &str, seed: u64, max: f64, last: f64) -> RunResult {
    let series = Series {
        step: vec![0, 10],
        loss: vec![1.0, 0.5],
        eval_step: vec![5, 10],
        accuracy: vec![max, last],
        ..Default::default()
    };
    RunResult {
        scenario: "t".into(),
        label: vec![("aggregate".into(), aggregate.into()), ("attack".into(), attack.into())],
        seed,
        aggregate: aggregate.into(),
        attack: attack.into(),
        status: "ok".into(),
        diverged: None,
        metrics: Metrics {
            final_loss: 0.5,
            mean_loss: 0.75,
            max_loss: 1.0,
            min_loss: 0.5,
            final_accuracy: Some(last),
            max_accuracy: Some(max),
            descent_violations: None,
        },
        series,
        final_theta: vec![],
    }
}

#[test]
fn tables_render_as_text_markdown_and_csv() {
    let runs = vec![
        run("nnm |> cm", "sf", 1, 0.90, 0.80),
        run("nnm |> cm", "sf", 2, 0.92, 0.81),
        run("nnm |> cm", "jump", 1, 0.60, 0.50),
        run("nnm |> cm", "jump", 2, 0.64, 0.52),
        run("nnm |> gm", "sf", 1, 0.95, 0.94),
        run("nnm |> gm", "sf", 2, 0.95, 0.93),
        run("nnm |> gm", "jump", 1, 0.70, 0.69),
        run("nnm |> gm", "jump", 2, 0.74, 0.70),
    ];
    let plan = TablePlan {
        rows: vec!["aggregate".into()],
        columns: vec!["attack".into()],
        worst: None,
        best: None,
        value: Statistic::new(Stat::Max, Metric::Accuracy),
    };
    let t = table::build(&plan, &runs);
    // Cell (cm, sf): max accuracies 0.90 and 0.92 → 91.00 ± 12.71 · 0.01 / 1 = 12.71.
    assert!(t.text().contains("91.00 ± 12.71"), "{}", t.text());
    insta::assert_snapshot!("table_text", t.text());
    insta::assert_snapshot!("table_markdown", t.markdown());
    insta::assert_snapshot!("table_csv", t.csv());
}

#[test]
fn a_table_field_that_is_not_swept_is_a_diagnostic() {
    let err = common::check_file(&common::root().join("tests/inputs/errors/table_fields.byz")).expect_err("fails");
    let text = format!("{:?}", miette::Report::new(err));
    assert!(
        text.contains("`attak` is not swept in this scenario") && text.contains("did you mean `attack`?"),
        "{text}"
    );
    assert!(text.contains("the table does not show the swept field `workers.byzantine`"), "{text}");
    assert!(text.contains("`acuracy` is not a recorded metric"), "{text}");
}

const SNAPSHOT_SCENARIO: &str = "scenario snap {
  task mean_estimation { dim 2; mean [2, 2]; std 1; init [0, 0] }
  workers { honest 7; byzantine 2 }
  train { steps 10; lr 0.5 }
  aggregate cm
  sweep { attack in [sf, alie] }
}
";

#[test]
fn snapshots_are_recorded_compared_and_accepted() {
    let dir = temp_dir("snapshot");
    std::fs::write(dir.join("s.byz"), SNAPSHOT_SCENARIO).unwrap();
    let snap = dir.join("snapshots/s__snap.snap");

    // Without expectations or a snapshot, `byz test` leaves the scenario alone.
    let out = byz_in(&dir, &["test", "s.byz"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("0 passed, 0 failed"));
    assert!(!snap.exists());

    let out = byz_in(&dir, &["test", "--snapshot", "s.byz"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success() && text.contains("recorded"), "{text}");
    let recorded = std::fs::read_to_string(&snap).expect("snapshot written");
    assert!(
        recorded.starts_with("---\nsource: s.byz\nscenario: snap\ndigits: 4\n---\n[attack sf] seed 1\n  ok\n"),
        "{recorded}"
    );

    // Same results: passes, even without --snapshot (the snapshot exists).
    let out = byz_in(&dir, &["test", "s.byz"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stdout));

    // Changed results: a failure with a readable diff, the new results kept aside.
    std::fs::write(dir.join("s.byz"), SNAPSHOT_SCENARIO.replace("lr 0.5", "lr 0.25")).unwrap();
    let out = byz_in(&dir, &["test", "s.byz"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains("the results differ from") && text.contains("-   loss final") && text.contains("+   loss final"),
        "{text}"
    );
    assert!(text.ends_with("0 passed, 1 failed\n"), "{text}");
    assert_eq!(std::fs::read_to_string(&snap).unwrap(), recorded, "the snapshot is kept until accepted");
    assert!(snap.with_extension("snap.new").exists());

    let out = byz_in(&dir, &["test", "--accept", "s.byz"]);
    assert!(out.status.success() && String::from_utf8_lossy(&out.stdout).contains("updated"));
    assert_ne!(std::fs::read_to_string(&snap).unwrap(), recorded);
    assert!(!snap.with_extension("snap.new").exists());
    assert!(byz_in(&dir, &["test", "s.byz"]).status.success());
}

/// A sweep of runs slow enough to interrupt: JUMP with a long segment on mean estimation.
const SLOW_SWEEP: &str = "scenario slow {
  seeds 1..=2
  task mean_estimation { dim 2; mean [2, 2]; std 1; init [0, 0] }
  workers { honest 7; byzantine 2 }
  train { steps 150; lr 0.1 }
  aggregate cm
  sweep { attack in [sf, alie, jump(segment: 4, solver: nelder_mead)] }
}
";

/// Every result file visible in the store parses completely.
fn stored_results(runs: &Path) -> usize {
    let Ok(entries) = std::fs::read_dir(runs) else { return 0 };
    let mut n = 0;
    for e in entries.flatten() {
        let p = e.path();
        if p.extension().is_some_and(|x| x == "json") {
            let text = std::fs::read_to_string(&p).unwrap();
            serde_json::from_str::<serde_json::Value>(&text)
                .unwrap_or_else(|e| panic!("{} is partial: {e}", p.display()));
            n += 1;
        }
    }
    n
}

#[test]
fn an_interrupted_sweep_resumes_without_losing_or_redoing_runs() {
    let dir = temp_dir("resume");
    std::fs::write(dir.join("slow.byz"), SLOW_SWEEP).unwrap();
    let runs_dir = dir.join("results/slow/runs");

    // Kill the sweep once some runs are stored, but before all are.
    let mut child = Command::new(env!("CARGO_BIN_EXE_byz"))
        .args(["run", "slow.byz"])
        .current_dir(&dir)
        .env("RAYON_NUM_THREADS", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("byz starts");
    let start = Instant::now();
    while stored_results(&runs_dir) == 0 && start.elapsed() < Duration::from_secs(120) {
        std::thread::sleep(Duration::from_millis(5));
    }
    child.kill().expect("kill");
    child.wait().unwrap();
    let before = stored_results(&runs_dir);
    assert!(before >= 1, "a run finished before the kill");
    assert!(!dir.join("results/slow/runs.jsonl").exists(), "the sweep did not finish: {before} runs stored");

    let out = byz_in(&dir, &["run", "slow.byz"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(err.contains(&format!("{before} of 6 runs of `slow` came from the results store")), "{err}");
    assert_eq!(stored_results(&runs_dir), 6);

    // The resumed results equal those of an uninterrupted run.
    let fresh = byz_in(&dir, &["run", "slow.byz", "--out", "fresh"]);
    assert!(fresh.status.success());
    assert_eq!(out.stdout, fresh.stdout);
    let resumed = std::fs::read(dir.join("results/slow/runs.jsonl")).unwrap();
    assert_eq!(resumed, std::fs::read(dir.join("fresh/slow/runs.jsonl")).unwrap());
    let leftovers: Vec<_> = std::fs::read_dir(&runs_dir)
        .unwrap()
        .flatten()
        .filter(|e| e.path().extension().is_none_or(|x| x != "json"))
        .collect();
    assert!(leftovers.len() <= 1, "at most the killed run's temporary file: {leftovers:?}");
}

#[test]
fn byz_run_writes_the_table_and_curves_of_a_seeded_sweep() {
    let dir = temp_dir("tables");
    let src = common::root().join("tests/inputs/experiments/sweep_fields.byz");
    let out = byz_in(&dir, &["run", src.to_str().unwrap()]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("final loss, mean ± 95% CI over 2 seeds"), "{stdout}");
    let md = std::fs::read_to_string(dir.join("results/sweep_fields/table.md")).unwrap();
    assert!(md.contains("| aggregate.trim | train.momentum | 0.5 | 2 |"), "{md}");
    let csv = std::fs::read_to_string(dir.join("results/sweep_fields/table.csv")).unwrap();
    assert_eq!(csv.lines().count(), 1 + 4 * 2, "a header and one line per cell");
    for group in ["2_0", "2_0.9", "3_0", "3_0.9"] {
        let svg = std::fs::read_to_string(dir.join(format!("results/sweep_fields/curves/{group}-loss.svg"))).unwrap();
        assert!(
            svg.contains("<svg")
                && svg.contains(">\nattack.eps = 0.5\n</text>")
                && svg.contains(">\nattack.eps = 2\n</text>"),
            "{group}: a curve per attack.eps, named in the legend"
        );
    }
}

#[test]
fn sweep_labels_do_not_depend_on_the_layout() {
    let one_line = "scenario s { task mean_estimation { dim 2; mean [2, 2]; std 1 } workers { honest 7; byzantine 2 }
      train { steps 2; lr 0.5 } aggregate cm
      sweep { attack in [plan { lookahead 2; choose [sf, alie] }, foe(eps: 0.5)]; aggregate in [nnm |> cm] } }";
    let spread = "scenario s {
      task mean_estimation { dim 2; mean [2, 2]; std 1 }
      workers { honest 7; byzantine 2 }
      train { steps 2; lr 0.5 }
      aggregate cm
      sweep {
        attack in [
          plan {
            lookahead 2
            choose [sf,   alie]
          },
          foe( eps : 0.5 ),
        ]
        aggregate in [nnm|>cm]
      }
    }";
    let labels = |text: &str| {
        let src = byz::check::SourceFile::new("s.byz", text);
        let plans = byz::check::check_source(&src, None).expect("checks");
        plans[0].runs.iter().map(|r| r.label.clone()).collect::<Vec<_>>()
    };
    let a = labels(one_line);
    assert_eq!(a, labels(spread));
    assert_eq!(a[0][0].1, "plan { lookahead 2; choose [sf, alie] }");
    assert_eq!(a[1][0].1, "foe(eps: 0.5)");
    assert_eq!(a[0][1].1, "nnm |> cm");
}

/// A store written by an older byz, whose summary metrics counted step 0,
/// reports the metrics of this version's definitions: they are computed again
/// from the stored series.
#[test]
fn stored_runs_report_metrics_by_the_current_definitions() {
    let dir = temp_dir("stale-metrics");
    std::fs::write(dir.join("s.byz"), "use std.papers.jump\nscenario s extends two_wells { aggregate cm }\n").unwrap();
    let first = byz_in(&dir, &["run", "s.byz", "--format", "json"]);
    assert!(first.status.success(), "{}", String::from_utf8_lossy(&first.stderr));
    let runs = dir.join("results/s/runs");
    let stored = std::fs::read_dir(&runs)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "json"))
        .unwrap();
    let mut json: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&stored).unwrap()).unwrap();
    json["result"]["metrics"]["max_loss"] = serde_json::json!(999.0);
    std::fs::write(&stored, json.to_string()).unwrap();
    let again = byz_in(&dir, &["run", "s.byz", "--format", "json"]);
    assert!(again.status.success());
    assert_eq!(
        String::from_utf8_lossy(&again.stdout),
        String::from_utf8_lossy(&first.stdout),
        "the stale 999 is not reported"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// Progress counts the steps each run takes; a run that diverges takes its
/// remaining steps off the total, so the bar ends full.
#[test]
fn progress_ends_full_when_a_run_diverges() {
    let text = "scenario blowup {
  task landscape {
    init [3]
    honest a = exp(sqnorm(theta))
    honest b = exp(sqnorm(theta))
  }
  workers { byzantine 1 }
  aggregate cm
  attack none
  train { steps 50; lr 10 }
}";
    let src = byz::check::SourceFile::new("blowup.byz", text);
    let plans = byz::check::check_source(&src, None).expect("checks");
    let run = &plans[0].runs[0];
    let progress = byz::experiment::Progress::new(1, 50, true);
    let outcomes = byz::experiment::run_all(&[run], None, &progress, None);
    let result = outcomes[0].result.as_ref().expect("a divergence is a result");
    assert!(result.diverged.is_some(), "the run should diverge");
    let (taken, total) = progress.steps();
    assert!(taken < 50 && taken == total, "took {taken} of a total of {total}");
}
