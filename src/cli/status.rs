//! `byz status`: how far a sweep has come in the results store: done,
//! missing and failed runs per scenario, with each failure's error.

use std::process::ExitCode;

use clap::Args;

use super::{Target, load, scenarios};
use crate::check::Need;
use crate::experiment::store::{RunStatus, Store};
use crate::plan::{RunPlan, ScenarioPlan, label_text};

/// The arguments of `byz status`.
#[derive(Args)]
pub struct Options {
    #[command(flatten)]
    target: Target,
    /// List every missing run (by default the first 10 of each scenario).
    #[arg(long)]
    all: bool,
}

/// Exit 0 when every run is done, 1 when some are missing or failed.
pub fn status(o: &Options) -> ExitCode {
    let plans = match load(&o.target.file, Need::Plan, Need::Plan.memory(), super::Warn::Silent) {
        Ok(p) => p,
        Err(code) => return code,
    };
    let selected = match scenarios(&plans, o.target.scenario.as_deref(), &o.target.file) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let mut complete = true;
    for plan in selected {
        let states = states(plan, &o.target.out);
        let count = |f: fn(&RunStatus) -> bool| states.iter().filter(|(_, s)| f(s)).count();
        let done = count(|s| matches!(s, RunStatus::Done));
        let failed = count(|s| matches!(s, RunStatus::Failed(_)));
        let missing = count(|s| matches!(s, RunStatus::Missing));
        complete &= done == states.len();
        println!("{}: {done} done, {missing} missing, {failed} failed ({} runs)", plan.name, states.len());
        for (run, s) in &states {
            if let RunStatus::Failed(f) = s {
                let at = f.step.map(|s| format!(" at step {s}")).unwrap_or_default();
                println!("  failed  {}{at}: {}", describe(run), f.error);
            }
        }
        let limit = if o.all { usize::MAX } else { 10 };
        let missing_runs: Vec<&&RunPlan> =
            states.iter().filter(|(_, s)| matches!(s, RunStatus::Missing)).map(|(r, _)| r).collect();
        for run in missing_runs.iter().take(limit) {
            println!("  missing {}", describe(run));
        }
        if missing_runs.len() > limit {
            println!("  … and {} more missing (`--all` lists them)", missing_runs.len() - limit);
        }
    }
    if complete { ExitCode::SUCCESS } else { ExitCode::from(1) }
}

/// Each run of `plan` with where it stands in the store under `out`.
pub(super) fn states<'a>(plan: &'a ScenarioPlan, out: &std::path::Path) -> Vec<(&'a RunPlan, RunStatus)> {
    let store = Store::new(out, &plan.name, false);
    plan.runs.iter().map(|r| (r, store.status(r))).collect()
}

/// `[attack sf] seed 2 (key 0123…)`.
pub(super) fn describe(run: &RunPlan) -> String {
    format!(
        "[{}] seed {} (key {})",
        label_text(&run.label, &run.attack.to_string()),
        run.seed,
        crate::experiment::store::key(run)
    )
}
