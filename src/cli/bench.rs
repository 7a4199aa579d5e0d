//! `byz bench`: milliseconds per D-SGD step of each run of a scenario, and
//! the peak resident memory the process reached while running it.

use std::path::Path;
use std::process::ExitCode;

use super::load;
use crate::check::Need;
use crate::sim;

/// Milliseconds per step: a run of `WARM + steps` steps minus a run of `WARM`
/// steps, so that setup (data loading, the split, the first graph) is not counted.
pub fn bench(file: &Path, only: Option<&str>, steps: usize) -> ExitCode {
    let plans = match load(file, Need::Run, Need::Run.memory(), super::Warn::Print) {
        Ok(p) => p,
        Err(code) => return code,
    };
    for plan in plans.iter().filter(|p| only.is_none_or(|o| o == p.name)) {
        for run in &plan.runs {
            let time = |n: usize| {
                let mut r = run.clone();
                r.train.steps = n;
                r.report = Default::default();
                let start = std::time::Instant::now();
                // On a pool thread, as `byz run` runs: the step's parallel
                // loops then start without a hand-over from outside the pool.
                rayon::scope(|_| sim::run(&r)).map(|_| start.elapsed())
            };
            // A first run warms the caches (the data set is loaded once per
            // process); the first steps of a run take memory from the system
            // and are slower, so `steps` more steps are timed against a run
            // of WARM steps.
            const WARM: usize = 3;
            peak::reset();
            let warm = time(1);
            match (warm.and_then(|_| time(WARM)), time(WARM + steps)) {
                (Ok(one), Ok(all)) => {
                    let per = all.saturating_sub(one).as_secs_f64() * 1000.0 / steps.max(1) as f64;
                    let memory = peak::resident().map_or(String::new(), |b| format!("  peak {} MiB", b >> 20));
                    println!(
                        "{}  [{}, {}]  seed {}  {per:.3} ms/step{memory}",
                        plan.name, run.aggregate, run.attack, run.seed
                    );
                }
                (Err(e), _) | (_, Err(e)) => {
                    eprintln!("error: {e}");
                    return ExitCode::from(1);
                }
            }
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
    pub fn reset() {
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
