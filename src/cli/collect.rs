//! `byz collect`: the outputs of `byz run` (runs.jsonl, tables, plots and
//! the printed lines) built from the results store alone, once shards or
//! cluster tasks have stored every run. Nothing is run.

use std::process::ExitCode;

use clap::Args;

use super::run::{print_runs, write_outputs};
use super::status::{describe, states};
use super::{Sweep, Target, command_line, load, scenarios};
use crate::check::Need;
use crate::experiment::store::{RunStatus, Store};

/// The arguments of `byz collect`.
#[derive(Args)]
pub struct Options {
    #[command(flatten)]
    sweep: Sweep,
}

/// Exit 1 when a scenario lacks runs: they are listed, and that scenario's
/// outputs are not written.
pub fn collect(o: &Options) -> ExitCode {
    let Target { file, scenario: only, out } = &o.sweep.target;
    let plans = match load(file, Need::Plan, Need::Plan.memory(), super::Warn::Silent) {
        Ok(p) => p,
        Err(code) => return code,
    };
    let selected = match scenarios(&plans, only.as_deref(), file) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let mut ok = true;
    for plan in selected {
        let absent: Vec<String> = states(plan, out)
            .into_iter()
            .filter_map(|(run, s)| match s {
                RunStatus::Done => None,
                RunStatus::Missing => Some(format!("missing {}", describe(run))),
                RunStatus::Failed(f) => Some(format!("failed  {}: {}", describe(run), f.error)),
            })
            .collect();
        if !absent.is_empty() {
            ok = false;
            eprintln!(
                "error: {} of {} runs of `{}` are not in {}:",
                absent.len(),
                plan.runs.len(),
                plan.name,
                out.join(&plan.name).join("runs").display()
            );
            absent.iter().for_each(|a| eprintln!("  {a}"));
            eprintln!(
                "help: run them with `{}` (or `{}`), then collect again",
                command_line("run", file, out),
                command_line("slurm", file, out)
            );
            continue;
        }
        let store = Store::new(out, &plan.name, false);
        let runs: Vec<_> = plan.runs.iter().filter_map(|r| store.load(r)).collect();
        print_runs(&runs, o.sweep.format);
        ok &= write_outputs(plan, &runs, o.sweep.format, out, false);
    }
    if ok { ExitCode::SUCCESS } else { ExitCode::from(1) }
}
