//! Running a scenario's runs: in parallel, skipping those the results store
//! already holds, with progress. Results come back in plan order, so output
//! does not depend on which run finished first.

pub mod estimate;
pub mod progress;
pub mod select;
pub mod store;
pub mod test;

use rayon::prelude::*;
use std::panic::AssertUnwindSafe;
use std::time::Instant;

use crate::plan::RunPlan;
use crate::sim::{self, RunResult, SimError};
pub use progress::Progress;
pub use select::{Selection, Shard};
pub use store::Store;

/// One run's outcome, and whether it came from the store.
pub struct Outcome {
    pub result: Result<RunResult, SimError>,
    pub stored: bool,
}

/// Runs `runs`, each at most once: a result in `store` is reused, a new one is
/// saved there, and a failure is recorded there with its error. With a
/// memory budget (bytes), no more runs run at once than fit in it.
pub fn run_all(runs: &[&RunPlan], store: Option<&Store>, progress: &Progress, memory: Option<u64>) -> Vec<Outcome> {
    let all = || runs.par_iter().map(|plan| run_one(plan, store, progress)).collect();
    let threads = rayon::current_num_threads();
    let largest = largest(runs);
    match memory.map(|budget| at_once(largest, budget)) {
        Some(k) if k < threads.min(runs.len()) => {
            progress.println(&format!(
                "note: {k} run{} at a time, so that the runs fit in memory ({} each, estimated)",
                if k == 1 { "" } else { "s" },
                crate::plan::memory::bytes_text(largest.per_run)
            ));
            // Fewer threads give the same numbers (results do not depend on the thread count).
            match rayon::ThreadPoolBuilder::new().num_threads(k).build() {
                Ok(pool) => pool.install(all),
                Err(_) => all(),
            }
        }
        _ => all(),
    }
}

fn largest(runs: &[&RunPlan]) -> crate::plan::memory::Estimate {
    let estimates = runs.iter().map(|r| crate::registry::memory_estimate(r));
    estimates.max_by_key(|e| e.with_runs(1)).unwrap_or(crate::plan::memory::Estimate { per_run: 0, data: 0 })
}

/// How many runs of estimate `e` (the largest) fit in `budget` at once (at least one: the
/// checker refused a run that does not fit alone).
fn at_once(e: crate::plan::memory::Estimate, budget: u64) -> usize {
    (1..=rayon::current_num_threads()).take_while(|k| e.with_runs(*k as u64) <= budget).last().unwrap_or(1)
}

fn run_one(plan: &RunPlan, store: Option<&Store>, progress: &Progress) -> Outcome {
    let started = Instant::now();
    let what = describe(plan);
    if let Some(result) = store.and_then(|s| s.load(plan)) {
        progress.finished(&what, started, true, plan.train.steps as u64);
        return Outcome { result: Ok(result), stored: true };
    }
    progress.started();
    let taken = std::cell::Cell::new(0u64);
    let result = run_catching(plan, &|| {
        taken.set(taken.get() + 1);
        progress.step();
    });
    if let Some(store) = store {
        // A run that cannot be stored still counts; it is only run again next time.
        let saved = match &result {
            Ok(r) => store.save(plan, r),
            Err(e) => store.save_failure(plan, e),
        };
        if let Err(e) = saved {
            progress.println(&format!("warning: cannot store the result of {what}: {e}"));
        }
    }
    progress.finished(&what, started, false, (plan.train.steps as u64).saturating_sub(taken.get()));
    Outcome { result, stored: false }
}

/// `sim::run_observed`, with a panic turned into this run's error: one broken run must
/// not take down the other runs of a sweep (or of a cluster task), and its
/// failure is recorded like any other.
fn run_catching(plan: &RunPlan, on_step: &dyn Fn()) -> Result<RunResult, SimError> {
    std::panic::catch_unwind(AssertUnwindSafe(|| sim::run_observed(plan, on_step))).unwrap_or_else(|panic| {
        let why = panic
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_default();
        Err(SimError::Panicked(why))
    })
}

/// `two_wells_cm [attack sf] seed 1`.
pub(crate) fn describe(plan: &RunPlan) -> String {
    let label = crate::plan::label_text(&plan.label, &plan.attack.to_string());
    format!("{} [{label}] seed {}", plan.scenario, plan.seed)
}
