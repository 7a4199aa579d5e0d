//! Sweeps split over processes and machines: plan indices and keys, shards
//! writing into one store at once, collecting, status, failures kept in the
//! store, and the usage errors of these commands. The Slurm tests are in
//! tests/slurm.rs.

mod common;

use std::path::Path;
use std::process::{Command, Stdio};

use common::{byz_in, temp_dir, text};

const SWEEP: &str = common::WELLS_SWEEP;

fn tree(dir: &Path) -> Vec<(String, Vec<u8>)> {
    common::files_under(dir, "")
}

#[test]
fn plan_lists_every_run_with_its_index_and_key() {
    let dir = temp_dir("plan-list");
    std::fs::write(dir.join("sweep.byz"), SWEEP).unwrap();
    let out = byz_in(&dir, &["plan", "sweep.byz"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let lines: Vec<String> = text(&out.stdout).lines().map(str::to_string).collect();
    assert_eq!(lines.len(), 8, "{lines:?}");
    assert!(lines[0].trim_start().starts_with("0  ") && lines[0].contains("[attack sf]  seed 1  100 steps"));
    assert!(lines[7].trim_start().starts_with("7  ") && lines[7].contains("[attack foe]  seed 2"));
    let keys: std::collections::HashSet<&str> = lines.iter().map(|l| l.split_whitespace().nth(1).unwrap()).collect();
    assert_eq!(keys.len(), 8, "every run has its own key");
    assert!(text(&out.stderr).contains("8 runs in 1 scenarios, 800 training steps"), "{}", text(&out.stderr));

    let json = byz_in(&dir, &["plan", "sweep.byz", "--format", "json"]);
    let first: serde_json::Value = serde_json::from_str(text(&json.stdout).lines().next().unwrap()).unwrap();
    assert_eq!((first["index"].as_u64(), first["seed"].as_u64()), (Some(0), Some(1)));
    assert_eq!(first["label"]["attack"], "sf");
}

#[test]
fn shards_writing_into_one_folder_at_once_make_the_store_of_one_process() {
    let dir = temp_dir("shards");
    std::fs::write(dir.join("sweep.byz"), SWEEP).unwrap();
    let shard = |k: &str| {
        Command::new(env!("CARGO_BIN_EXE_byz"))
            .args(["run", "sweep.byz", "--out", "shared", "--shard", k])
            .current_dir(&dir)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("byz starts")
    };
    let (a, b) = (shard("0/2"), shard("1/2"));
    let (a, b) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
    assert!(a.status.success() && b.status.success(), "{}{}", text(&a.stderr), text(&b.stderr));
    // Each shard prints its own runs (indices 0, 2, 4, 6 and 1, 3, 5, 7) and writes no table.
    assert_eq!(text(&a.stdout).lines().count(), 4);
    assert!(text(&a.stdout).contains("[attack sf]  seed 1") && !text(&a.stdout).contains("[attack sf]  seed 2"));
    assert!(text(&b.stdout).contains("[attack sf]  seed 2"));
    assert!(!dir.join("shared/wells/runs.jsonl").exists() && !dir.join("shared/wells/table.md").exists());
    assert!(text(&a.stderr).contains("byz collect sweep.byz --out shared"), "{}", text(&a.stderr));

    let single = byz_in(&dir, &["run", "sweep.byz", "--out", "single"]);
    assert!(single.status.success());
    assert_eq!(tree(&dir.join("shared/wells/runs")), tree(&dir.join("single/wells/runs")), "the same store");

    let collected = byz_in(&dir, &["collect", "sweep.byz", "--out", "shared"]);
    assert!(collected.status.success(), "{}", text(&collected.stderr));
    assert_eq!(text(&collected.stdout), text(&single.stdout), "the same lines and table as `byz run`");
    assert_eq!(tree(&dir.join("shared")), tree(&dir.join("single")), "the same outputs, byte for byte");
}

#[test]
fn collect_and_status_name_the_missing_runs() {
    let dir = temp_dir("missing");
    std::fs::write(dir.join("sweep.byz"), SWEEP).unwrap();
    let out = byz_in(&dir, &["run", "sweep.byz", "--shard", "1/4"]);
    assert!(out.status.success(), "{}", text(&out.stderr));

    let status = byz_in(&dir, &["status", "sweep.byz"]);
    assert_eq!(status.status.code(), Some(1), "runs are missing");
    let s = text(&status.stdout);
    assert!(s.contains("wells: 2 done, 6 missing, 0 failed (8 runs)"), "{s}");
    assert!(s.contains("missing [attack sf] seed 1 (key ") && !s.contains("missing [attack sf] seed 2"), "{s}");

    let collect = byz_in(&dir, &["collect", "sweep.byz"]);
    assert_eq!(collect.status.code(), Some(1));
    let e = text(&collect.stderr);
    assert!(e.contains("6 of 8 runs of `wells` are not in") && e.contains("missing [attack foe] seed 1"), "{e}");
    assert!(!dir.join("results/wells/runs.jsonl").exists(), "nothing is written from a partial store");

    let rest = byz_in(&dir, &["run", "sweep.byz"]);
    assert!(rest.status.success());
    assert!(text(&rest.stderr).contains("2 of 8 runs of `wells` came from the results store"));
    let status = byz_in(&dir, &["status", "sweep.byz"]);
    assert!(status.status.success() && text(&status.stdout).contains("8 done, 0 missing, 0 failed"));
}

#[test]
fn runs_named_by_key_run_alone_and_unknown_keys_are_refused() {
    let dir = temp_dir("keys");
    std::fs::write(dir.join("sweep.byz"), SWEEP).unwrap();
    let plan = text(&byz_in(&dir, &["plan", "sweep.byz"]).stdout);
    let keys: Vec<&str> = plan.lines().map(|l| l.split_whitespace().nth(1).unwrap()).collect();
    let two = format!("{},{}", keys[3], keys[6]);
    let out = byz_in(&dir, &["run", "sweep.byz", "--runs", &two]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let lines = text(&out.stdout);
    assert_eq!(lines.lines().count(), 2);
    assert!(lines.contains("[attack alie]  seed 2") && lines.contains("[attack foe]  seed 1"), "{lines}");

    let bad = byz_in(&dir, &["run", "sweep.byz", "--runs", "0123456789abcdef"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(text(&bad.stderr).contains("names no run of this file: 0123456789abcdef"), "{}", text(&bad.stderr));
}

#[test]
fn a_failed_run_keeps_its_error_in_the_store_until_it_succeeds() {
    let dir = temp_dir("failed");
    std::fs::write(
        dir.join("broken.byz"),
        "scenario broken {
  data mnist(\"digits\")
  model (1,28,28)-L(10)
  workers { honest 3; byzantine 1 }
  train { steps 5; batch 4; lr 0.1 }
  aggregate cm
  attack sf
}
",
    )
    .unwrap();
    // The files are there (the check passes) but are not IDX files.
    std::fs::create_dir_all(dir.join("digits")).unwrap();
    for f in byz::task::data::DataKind::Mnist.files() {
        std::fs::write(dir.join("digits").join(f), b"not an IDX file").unwrap();
    }
    let run = byz_in(&dir, &["run", "broken.byz"]);
    assert_eq!(run.status.code(), Some(1), "{}", text(&run.stderr));
    let status = byz_in(&dir, &["status", "broken.byz"]);
    assert_eq!(status.status.code(), Some(1));
    let s = text(&status.stdout);
    assert!(s.contains("0 done, 0 missing, 1 failed") && s.contains("is not a valid IDX file"), "{s}");
    let collect = byz_in(&dir, &["collect", "broken.byz"]);
    assert_eq!(collect.status.code(), Some(1));
    assert!(text(&collect.stderr).contains("failed  [attack sf] seed 1"), "{}", text(&collect.stderr));

    byz::task::data::write_synthetic(byz::task::data::DataKind::Mnist, &dir.join("digits"), 40).unwrap();
    let again = byz_in(&dir, &["run", "broken.byz"]);
    assert!(again.status.success(), "{}", text(&again.stderr));
    let status = byz_in(&dir, &["status", "broken.byz"]);
    assert!(status.status.success(), "{}", text(&status.stdout));
    let failures = std::fs::read_dir(dir.join("results/broken/runs"))
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().ends_with(".failed.json"))
        .count();
    assert_eq!(failures, 0, "the success replaced the failure");
}

#[test]
fn usage_errors_exit_with_2() {
    let dir = temp_dir("usage");
    std::fs::write(dir.join("sweep.byz"), SWEEP).unwrap();
    for shard in ["3/2", "x", "1/0"] {
        let out = byz_in(&dir, &["run", "sweep.byz", "--shard", shard]);
        assert_eq!(out.status.code(), Some(2), "--shard {shard}");
        assert!(text(&out.stderr).contains("K/N"), "{}", text(&out.stderr));
    }
    let none = byz_in(&dir, &["collect", "sweep.byz", "--scenario", "nope"]);
    assert_eq!(none.status.code(), Some(2));
    assert!(text(&none.stderr).contains("no scenario `nope`") && text(&none.stderr).contains("wells"));
    let unwritable = byz_in(&dir, &["run", "sweep.byz", "--out", "/proc/nope"]);
    assert_eq!(unwritable.status.code(), Some(2));
    assert!(text(&unwritable.stderr).contains("cannot write into `/proc/nope`"), "{}", text(&unwritable.stderr));
}

#[test]
fn slurm_without_sbatch_says_how_to_get_it() {
    let dir = temp_dir("no-sbatch");
    std::fs::write(dir.join("sweep.byz"), SWEEP).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_byz"))
        .args(["slurm", "sweep.byz"])
        .current_dir(&dir)
        .env("PATH", dir.join("empty-path"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let e = text(&out.stderr);
    assert!(e.contains("`sbatch` cannot be run here") && e.contains("apt install slurm-client"), "{e}");
}

#[test]
fn slurm_dry_run_writes_the_scripts_for_the_missing_runs_only() {
    let dir = temp_dir("dry-run");
    std::fs::write(dir.join("sweep.byz"), SWEEP).unwrap();
    assert!(byz_in(&dir, &["run", "sweep.byz", "--shard", "0/2"]).status.success());
    let out = byz_in(
        &dir,
        &[
            "slurm",
            "sweep.byz",
            "--dry-run",
            "--runs-per-task",
            "3",
            "--array-limit",
            "2",
            "--partition",
            "short",
            "--time",
            "1:00:00",
            "--cpus-per-task",
            "4",
            "--mem",
            "2G",
            "--sbatch-option=--account=lab",
            "--",
            "--gres=gpu:1",
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("wells: 4 of 8 runs to run, in 2 array tasks"), "{}", text(&out.stdout));
    let array = std::fs::read_to_string(dir.join("results/wells/slurm/array.sbatch")).unwrap();
    let root = std::fs::canonicalize(&dir).unwrap();
    for line in [
        "#SBATCH --array=0-1%2".to_string(),
        "#SBATCH --partition=short".into(),
        "#SBATCH --time=1:00:00".into(),
        "#SBATCH --cpus-per-task=4".into(),
        "#SBATCH --mem=2G".into(),
        "#SBATCH --account=lab".into(),
        "#SBATCH --gres=gpu:1".into(),
        format!("#SBATCH --chdir={}", root.display()),
    ] {
        assert!(array.lines().any(|l| l == line), "{line} in\n{array}");
    }
    // Chunks of 3 and 1 of the odd-indexed runs, with absolute paths.
    let plan = text(&byz_in(&dir, &["plan", "sweep.byz"]).stdout);
    let keys: Vec<&str> = plan.lines().map(|l| l.split_whitespace().nth(1).unwrap()).collect();
    assert!(array.contains(&format!("  0) runs={},{},{} ;;", keys[1], keys[3], keys[5])), "{array}");
    assert!(array.contains(&format!("  1) runs={} ;;", keys[7])), "{array}");
    assert!(array.contains(&format!("run '{}'", root.join("sweep.byz").display())), "{array}");
    let collect = std::fs::read_to_string(dir.join("results/wells/slurm/collect.sbatch")).unwrap();
    assert!(collect.contains(" collect ") && collect.contains("#SBATCH --cpus-per-task=1"), "{collect}");
}

#[test]
fn plan_estimates_the_cpu_hours_of_001_table_1() {
    // CIFAR-10 is not in the repository: the steps are timed on random images of its shape.
    let out = byz_in(
        &common::root(),
        &[
            "plan",
            "scenarios/papers/jump_table1_cifar10.byz",
            "--estimate",
            "--estimate-steps",
            "1",
            "--estimate-budget",
            "0",
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let s = text(&out.stdout);
    let last = s.lines().find(|l| l.starts_with("estimate: ")).unwrap_or_else(|| panic!("{s}"));
    assert!(last.starts_with("estimate: 480 runs, "), "{last}");
    let hours: f64 = last.split_whitespace().nth(3).unwrap().parse().unwrap();
    // 720,000 CNN steps: at least 0.1 s of CPU each.
    assert!(hours > 20.0, "{last}");
    assert!(s.contains("random images"), "{s}");
}
