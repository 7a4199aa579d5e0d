//! The command line as a user meets it: exit codes, imports, explain.

mod common;

use std::process::{Command, Output};

fn byz(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_byz")).args(args).current_dir(common::root()).output().expect("byz runs")
}

#[test]
fn check_passes_on_every_shipped_scenario() {
    let files: Vec<String> = common::scenario_files("scenarios/toy").iter().map(|p| p.display().to_string()).collect();
    let mut args = vec!["check"];
    args.extend(files.iter().map(String::as_str));
    let out = byz(&args);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn check_errors_exit_with_2_and_name_the_place() {
    let out = byz(&["check", "tests/inputs/errors/unknown_rule.byz"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("unknown_rule.byz:5:13") && err.contains("krum"), "{err}");
}

#[test]
fn a_missing_file_is_a_check_error() {
    let out = byz(&["run", "no/such/file.byz"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn relative_use_and_base_refinement() {
    let dir = std::env::temp_dir().join(format!("byz-cli-{}", std::process::id()));
    let out = byz(&["run", "tests/inputs/use/main.byz", "--format", "json", "--out", dir.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let line: serde_json::Value = serde_json::from_slice(out.stdout.split(|b| *b == b'\n').next().unwrap()).unwrap();
    assert_eq!(line["series"]["step"].as_array().unwrap().len(), 11, "steps 10 from the scenario");
    assert_eq!(line["attack"], "0..5 none; 5.. sf");
    assert!(dir.join("from_a_file/runs.jsonl").exists());
    assert!(!dir.join("from_a_file/trajectory-seed1.svg").exists(), "no trajectory was asked for");
}

#[test]
fn trajectory_plots_are_written() {
    let dir = std::env::temp_dir().join(format!("byz-plot-{}", std::process::id()));
    let out = byz(&["run", "scenarios/toy/two_wells_krum.byz", "--out", dir.to_str().unwrap()]);
    assert!(out.status.success());
    let svg = std::fs::read_to_string(dir.join("two_wells_krum/trajectory-seed1.svg")).expect("plot written");
    assert!(svg.contains("<svg") && svg.contains("jump(segment: 1, solver: powell)"));
}

#[test]
fn explain_prints_the_registry_entry() {
    let out = byz(&["explain", "tm"]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("trim") && text.contains("default: f"), "{text}");
    assert_eq!(byz(&["explain", "krun"]).status.code(), Some(2));
    // The words of `table` and `expect` are in the registry too, with their window.
    let text = String::from_utf8_lossy(&byz(&["explain", "max"]).stdout).into_owned();
    assert!(text.contains("max (statistic)") && text.contains("from step 0"), "{text}");
    // Tasks, data sets, layers, settings and report items are registry entries too.
    for (name, heading) in [
        ("landscape", "landscape (task)"),
        ("mnist", "mnist (data set)"),
        ("C", "C (layer)"),
        ("train.lr", "lr (setting of train)"),
        ("trajectory", "trajectory (report item)"),
        ("workers", "workers (section)"),
    ] {
        let text = common::text(&byz(&["explain", name]).stdout);
        assert!(text.starts_with(heading), "{name}: {text}");
    }
    // Both tasks' `init`, each with its block.
    let init = common::text(&byz(&["explain", "init"]).stdout);
    assert!(
        init.contains("init (setting of task landscape)") && init.contains("init (setting of task mean_estimation)"),
        "{init}"
    );
    let all = common::text(&byz(&["explain", "all"]).stdout);
    assert!(all.contains("settings: workers { honest, byzantine, declared, heterogeneity }; train { steps,"), "{all}");
}

/// Every error has a stable code, and `byz explain` says what it means.
#[test]
fn explain_prints_an_error_code() {
    let out = byz(&["explain", "E0009"]);
    assert!(out.status.success());
    let text = common::text(&out.stdout);
    assert!(text.starts_with("E0009: the rule's requirement on n and f is not met\n"), "{text}");
    assert!(text.contains("4f + 3") && text.lines().all(|l| l.chars().count() <= 90), "{text}");
    assert_eq!(common::text(&byz(&["explain", "e9"]).stdout), text, "short and lower-case forms");
    assert_eq!(byz(&["explain", "E0999"]).status.code(), Some(2));
    let all = common::text(&byz(&["explain", "all"]).stdout);
    assert!(all.contains("E0001  the text does not follow the grammar"), "{all}");
}

#[test]
fn aggregate_reads_vectors_and_explains_selections() {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_byz"))
        .args(["aggregate", "krum", "--f", "1", "--explain"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("byz runs");
    let input = br#"{"vectors": [[0, 0], [0.1, 0], [0, 0.1], [0.1, 0.1], [9, 9]]}"#;
    child.stdin.take().unwrap().write_all(input).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["selected"].as_array().unwrap().len(), 1);
    assert_ne!(v["selected"][0], 4, "the outlier is never Krum's choice");
}

#[test]
fn show_split_prints_each_workers_class_histogram_once() {
    if !std::path::Path::new(&common::root().join("data/mnist/train-labels-idx1-ubyte")).exists() {
        let ok =
            Command::new("python3").arg(common::root().join("scripts/fetch-mnist")).status().is_ok_and(|s| s.success());
        assert!(ok, "scripts/fetch-mnist failed");
    }
    let dir = std::env::temp_dir().join(format!("byz-split-{}", std::process::id()));
    let out = byz(&[
        "run",
        "scenarios/mnist/logreg_iid.byz",
        "--scenario",
        "logreg_skewed",
        "--show-split",
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.matches("worker 11:").count(), 1, "{err}");
    let total: usize = err.lines().filter_map(|l| l.split('(').nth(1)?.split(' ').next()?.parse::<usize>().ok()).sum();
    assert_eq!(total, 8000, "every training digit goes to exactly one worker");
}

#[test]
fn byz_test_checks_expectations_and_reports_what_broke() {
    let out = byz(&["test", "tests/inputs/expect/two_wells.byz"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stdout));
    assert!(String::from_utf8_lossy(&out.stdout).ends_with("2 passed, 0 failed\n"));
    let out = byz(&["test", "tests/inputs/expect"]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("`mean loss > 0.7` broke in [attack sf] seed 1: it was 0.5771"), "{text}");
    assert!(text.ends_with("2 passed, 1 failed\n"), "{text}");
}

/// `max loss` leaves out step 0's untrained model; `from step 0` takes it in.
#[test]
fn statistics_leave_out_step_0_unless_a_window_says_so() {
    let out = byz(&["test", "tests/inputs/window"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success() && text.ends_with("1 passed, 0 failed\n"), "{text}");
}

#[test]
fn byz_test_runs_the_shipped_stress_tests_and_result_snapshots() {
    let out = byz(&["test", "scenarios/toy"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("ok   jump_breaks_cm") && text.ends_with("6 passed, 0 failed\n"), "{text}");
    // The same from another directory: snapshots name their file, not the path to it.
    let out = Command::new(env!("CARGO_BIN_EXE_byz"))
        .args(["test", "toy/two_wells_expectations.byz"])
        .current_dir(common::root().join("scenarios"))
        .output()
        .expect("byz runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stdout));
}

#[test]
fn check_names_missing_data_without_failing() {
    // CIFAR-10 is not in the repository: the cluster file checks, and says what running it here needs.
    let out = byz(&["check", "scenarios/papers/jump_table1_cifar10.byz"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("480 runs") && text.contains("to run it here, `data/cifar10` lacks"), "{text}");
    let run = byz(&["run", "scenarios/papers/jump_table1_cifar10.byz", "--out", "/tmp/byz-no-cifar"]);
    assert_eq!(run.status.code(), Some(2), "running needs the data");
}

/// `byz run f.byz | head -1`: the pipe closes early and byz ends quietly
/// (killed by SIGPIPE as `cat` is), with no panic message. The file prints
/// 79 KB of JSON, more than a pipe holds, so byz does write to the closed pipe.
#[test]
fn a_closed_pipe_ends_byz_quietly() {
    use std::io::{BufRead, BufReader};
    let out = common::temp_dir("closed-pipe");
    let mut child = Command::new(env!("CARGO_BIN_EXE_byz"))
        .args(["run", "scenarios/threat/declared_f.byz", "--format", "json", "--out"])
        .arg(&out)
        .current_dir(common::root())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("byz starts");
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut first).unwrap();
    assert!(first.starts_with('{'), "{first}");
    // The reader is dropped here: the pipe is closed with lines still to print.
    let done = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&done.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    // Ended by SIGPIPE (13), as `cat` is; a panic would exit with 101.
    use std::os::unix::process::ExitStatusExt;
    assert_eq!(done.status.signal(), Some(13), "{:?}: {stderr}", done.status);
}

/// The newer defences and attacks run through `byz run` on a shipped file:
/// under Fang's attack on Krum, the newer rules keep the final loss far below
/// `krum`'s; `curves.csv` holds the same numbers as `runs.jsonl`.
#[test]
fn the_newer_defences_run_from_a_scenario() {
    let out = common::temp_dir("recent-defences");
    let run = byz(&["run", "scenarios/defences/recent.byz", "--format", "json", "--out", out.to_str().unwrap()]);
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let lines: Vec<serde_json::Value> =
        String::from_utf8(run.stdout).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 9 * 7 * 2);
    let final_loss = |rule: &str| {
        let runs: Vec<f64> = lines
            .iter()
            .filter(|l| l["aggregate"] == rule && l["attack"] == "fang(rule: krum)")
            .map(|l| l["metrics"]["final_loss"].as_f64().unwrap())
            .collect();
        runs.iter().sum::<f64>() / runs.len() as f64
    };
    let krum = final_loss("krum");
    for rule in ["dnc", "caf", "smea", "clipped_clustering", "signguard", "fltrust", "scc"] {
        assert!(final_loss(rule) < krum / 10.0, "{rule}: {} vs krum {krum}", final_loss(rule));
    }
    // The table has one row and one column field: a heat map, each cell annotated with
    // table.csv's mean, axes and colour bar named, as SVG, PNG and PDF.
    let dir = out.join("recent_defences");
    let svg = std::fs::read_to_string(dir.join("heatmap.svg")).unwrap();
    let mut table = csv::Reader::from_path(dir.join("table.csv")).unwrap();
    for cell in table.records().map(Result::unwrap) {
        let mean: f64 = cell[3].parse().unwrap();
        assert!(svg.contains(&format!("\n{mean:.4}\n")), "no cell {mean:.4} ({}, {})", &cell[0], &cell[1]);
    }
    for name in ["\naggregate\n", "\nattack\n", "\nfinal loss\n"] {
        assert!(svg.contains(name), "the heat map does not name {name}");
    }
    assert!(std::fs::read(dir.join("heatmap.png")).unwrap().starts_with(b"\x89PNG"));
    assert!(std::fs::read(dir.join("heatmap.pdf")).unwrap().starts_with(b"%PDF-"));
    // curves.csv holds every loss of runs.jsonl, one row per run and step, in the same order.
    let runs: Vec<serde_json::Value> = std::fs::read_to_string(out.join("recent_defences/runs.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let mut csv = csv::Reader::from_path(out.join("recent_defences/curves.csv")).unwrap();
    let head: Vec<String> = csv.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(head, ["run", "aggregate", "attack", "seed", "step", "metric", "value"]);
    let rows: Vec<csv::StringRecord> = csv.records().map(Result::unwrap).collect();
    let expected: Vec<(usize, f64)> = runs
        .iter()
        .enumerate()
        .flat_map(|(i, r)| r["series"]["loss"].as_array().unwrap().iter().map(move |x| (i, x.as_f64().unwrap())))
        .collect();
    assert_eq!(rows.len(), expected.len());
    for (row, (i, loss)) in rows.iter().zip(expected) {
        assert_eq!(row[0].parse::<usize>().unwrap(), i);
        assert_eq!((&row[1], &row[2]), (runs[i]["aggregate"].as_str().unwrap(), runs[i]["attack"].as_str().unwrap()));
        assert_eq!((&row[5], row[6].parse::<f64>().unwrap()), ("loss", loss));
    }
}

/// `worst attack` then `best train.lr` in a shipped table, against the same
/// reductions computed here from runs.jsonl: per aggregate, the mean final
/// loss over seeds of each (lr, attack), the highest over the attacks at
/// each lr, the lowest of those over the lrs.
#[test]
fn worst_and_best_reduce_as_computed_by_hand() {
    let out = common::temp_dir("worst-case");
    let run = byz(&["run", "scenarios/defences/worst_case.byz", "--out", out.to_str().unwrap()]);
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let runs: Vec<serde_json::Value> = std::fs::read_to_string(out.join("worst_case/runs.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let label = |r: &serde_json::Value, k: &str| r["label"][k].as_str().unwrap().to_string();
    let mut csv = csv::Reader::from_path(out.join("worst_case/table.csv")).unwrap();
    let head: Vec<String> = csv.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(head, ["aggregate", "statistic", "mean", "ci95", "seeds", "worst attack", "best train.lr"]);
    let rows: Vec<csv::StringRecord> = csv.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 6);
    for row in &rows {
        let aggregate = &row[0];
        let mut by_lr: Vec<(String, String, f64)> = vec![]; // (lr, worst attack, its mean)
        for lr in ["0.03", "0.1", "0.3"] {
            let mut worst: Option<(String, f64)> = None;
            for attack in ["sf", "alie", "foe", "fang(rule: tm)", "mimic"] {
                let xs: Vec<f64> = runs
                    .iter()
                    .filter(|r| {
                        label(r, "aggregate") == aggregate && label(r, "train.lr") == lr && label(r, "attack") == attack
                    })
                    .map(|r| r["metrics"]["final_loss"].as_f64().unwrap_or(f64::INFINITY))
                    .collect();
                assert_eq!(xs.len(), 2);
                let mean = xs.iter().sum::<f64>() / 2.0;
                if worst.as_ref().is_none_or(|(_, w)| mean > *w) {
                    worst = Some((attack.to_string(), mean));
                }
            }
            let (attack, mean) = worst.unwrap();
            by_lr.push((lr.to_string(), attack, mean));
        }
        let (lr, attack, mean) = by_lr.iter().min_by(|a, b| a.2.total_cmp(&b.2)).unwrap().clone();
        let got: f64 = row[2].parse().unwrap();
        assert!((got - mean).abs() <= 1e-12 * mean.abs().max(1.0), "{aggregate}: {got} vs {mean}");
        assert_eq!((&row[5], &row[6]), (attack.as_str(), lr.as_str()), "{aggregate}");
    }
    // The worst case differs between rules, so the reduction is not trivially the same choice.
    assert!(rows.iter().any(|r| r[5] != rows[0][5]) || rows.iter().any(|r| r[6] != rows[0][6]));
}

/// `negative inner_product` and `mean cosine` in `expect`: IPM turns Krum at
/// a small ε and trimmed mean at a large one, not at a small one (002 §6).
#[test]
fn inner_product_statistics_are_expectations() {
    let out = common::temp_dir("ipm-expect");
    let run = byz(&["test", "scenarios/attacks/ipm_descent.byz", "--out", out.to_str().unwrap()]);
    let text = String::from_utf8_lossy(&run.stdout);
    assert!(run.status.success(), "{text}{}", String::from_utf8_lossy(&run.stderr));
    assert!(text.contains("3 passed, 0 failed"), "{text}");
}

/// Off a terminal, a line per run as it ends and the files written; `--quiet`: only results and warnings.
#[test]
fn quiet_runs_print_only_their_results() {
    let dir = common::temp_dir("quiet");
    std::fs::write(dir.join("sweep.byz"), common::WELLS_SWEEP).unwrap();
    let loud = common::byz_in(&dir, &["run", "sweep.byz"]);
    let err = common::text(&loud.stderr);
    assert!(err.contains("[1/8] wells [attack ") && err.contains("[8/8] ") && err.contains("wrote "), "{err}");
    let quiet = common::byz_in(&dir, &["run", "sweep.byz", "--quiet"]);
    assert!(quiet.status.success());
    // The file's warning (ALIE with z = 0 here) stays; progress, the store's note and the files go.
    let err = common::text(&quiet.stderr);
    assert!(
        err.contains("warning") && !err.contains("[1/8]") && !err.contains("wrote ") && !err.contains("store"),
        "{err}"
    );
    assert_eq!(common::text(&quiet.stdout), common::text(&loud.stdout), "the same results, from the store");
}

/// `byz check --format json`: one line per file, its scenarios and each diagnostic with its place.
#[test]
fn check_reports_json_for_tools() {
    let dir = common::temp_dir("check-json");
    std::fs::write(
        dir.join("bad.byz"),
        "use std.papers.jump\n\nscenario s extends two_wells {\n  aggregate krumm\n}\n",
    )
    .unwrap();
    std::fs::write(dir.join("good.byz"), common::WELLS_SWEEP).unwrap();
    let out = common::byz_in(&dir, &["check", "--format", "json", "bad.byz", "good.byz"]);
    assert_eq!(out.status.code(), Some(2));
    let lines: Vec<serde_json::Value> =
        common::text(&out.stdout).lines().map(|l| serde_json::from_str(l).expect("JSON")).collect();
    assert_eq!(lines.len(), 2);
    let d = &lines[0]["diagnostics"][0];
    assert_eq!((lines[0]["ok"].as_bool(), d["severity"].as_str()), (Some(false), Some("error")));
    assert_eq!((d["line"].as_u64(), d["column"].as_u64(), d["file"].as_str()), (Some(4), Some(13), Some("bad.byz")));
    assert!(d["message"].as_str().unwrap().contains("krumm"), "{d}");
    assert_eq!((d["code"].as_str(), d["kind"].as_str()), (Some("E0005"), None), "an unknown name's code");
    assert_eq!(lines[1]["scenarios"], serde_json::json!(["wells"]));
    assert_eq!((lines[1]["ok"].as_bool(), lines[1]["runs"].as_u64()), (Some(true), Some(8)));
    let w = &lines[1]["diagnostics"][0];
    assert_eq!((w["kind"].as_str(), w["code"].as_str()), (Some("degenerate"), Some("degenerate")), "ALIE's z = 0");
    assert!(common::text(&out.stderr).is_empty(), "no miette report in JSON mode");
}

/// A CNN's step is compared with the matrix product's rate, measured in the
/// same round (benches/README.md, "The CNN against the hardware's bound").
#[test]
fn bench_compares_a_cnn_step_with_the_matrix_product() {
    common::need_mnist();
    let dir = common::temp_dir("bench_bound");
    let file = dir.join("cnn.byz");
    let data = common::root().join("data/mnist");
    std::fs::write(
        &file,
        format!(
            "use std.models\nscenario cnn {{\n  data mnist({:?})\n  model cnn_mnist\n  workers {{\n    honest 2\n    \
             byzantine 1\n  }}\n  train {{\n    steps 5\n    batch 16\n    lr 0.1\n  }}\n  aggregate cm\n  attack sf\n}}\n",
            data.to_str().expect("utf-8")
        ),
    )
    .expect("write");
    let out = byz(&["bench", file.to_str().expect("utf-8"), "--steps", "2", "--rounds", "2"]);
    let stdout = common::text(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", common::text(&out.stderr));
    // 2 workers × 16 digits × 71.6 MFLOP = 2.3 GFLOP a step, above `BOUND_FROM`.
    let times = |s: &str, before: &str| -> f64 {
        s.split(before).next().and_then(|l| l.split_whitespace().last()).expect(before).parse().expect("a number")
    };
    let line = stdout.lines().find(|l| l.starts_with("cnn ")).expect("the run's line");
    let (over, rate) = (times(line, "× the bound"), times(&line.replace('(', " "), " GFLOP/s)"));
    assert!(over.is_finite() && over > 0.0 && rate > 0.0, "{line}");
}

/// `byz bench --ratio A/B --rounds R`: each run timed R times, in turn, and
/// A's runs divided by B's with the same rule, attack and seed, round by round.
#[test]
fn bench_divides_paired_runs_round_by_round() {
    let dir = common::temp_dir("bench_ratio");
    let file = dir.join("grow.byz");
    let scenario = |name: &str, honest: usize| {
        format!(
            "scenario {name} {{\n  task mean_estimation {{\n    dim 2\n    mean [2, 2]\n    std 1\n    init [0, 0]\n  }}\n  \
             workers {{\n    honest {honest}\n    byzantine 2\n  }}\n  train {{\n    steps 5\n    lr 0.1\n  }}\n  \
             aggregate cm\n  sweep {{\n    attack in [sf, foe]\n  }}\n}}\n"
        )
    };
    let swept = scenario("swept", 8).replace("attack in [sf, foe]", "attack in [sf, foe]\n    train.lr in [0.1, 0.2]");
    std::fs::write(&file, scenario("small", 8) + &scenario("large", 64) + &swept).expect("write");
    let path = file.to_str().expect("utf-8");
    let out = byz(&["bench", path, "--ratio", "large/small", "--rounds", "3", "--steps", "4"]);
    let stdout = common::text(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", common::text(&out.stderr));
    let ratios: Vec<&str> = stdout.lines().filter(|l| l.starts_with("large / small")).collect();
    assert_eq!(ratios.len(), 2, "one ratio per paired run (sf, foe):\n{stdout}");
    for line in ratios {
        let value: f64 = line
            .split("ratio ")
            .nth(1)
            .and_then(|r| r.split_whitespace().next())
            .expect("a ratio")
            .parse()
            .expect("a number");
        assert!(value.is_finite() && value > 0.0, "{line}");
        assert_eq!(line.matches("median of 3 rounds").count(), 1, "{line}");
    }
    assert_eq!(stdout.lines().filter(|l| l.contains(" ms/step")).count(), 4, "{stdout}");
    assert!(!stdout.contains("the bound"), "a step this small is not compared with the matrix product");
    // A scenario the file lacks, and a ratio that is not A/B, are refused with a help.
    let out = byz(&["bench", path, "--ratio", "large/tiny"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(common::text(&out.stderr).contains("help: its scenarios are small, large, swept"));
    // Two runs of one rule, attack and seed (a sweep of lr) make the pairing ambiguous.
    let out = byz(&["bench", path, "--ratio", "swept/small"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(common::text(&out.stderr).contains("sweeps more than the rule and the attack"));
    let out = byz(&["bench", path, "--ratio", "large"]);
    assert!(!out.status.success() && common::text(&out.stderr).contains("is not A/B"));
}
