//! Slurm: batch scripts for a scenario's missing runs and for collecting
//! them, their submission with `sbatch --parsable`, and waiting for a job.
//!
//! Array task K runs chunk K of the runs that were missing at submission.
//! The chunks are written into the array script itself (Slurm keeps a copy
//! of a batch script from submission), so a later `byz slurm` that writes a
//! new script never changes what a queued task runs.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

/// What both jobs run: the byz binary, the file and the results folder (all
/// absolute), and the working directory data paths are relative to.
#[derive(Debug, Clone)]
pub struct Job {
    pub byz: PathBuf,
    pub file: PathBuf,
    pub scenario: String,
    pub out: PathBuf,
    pub workdir: PathBuf,
}

/// Resources and options for the jobs, as `sbatch` takes them.
#[derive(Debug, Clone, Default)]
pub struct Resources {
    /// At most this many array tasks at once (`--array=…%K`).
    pub array_limit: Option<usize>,
    pub partition: Option<String>,
    pub time: Option<String>,
    pub cpus_per_task: Option<usize>,
    pub mem: Option<String>,
    /// Any other option, passed through (`--gres=gpu:1`, `--account=X`).
    pub extra: Vec<String>,
}

/// Quotes `s` for the shell: `'…'`, with `'` written as `'\''`.
pub(crate) fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

fn path(p: &Path) -> String {
    quote(&p.display().to_string())
}

impl Job {
    fn logs(&self) -> PathBuf {
        self.dir().join("logs")
    }

    /// `OUT/SCENARIO/slurm`, where the scripts and logs go.
    pub fn dir(&self) -> PathBuf {
        self.out.join(&self.scenario).join("slurm")
    }

    /// The array job's name in the queue.
    pub(crate) fn array_name(&self) -> String {
        format!("byz-{}", self.scenario)
    }

    /// The `#SBATCH` lines every job of this scenario shares.
    fn header(&self, name: &str, resources: &Resources, cpus: Option<usize>) -> Vec<String> {
        let mut lines =
            vec![format!("#SBATCH --job-name={name}"), format!("#SBATCH --chdir={}", self.workdir.display())];
        let mut opt = |flag: &str, v: Option<String>| {
            if let Some(v) = v {
                lines.push(format!("#SBATCH --{flag}={v}"));
            }
        };
        opt("partition", resources.partition.clone());
        opt("time", resources.time.clone());
        opt("cpus-per-task", cpus.map(|c| c.to_string()));
        opt("mem", resources.mem.clone());
        lines.extend(resources.extra.iter().map(|e| format!("#SBATCH {e}")));
        lines
    }

    /// The array job: task K runs `chunks[K]` (store keys) into the store.
    pub(crate) fn array_script(&self, chunks: &[Vec<String>], resources: &Resources) -> String {
        let limit = resources.array_limit.map(|k| format!("%{k}")).unwrap_or_default();
        let mut s = vec![
            "#!/bin/bash".to_string(),
            format!(
                "# Written by `byz slurm` for scenario `{}` of {}: array task K runs chunk K of",
                self.scenario,
                self.file.display()
            ),
            "# the runs that were missing from the results store at submission.".to_string(),
        ];
        s.extend(self.header(&self.array_name(), resources, resources.cpus_per_task));
        s.push(format!("#SBATCH --array=0-{}{limit}", chunks.len().saturating_sub(1)));
        s.push(format!("#SBATCH --output={}/array_%A_%a.out", self.logs().display()));
        s.push("set -euo pipefail".into());
        s.push("case \"${SLURM_ARRAY_TASK_ID:?this script is a Slurm array job: submit it with sbatch}\" in".into());
        for (k, keys) in chunks.iter().enumerate() {
            s.push(format!("  {k}) runs={} ;;", keys.join(",")));
        }
        s.push("  *) echo \"byz: array task $SLURM_ARRAY_TASK_ID has no runs\" >&2; exit 2 ;;".into());
        s.push("esac".into());
        s.push("# byz's threads: the CPUs Slurm gave this task.".into());
        s.push("if [ -n \"${SLURM_CPUS_PER_TASK:-}\" ]; then export RAYON_NUM_THREADS=$SLURM_CPUS_PER_TASK; fi".into());
        s.push(format!(
            "exec {} run {} --scenario {} --out {} --runs \"$runs\"",
            path(&self.byz),
            path(&self.file),
            quote(&self.scenario),
            path(&self.out)
        ));
        s.join("\n") + "\n"
    }

    /// The collecting job; it is submitted with `--dependency=afterany:ARRAY`
    /// so that it runs once every array task has ended, however it ended.
    pub(crate) fn collect_script(&self, resources: &Resources) -> String {
        let mut s = vec![
            "#!/bin/bash".to_string(),
            format!(
                "# Written by `byz slurm` for scenario `{}` of {}: builds runs.jsonl, tables and",
                self.scenario,
                self.file.display()
            ),
            "# plots from the results store once the array job has ended: `byz slurm` submits it with".into(),
            "# --dependency=afterany:ARRAY_JOB_ID. Exit 1 lists the runs still missing.".into(),
        ];
        s.extend(self.header(&format!("byz-collect-{}", self.scenario), resources, Some(1)));
        s.push(format!("#SBATCH --output={}/collect_%j.out", self.logs().display()));
        s.push("set -euo pipefail".into());
        s.push(format!(
            "exec {} collect {} --scenario {} --out {}",
            path(&self.byz),
            path(&self.file),
            quote(&self.scenario),
            path(&self.out)
        ));
        s.join("\n") + "\n"
    }

    /// Writes `body` as `OUT/SCENARIO/slurm/NAME` (and makes the logs folder).
    pub fn write(&self, name: &str, body: &str) -> std::io::Result<PathBuf> {
        std::fs::create_dir_all(self.logs())?;
        let p = self.dir().join(name);
        crate::report::output::write_atomic(&p, body.as_bytes())?;
        Ok(p)
    }
}

/// Why Slurm did not take or report a job.
#[derive(Debug, thiserror::Error)]
pub enum SlurmError {
    /// A Slurm command could not be started (not installed, not on `PATH`).
    #[error("cannot run {command}: {source}")]
    Spawn {
        command: &'static str,
        #[source]
        source: std::io::Error,
    },
    /// `sbatch` refused the script; its message.
    #[error("sbatch {} failed: {message}", script.display())]
    Refused { script: std::path::PathBuf, message: String },
    /// `sbatch` succeeded but printed no job id.
    #[error("sbatch printed no job id: `{0}`")]
    NoJobId(String),
    /// The job left the queue and neither `scontrol` nor `sacct` knows how it ended.
    #[error("Slurm no longer knows how job {0} ended")]
    Forgotten(String),
}

/// `command`'s failure to start.
fn spawn(command: &'static str) -> impl FnOnce(std::io::Error) -> SlurmError {
    move |source| SlurmError::Spawn { command, source }
}

/// Whether `sbatch` can be run here.
pub(crate) fn available() -> bool {
    Command::new("sbatch").arg("--version").output().is_ok_and(|o| o.status.success())
}

/// Submits `script` (after the job `after` has ended, if given); returns the job id.
pub fn submit(script: &Path, after: Option<&str>) -> Result<String, SlurmError> {
    let mut cmd = Command::new("sbatch");
    cmd.arg("--parsable");
    if let Some(id) = after {
        cmd.arg(format!("--dependency=afterany:{id}"));
    }
    let out = cmd.arg(script).output().map_err(spawn("sbatch"))?;
    if !out.status.success() {
        let message = String::from_utf8_lossy(&out.stderr).trim().to_string();
        return Err(SlurmError::Refused { script: script.to_path_buf(), message });
    }
    // `--parsable` prints `ID` or `ID;CLUSTER`.
    let text = String::from_utf8_lossy(&out.stdout);
    let id = text.trim().split(';').next().unwrap_or_default().to_string();
    if id.is_empty() || !id.chars().all(|c| c.is_ascii_digit()) {
        return Err(SlurmError::NoJobId(text.trim().to_string()));
    }
    Ok(id)
}

/// The ids of this user's queued or running jobs called `name`.
pub(crate) fn queued(name: &str) -> Vec<String> {
    let user = std::env::var("USER").unwrap_or_default();
    let mut cmd = Command::new("squeue");
    cmd.args(["-h", "-n", name, "-o", "%A"]);
    if !user.is_empty() {
        cmd.args(["-u", &user]);
    }
    let Ok(out) = cmd.output() else { return vec![] };
    let mut ids: Vec<String> = String::from_utf8_lossy(&out.stdout).split_whitespace().map(str::to_string).collect();
    ids.dedup();
    ids
}

/// How a job ended: its state (`COMPLETED`, `FAILED`, …) and exit code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ended {
    pub state: String,
    pub exit_code: i32,
}

/// Waits until job `id` has left the queue, then reads how it ended from
/// `scontrol` (which remembers finished jobs for a few minutes), or from
/// `sacct` where accounting is kept.
pub fn wait(id: &str, poll: Duration) -> Result<Ended, SlurmError> {
    loop {
        let q = Command::new("squeue").args(["-h", "-j", id, "-o", "%T"]).output().map_err(spawn("squeue"))?;
        let states = String::from_utf8_lossy(&q.stdout).trim().to_string();
        // squeue fails on a job id it has forgotten: then the job has ended.
        if !q.status.success() || states.is_empty() {
            break;
        }
        std::thread::sleep(poll);
    }
    if let Some(ended) = scontrol_end(id) {
        return Ok(ended);
    }
    let acct = Command::new("sacct")
        .args(["-n", "-X", "-P", "-j", id, "-o", "State,ExitCode"])
        .output()
        .map_err(spawn("sacct"))?;
    let text = String::from_utf8_lossy(&acct.stdout);
    let line = text.lines().next().unwrap_or_default();
    let (state, code) = line.split_once('|').ok_or_else(|| SlurmError::Forgotten(id.to_string()))?;
    Ok(Ended { state: state.split_whitespace().next().unwrap_or(state).to_string(), exit_code: exit_code(code) })
}

/// `JobState=COMPLETED … ExitCode=0:0` from `scontrol show job -o ID`.
fn scontrol_end(id: &str) -> Option<Ended> {
    let out = Command::new("scontrol").args(["show", "job", "-o", id]).output().ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    let field = |name: &str| {
        text.split_whitespace().find_map(|w| w.strip_prefix(name).and_then(|v| v.strip_prefix('='))).map(str::to_string)
    };
    Some(Ended { state: field("JobState")?, exit_code: exit_code(&field("ExitCode")?) })
}

/// `2:0` → 2; a job killed by a signal (`0:9`) counts as 128 + signal.
fn exit_code(s: &str) -> i32 {
    let (code, signal) = s.trim().split_once(':').unwrap_or((s.trim(), "0"));
    match (code.parse::<i32>().unwrap_or(1), signal.parse::<i32>().unwrap_or(0)) {
        (0, sig) if sig > 0 => 128 + sig,
        (c, _) => c,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_survives_quotes_and_spaces() {
        assert_eq!(quote("a b"), "'a b'");
        assert_eq!(quote("it's"), r"'it'\''s'");
    }

    #[test]
    fn exit_codes_read_as_slurm_writes_them() {
        assert_eq!(exit_code("0:0"), 0);
        assert_eq!(exit_code("1:0"), 1);
        assert_eq!(exit_code("0:15"), 143);
    }

    #[test]
    fn the_array_script_gives_each_task_its_chunk() {
        let job = Job {
            byz: "/opt/byz".into(),
            file: "/w/sweep.byz".into(),
            scenario: "s".into(),
            out: "/w/results".into(),
            workdir: "/w".into(),
        };
        let r = Resources { array_limit: Some(4), extra: vec!["--gres=gpu:1".into()], ..Default::default() };
        let s = job.array_script(&[vec!["a".into(), "b".into()], vec!["c".into()]], &r);
        assert!(s.contains("#SBATCH --array=0-1%4\n"), "{s}");
        assert!(s.contains("#SBATCH --gres=gpu:1\n") && s.contains("#SBATCH --chdir=/w\n"), "{s}");
        assert!(s.contains("  0) runs=a,b ;;\n  1) runs=c ;;\n"), "{s}");
        assert!(s.contains("exec '/opt/byz' run '/w/sweep.byz' --scenario 's' --out '/w/results' --runs \"$runs\""));
    }
}
