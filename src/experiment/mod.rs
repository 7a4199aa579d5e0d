//! Running a scenario's runs: in parallel, skipping those the results store
//! already holds, with progress. Results come back in plan order, so output
//! does not depend on which run finished first.

pub mod progress;
pub mod store;
pub mod test;

use rayon::prelude::*;
use std::time::Instant;

use crate::plan::RunPlan;
use crate::sim::{self, RunResult, SimError};
pub use progress::Progress;
pub use store::Store;

/// One run's outcome, and whether it came from the store.
pub struct Outcome {
    pub result: Result<RunResult, SimError>,
    pub stored: bool,
}

/// Runs `runs`, each at most once: a result in `store` is reused, a new one is saved there.
pub fn run_all(runs: &[RunPlan], store: Option<&Store>, progress: &Progress) -> Vec<Outcome> {
    runs.par_iter()
        .map(|plan| {
            let started = Instant::now();
            let what = describe(plan);
            if let Some(result) = store.and_then(|s| s.load(plan)) {
                progress.finished(&what, started, true);
                return Outcome { result: Ok(result), stored: true };
            }
            let result = sim::run(plan);
            if let (Some(store), Ok(r)) = (store, &result) {
                // A run that cannot be stored still counts; it is only run again next time.
                if let Err(e) = store.save(plan, r) {
                    eprintln!("warning: cannot store the result of {what}: {e}");
                }
            }
            progress.finished(&what, started, false);
            Outcome { result, stored: false }
        })
        .collect()
}

/// `two_wells_cm [attack sf] seed 1`.
pub fn describe(plan: &RunPlan) -> String {
    let label = crate::plan::label_text(&plan.label, &plan.attack.to_string());
    format!("{} [{label}] seed {}", plan.scenario, plan.seed)
}
