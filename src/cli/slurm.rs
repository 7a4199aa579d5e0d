//! `byz slurm`: a scenario's missing runs as a Slurm job array (chunks of
//! `--runs-per-task` runs), then a job that collects them once the array has
//! ended. Only runs missing from the store (or failed) are submitted, so
//! submitting again after a failure or a preemption runs just what is left.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use clap::Args;

use super::status::states;
use super::{Target, load, scenarios, usage_error};
use crate::check::{Memory, Need};
use crate::cluster::slurm::{self, Job, Resources};
use crate::experiment::store::{RunStatus, key};

/// The arguments of `byz slurm`: the target, and what to ask of sbatch.
#[derive(Args)]
pub struct Options {
    #[command(flatten)]
    target: Target,
    /// Runs per array task.
    #[arg(long, default_value_t = 1, value_name = "M", value_parser = clap::value_parser!(u32).range(1..))]
    runs_per_task: u32,
    /// At most K array tasks at once (`--array=…%K`).
    #[arg(long, value_name = "K")]
    array_limit: Option<usize>,
    /// sbatch's --partition.
    #[arg(long)]
    partition: Option<String>,
    /// sbatch's --time (per array task), e.g. 2:00:00.
    #[arg(long)]
    time: Option<String>,
    /// sbatch's --cpus-per-task; byz uses that many threads per task.
    #[arg(long, value_name = "C")]
    cpus_per_task: Option<usize>,
    /// sbatch's --mem, e.g. 8G.
    #[arg(long)]
    mem: Option<String>,
    /// Any other sbatch option, e.g. `--sbatch-option=--gres=gpu:1` (repeatable; options after `--` too).
    #[arg(long, value_name = "OPT", allow_hyphen_values = true)]
    sbatch_option: Vec<String>,
    /// Write the scripts and print the sbatch commands without submitting.
    #[arg(long)]
    dry_run: bool,
    /// Wait until the collect jobs end and exit with their status.
    #[arg(long)]
    wait: bool,
    /// Seconds between looks at the queue with `--wait`.
    #[arg(long, default_value_t = 10.0, value_name = "SECONDS")]
    poll: f64,
    /// More sbatch options, after `--`.
    #[arg(last = true, value_name = "SBATCH_OPTIONS")]
    passthrough: Vec<String>,
}

/// `byz slurm`: submits each scenario's missing runs as a job array, then a job that collects them.
pub fn slurm(o: &Options) -> ExitCode {
    if !o.dry_run && !slurm::available() {
        return usage_error(
            "`sbatch` cannot be run here: byz slurm submits jobs with Slurm's sbatch",
            "run byz on the cluster's login node; or install Slurm's client (Debian: `apt install slurm-client`), \
             or start a one-machine Slurm with `scripts/slurm-local`; `--dry-run` only writes the scripts",
        );
    }
    let Target { file, scenario: only, out } = &o.target;
    let need = if o.dry_run { Need::Plan } else { Need::Run };
    // A task may use what `--mem` asks of Slurm; without it, the nodes' memory is not known here.
    let memory = o.mem.as_deref().and_then(crate::plan::memory::parse_size).map_or(Memory::Unchecked, Memory::Limit);
    let plans = match load(file, need, memory, super::Warn::Print) {
        Ok(p) => p,
        Err(code) => return code,
    };
    let selected = match scenarios(&plans, only.as_deref(), file) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let (byz, file_abs, out_abs, workdir) = match absolute(file, out) {
        Ok(p) => p,
        Err(e) => return usage_error(&e, "check the file and `--out`"),
    };
    let resources = Resources {
        array_limit: o.array_limit,
        partition: o.partition.clone(),
        time: o.time.clone(),
        cpus_per_task: o.cpus_per_task,
        mem: o.mem.clone(),
        extra: o.sbatch_option.iter().chain(&o.passthrough).cloned().collect(),
    };
    let mut collect_ids = vec![];
    for plan in selected {
        let job = Job {
            byz: byz.clone(),
            file: file_abs.clone(),
            scenario: plan.name.clone(),
            out: out_abs.clone(),
            workdir: workdir.clone(),
        };
        let todo: Vec<String> = states(plan, out)
            .into_iter()
            .filter(|(_, s)| !matches!(s, RunStatus::Done))
            .map(|(run, _)| key(run))
            .collect();
        let chunks: Vec<Vec<String>> = todo.chunks(o.runs_per_task as usize).map(<[String]>::to_vec).collect();
        match submit(&job, &chunks, &resources, o.dry_run) {
            Ok((array, collect)) => {
                describe(&job, plan.runs.len(), &todo, &chunks, array.as_deref(), collect.as_deref(), file, out);
                collect_ids.extend(collect.map(|c| (plan.name.clone(), c, job.dir().join("logs"))));
            }
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::from(1);
            }
        }
    }
    if !o.wait || o.dry_run {
        return ExitCode::SUCCESS;
    }
    let mut worst = 0;
    for (scenario, id, logs) in collect_ids {
        match slurm::wait(&id, Duration::from_secs_f64(o.poll.max(0.1))) {
            Ok(end) => {
                if let Ok(log) = std::fs::read_to_string(logs.join(format!("collect_{id}.out"))) {
                    print!("{log}");
                }
                eprintln!("collect job {id} of `{scenario}` ended: {} (exit code {})", end.state, end.exit_code);
                if end.state != "COMPLETED" || end.exit_code != 0 {
                    worst = worst.max(end.exit_code.clamp(1, 255));
                }
            }
            Err(e) => {
                eprintln!("error: {e}");
                worst = worst.max(1);
            }
        }
    }
    ExitCode::from(worst as u8)
}

/// The byz binary, the file, `--out` and the working directory, absolute:
/// compute nodes run the scripts from another shell, maybe in another folder.
fn absolute(file: &Path, out: &Path) -> Result<(PathBuf, PathBuf, PathBuf, PathBuf), String> {
    let byz = std::env::current_exe()
        .and_then(std::fs::canonicalize)
        .map_err(|e| format!("cannot find the byz binary: {e}"))?;
    let file = std::fs::canonicalize(file).map_err(|e| format!("cannot read `{}`: {e}", file.display()))?;
    std::fs::create_dir_all(out).map_err(|e| format!("cannot make `{}`: {e}", out.display()))?;
    let out = std::fs::canonicalize(out).map_err(|e| format!("cannot read `{}`: {e}", out.display()))?;
    let workdir = std::env::current_dir().map_err(|e| format!("cannot read the working directory: {e}"))?;
    Ok((byz, file, out, workdir))
}

/// Writes the scripts and submits them: the array (when runs are missing)
/// and the collect job after it. Returns their job ids (none with `dry_run`).
fn submit(
    job: &Job,
    chunks: &[Vec<String>],
    resources: &Resources,
    dry_run: bool,
) -> Result<(Option<String>, Option<String>), String> {
    let io = |e: std::io::Error| format!("cannot write the scripts under {}: {e}", job.dir().display());
    let array_script = job.dir().join("array.sbatch");
    if chunks.is_empty() {
        // A script from an earlier submission would mislead.
        let _ = std::fs::remove_file(&array_script);
    } else {
        job.write("array.sbatch", &job.array_script(chunks, resources)).map_err(io)?;
    }
    let collect_script = job.write("collect.sbatch", &job.collect_script(resources)).map_err(io)?;
    if dry_run {
        return Ok((None, None));
    }
    let earlier = slurm::queued(&job.array_name());
    if !earlier.is_empty() && !chunks.is_empty() {
        eprintln!(
            "warning: jobs named {} are still queued or running ({}): the runs they have not stored yet \
             are submitted again (same results, twice the work); `scancel` them first, or wait",
            job.array_name(),
            earlier.join(", ")
        );
    }
    let submit = |script: &Path, after: Option<&str>| slurm::submit(script, after).map_err(|e| e.to_string());
    let array = if chunks.is_empty() { None } else { Some(submit(&array_script, None)?) };
    let collect = submit(&collect_script, array.as_deref())?;
    Ok((array, Some(collect)))
}

/// What was submitted (or would be), and the commands to follow it.
#[allow(clippy::too_many_arguments)]
fn describe(
    job: &Job,
    runs: usize,
    todo: &[String],
    chunks: &[Vec<String>],
    array: Option<&str>,
    collect: Option<&str>,
    file: &Path,
    out: &Path,
) {
    let dir = job.dir();
    let s = &job.scenario;
    if todo.is_empty() {
        println!("{s}: all {runs} runs are in the store; only the collect job is needed");
    } else {
        println!("{s}: {} of {runs} runs to run, in {} array tasks", todo.len(), chunks.len());
    }
    match (array, collect) {
        (_, None) => {
            if !todo.is_empty() {
                println!("  sbatch --parsable {}", dir.join("array.sbatch").display());
            }
            let after = if todo.is_empty() { String::new() } else { "--dependency=afterany:ARRAY_JOB_ID ".into() };
            println!("  sbatch --parsable {after}{}", dir.join("collect.sbatch").display());
        }
        (array, Some(c)) => {
            if let Some(a) = array {
                println!("  array job {a}, then collect job {c}");
            } else {
                println!("  collect job {c}");
            }
            let ids = array.map(|a| format!("{a},{c}")).unwrap_or_else(|| c.to_string());
            println!("  watch:   squeue -j {ids}");
            println!("  status:  {}", super::command_line("status", file, out));
            println!("  logs:    {}", dir.join("logs").display());
            println!("  cancel:  scancel {}", ids.replace(',', " "));
        }
    }
}
