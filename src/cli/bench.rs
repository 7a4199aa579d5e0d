//! `byz bench`: milliseconds per D-SGD step of each run of a scenario, and
//! the peak resident memory the process reached while running it.

use std::path::Path;
use std::process::ExitCode;
use std::sync::Mutex;
use std::time::Instant;

use super::load;
use crate::check::Need;
use crate::sim;

/// Milliseconds per step: the median time between consecutive steps of one
/// run of `WARM + steps` steps, leaving out the first WARM steps (they take
/// memory from the system and fill caches) and the setup before the first
/// step (data loading, the split). A median, because this machine's speed
/// wanders and a step's time has outliers.
pub fn bench(file: &Path, only: Option<&str>, steps: usize) -> ExitCode {
    let plans = match load(file, Need::Run, Need::Run.memory(), super::Warn::Print) {
        Ok(p) => p,
        Err(code) => return code,
    };
    const WARM: usize = 3;
    for plan in plans.iter().filter(|p| only.is_none_or(|o| o == p.name)) {
        for run in &plan.runs {
            let mut r = run.clone();
            r.train.steps = WARM + steps.max(1);
            r.report = Default::default();
            peak::reset();
            let ends = Mutex::new(Vec::with_capacity(r.train.steps));
            let record = || ends.lock().map(|mut e| e.push(Instant::now())).unwrap_or(());
            // On a pool thread, as `byz run` runs: the step's parallel loops
            // then start without a hand-over from outside the pool.
            if let Err(e) = rayon::scope(|_| sim::run_observed(&r, &record)) {
                eprintln!("error: {e}");
                return ExitCode::from(1);
            }
            let ends = ends.into_inner().unwrap_or_default();
            let mut times: Vec<f64> =
                ends.windows(2).skip(WARM - 1).map(|w| (w[1] - w[0]).as_secs_f64() * 1000.0).collect();
            times.sort_by(f64::total_cmp);
            let Some(&median) = times.get(times.len() / 2) else {
                eprintln!("error: {} diverged before {} steps; nothing to time", plan.name, WARM + 1);
                return ExitCode::from(1);
            };
            let memory = peak::resident().map_or(String::new(), |b| format!("  peak {} MiB", b >> 20));
            // The honest workers' forward and backward passes (benches/README.md
            // compares the figure with the matrix product's).
            let rate = match &run.task {
                crate::plan::TaskPlan::Classification { model, batch, .. } => {
                    let flops = model.training_flops() as f64 * (*batch * run.workers.honest) as f64;
                    format!("  {:.1} GFLOP/s", flops / (median * 1e6))
                }
                _ => String::new(),
            };
            println!(
                "{}  [{}, {}]  seed {}  {median:.3} ms/step{rate}{memory}",
                plan.name, run.aggregate, run.attack, run.seed
            );
        }
    }
    ExitCode::SUCCESS
}

/// The process's peak resident memory, from Linux's `/proc` (elsewhere: none).
mod peak {
    /// Starts a new peak from the memory resident now (Linux ≥ 4.0: writing 5
    /// to `clear_refs` resets `VmHWM`), so that each run's peak is its own and
    /// not an earlier, larger run's. The data sets a process has loaded stay
    /// resident and count in every later peak.
    pub(crate) fn reset() {
        // Best effort: without it the peak is the process's so far.
        let _ = std::fs::write("/proc/self/clear_refs", "5");
    }

    /// The peak resident set size in bytes since the last `reset`.
    pub fn resident() -> Option<u64> {
        let status = std::fs::read_to_string("/proc/self/status").ok()?;
        let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
        let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
        Some(kib * 1024)
    }
}
