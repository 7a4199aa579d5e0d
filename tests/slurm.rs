//! `byz slurm` on a real Slurm: `scripts/slurm-local` starts a single-node
//! cluster (`.ci/run` does, and sets BYZ_REQUIRE_SLURM=1 so that these tests
//! fail rather than skip when it is not there). Outputs collected on the
//! cluster must equal a local `byz run`'s byte for byte, also after a task
//! was cancelled mid-run and submitted again.

mod common;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use common::{byz_in, temp_dir, text};

/// Whether a Slurm cluster answers; says why a test is skipped when not.
fn slurm_ready(test: &str) -> bool {
    let ok = Command::new("sinfo")
        .args(["-h", "-o", "%T"])
        .output()
        .is_ok_and(|o| o.status.success() && !o.stdout.is_empty());
    if !ok {
        let how = "start one with `eval \"$(scripts/slurm-local start)\"`";
        assert!(
            std::env::var_os("BYZ_REQUIRE_SLURM").is_none(),
            "BYZ_REQUIRE_SLURM is set but no Slurm answers: {how}"
        );
        eprintln!("skipped {test}: no Slurm cluster answers `sinfo`; {how}");
    }
    ok
}

/// Every output under `dir` but the Slurm scripts and logs.
fn outputs(dir: &Path) -> Vec<(String, Vec<u8>)> {
    common::files_under(dir, "slurm")
}

/// The same files with the same bytes under both folders; names the first file that differs.
fn same_outputs(cluster: &Path, local: &Path) {
    let (c, l) = (outputs(cluster), outputs(local));
    let names = |files: &[(String, Vec<u8>)]| files.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>();
    assert_eq!(names(&c), names(&l));
    for ((name, a), (_, b)) in c.iter().zip(&l) {
        assert!(a == b, "{name} differs:\n--- cluster\n{}\n--- local\n{}", text(a), text(b));
    }
}

/// The job ids `byz slurm` printed: (array, collect).
fn job_ids(stdout: &str) -> (String, String) {
    let line = stdout.lines().find(|l| l.contains("array job ")).unwrap_or_else(|| panic!("{stdout}"));
    let words: Vec<&str> = line.split_whitespace().collect();
    (words[2].trim_end_matches(',').to_string(), words[6].to_string())
}

fn squeue(jobs: &str) -> String {
    let out = Command::new("squeue").args(["-h", "-j", jobs, "-o", "%i %T"]).output().expect("squeue runs");
    text(&out.stdout)
}

const SWEEP: &str = common::WELLS_SWEEP;

#[test]
fn a_sweep_run_on_slurm_equals_a_local_run_byte_for_byte() {
    if !slurm_ready("a_sweep_run_on_slurm_equals_a_local_run_byte_for_byte") {
        return;
    }
    let dir = temp_dir("slurm-sweep");
    std::fs::write(dir.join("sweep.byz"), SWEEP).unwrap();
    let local = byz_in(&dir, &["run", "sweep.byz", "--out", "local"]);
    assert!(local.status.success());
    // The snapshot of the local results, to test the cluster's against.
    assert!(byz_in(&dir, &["test", "sweep.byz", "--snapshot"]).status.success());

    let slurm =
        byz_in(&dir, &["slurm", "sweep.byz", "--out", "cluster", "--runs-per-task", "2", "--wait", "--poll", "0.5"]);
    let (out, err) = (text(&slurm.stdout), text(&slurm.stderr));
    assert!(slurm.status.success(), "{out}\n{err}");
    assert!(out.contains("wells: 8 of 8 runs to run, in 4 array tasks"), "{out}");
    assert!(err.contains("ended: COMPLETED (exit code 0)"), "{err}");
    // The collect job printed what `byz run` prints, and wrote the same files.
    assert!(out.contains(&text(&local.stdout)), "{out}");
    same_outputs(&dir.join("cluster/wells"), &dir.join("local/wells"));
    assert_eq!(std::fs::read_dir(dir.join("cluster/wells/slurm/logs")).unwrap().count(), 5, "4 array tasks, 1 collect");
    // The snapshot test passes on the cluster's stored results, without running them again.
    let test = byz_in(&dir, &["test", "sweep.byz", "--out", "cluster"]);
    assert!(test.status.success(), "{}", text(&test.stdout));
    assert!(text(&test.stdout).contains("1 passed, 0 failed"));

    // Submitting again finds every run stored: only the collect job runs.
    let again = byz_in(&dir, &["slurm", "sweep.byz", "--out", "cluster", "--wait", "--poll", "0.5"]);
    assert!(again.status.success(), "{}", text(&again.stderr));
    assert!(text(&again.stdout).contains("all 8 runs are in the store"), "{}", text(&again.stdout));
    assert!(!dir.join("cluster/wells/slurm/array.sbatch").exists());
}

/// 4 runs of a few seconds each: long enough to cancel one mid-run.
const SLOW: &str = "scenario slow {
  seeds 1..=2
  task mean_estimation { dim 2; mean [2, 2]; std 1; init [0, 0] }
  workers { honest 7; byzantine 2 }
  train { steps 800; lr 0.1 }
  aggregate cm
  sweep { attack in [jump(segment: 2, solver: nelder_mead), jump(segment: 4, solver: nelder_mead)] }
}
";

#[test]
fn a_task_cancelled_mid_run_is_missing_and_submitted_again_alone() {
    if !slurm_ready("a_task_cancelled_mid_run_is_missing_and_submitted_again_alone") {
        return;
    }
    let dir = temp_dir("slurm-cancel");
    std::fs::write(dir.join("slow.byz"), SLOW).unwrap();
    let submit = byz_in(&dir, &["slurm", "slow.byz", "--out", "cluster"]);
    assert!(submit.status.success(), "{}", text(&submit.stderr));
    let (array, collect) = job_ids(&text(&submit.stdout));

    // Cancel the first array task seen running, a moment after it starts.
    let start = Instant::now();
    let running = loop {
        assert!(start.elapsed() < Duration::from_secs(60), "no array task started: {}", squeue(&array));
        if let Some(line) = squeue(&array).lines().find(|l| l.ends_with(" RUNNING")) {
            break line.split_whitespace().next().unwrap().to_string();
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    std::thread::sleep(Duration::from_millis(500));
    assert!(Command::new("scancel").arg(&running).status().unwrap().success());
    let both = format!("{array},{collect}");
    while !squeue(&both).trim().is_empty() {
        assert!(start.elapsed() < Duration::from_secs(180), "the jobs did not end: {}", squeue(&both));
        std::thread::sleep(Duration::from_millis(200));
    }

    // No half-written result: every stored file parses; the cancelled run is missing.
    for e in std::fs::read_dir(dir.join("cluster/slow/runs")).unwrap().flatten() {
        let p = e.path();
        if p.extension().is_some_and(|x| x == "json") {
            let body = std::fs::read_to_string(&p).unwrap();
            serde_json::from_str::<serde_json::Value>(&body)
                .unwrap_or_else(|e| panic!("{} is partial: {e}", p.display()));
        }
    }
    let status = byz_in(&dir, &["status", "slow.byz", "--out", "cluster"]);
    assert_eq!(status.status.code(), Some(1), "{}", text(&status.stdout));
    assert!(text(&status.stdout).contains("slow: 3 done, 1 missing, 0 failed (4 runs)"), "{}", text(&status.stdout));
    assert!(!dir.join("cluster/slow/runs.jsonl").exists(), "the collect job found a run missing");

    let again = byz_in(&dir, &["slurm", "slow.byz", "--out", "cluster", "--wait", "--poll", "0.5"]);
    assert!(again.status.success(), "{}\n{}", text(&again.stdout), text(&again.stderr));
    assert!(text(&again.stdout).contains("slow: 1 of 4 runs to run, in 1 array tasks"), "{}", text(&again.stdout));
    let local = byz_in(&dir, &["run", "slow.byz", "--out", "local"]);
    assert!(local.status.success());
    same_outputs(&dir.join("cluster/slow"), &dir.join("local/slow"));
}
