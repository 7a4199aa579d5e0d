//! `byz run`: check a file and run its scenarios (or one shard of them, or
//! the runs named by their keys), reusing and filling the results store.

use std::path::Path;
use std::process::ExitCode;

use clap::Args;

use super::{Format, Sweep, Target, command_line, load, parse_shard, scenarios, usage_error, writable};
use crate::check::Need;
use crate::experiment::{self, Progress, Selection, Shard, Store, select};
use crate::plan::{RunPlan, ScenarioPlan, TaskPlan};
use crate::report::{output, scenario};
use crate::sim::RunResult;

/// The arguments of `byz run`.
#[derive(Args)]
pub struct Options {
    #[command(flatten)]
    sweep: Sweep,
    /// Print each honest worker's class histogram (data tasks) to standard error first.
    #[arg(long)]
    show_split: bool,
    /// Run every run again, even those whose results are stored under the output folder.
    #[arg(long)]
    fresh: bool,
    /// Run only the runs whose plan index (`byz plan`) is ≡ K (mod N), into the store;
    /// `byz collect` then builds the tables and plots.
    #[arg(long, value_name = "K/N", value_parser = parse_shard, conflicts_with = "runs")]
    shard: Option<Shard>,
    /// Refuse to run a file with warnings (exit 2), as CI should.
    #[arg(long)]
    deny_warnings: bool,
    #[command(flatten)]
    memory: super::MemoryLimit,
    /// Nothing on standard error but warnings and errors: no progress, no list of the files written.
    #[arg(long, short)]
    quiet: bool,
    /// Run only the runs with these store keys (comma-separated, as `byz plan` lists them), into the store.
    #[arg(long, value_name = "KEY,...", value_delimiter = ',', num_args = 1)]
    runs: Option<Vec<String>>,
}

/// `byz run`: checks the file, runs the selected runs (reusing the results store), prints them and writes the outputs.
pub fn run(o: &Options) -> ExitCode {
    let Target { file, scenario: only, out } = &o.sweep.target;
    let plans = match load(file, Need::Run, o.memory.memory(), super::Warn::from_flag(o.deny_warnings)) {
        Ok(p) => p,
        Err(code) => return code,
    };
    let selected = match scenarios(&plans, only.as_deref(), file) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let selection = match (&o.shard, &o.runs) {
        (Some(s), _) => Selection::Shard(*s),
        (None, Some(keys)) => Selection::Keys(keys.iter().map(|k| k.trim().to_string()).collect()),
        (None, None) => Selection::All,
    };
    let unknown = select::unknown_keys(&plans, &selection);
    if !unknown.is_empty() {
        return usage_error(
            &format!("{} names no run of this file: {}", file.display(), unknown.join(", ")),
            "the file changed since the keys were taken; `byz plan FILE` lists the keys now (submit again with `byz slurm`)",
        );
    }
    if let Err(code) = writable(out) {
        return code;
    }
    let chosen: Vec<(&ScenarioPlan, Vec<&RunPlan>)> =
        selected.iter().map(|p| (*p, select::selected(&plans, &p.name, &selection))).collect();
    if o.show_split {
        print_splits(chosen.iter().flat_map(|(_, runs)| runs.iter().copied()));
    }
    let all = || chosen.iter().flat_map(|(_, runs)| runs.iter());
    let progress = Progress::new(all().count(), all().map(|r| r.train.steps as u64).sum(), o.quiet);
    let mut failed = false;
    for (plan, runs) in chosen.iter().filter(|(_, runs)| !runs.is_empty()) {
        let store = Store::new(out, &plan.name, o.fresh);
        let outcomes = experiment::run_all(runs, Some(&store), &progress, o.memory.budget());
        let stored = outcomes.iter().filter(|o| o.stored).count();
        let mut done = vec![];
        for (run, outcome) in runs.iter().zip(outcomes) {
            match outcome.result {
                Ok(r) => done.push(r),
                Err(e) => {
                    failed = true;
                    progress.println(&format!("error: run of `{}` (seed {}) failed: {e}", run.scenario, run.seed));
                }
            }
        }
        progress.suspend(|| {
            print_runs(&done, o.sweep.format);
            if stored > 0 && !o.quiet {
                eprintln!(
                    "{stored} of {} runs of `{}` came from the results store (`--fresh` runs them again)",
                    runs.len(),
                    plan.name
                );
            }
            if selection.is_partial() {
                if !o.quiet {
                    eprintln!(
                        "stored {} runs of `{}` under {}; `{}` builds its outputs once every run is there",
                        done.len(),
                        plan.name,
                        out.join(&plan.name).join("runs").display(),
                        command_line("collect", file, out)
                    );
                }
            } else if !write_outputs(plan, &done, o.sweep.format, out, o.quiet) {
                failed = true;
            }
        });
    }
    progress.finish();
    if failed { ExitCode::from(1) } else { ExitCode::SUCCESS }
}

/// Each run as a line of text or JSON, on standard output.
pub(super) fn print_runs(runs: &[RunResult], format: Format) {
    for r in runs {
        match format {
            Format::Text => println!("{}", output::text_line(r)),
            Format::Json => println!("{}", output::json_line(r)),
        }
    }
}

/// Prints the scenario's table and writes every output of its runs under
/// `out`, naming each file unless `quiet`; `false` when a file cannot be written.
pub(super) fn write_outputs(plan: &ScenarioPlan, runs: &[RunResult], format: Format, out: &Path, quiet: bool) -> bool {
    let table = scenario::summary_table(plan, runs);
    if let (Some(t), Format::Text) = (&table, format) {
        println!("\n{}", t.text());
    }
    match scenario::write_all(out, plan, runs, table.as_ref()) {
        Ok(files) => {
            if !quiet {
                files.iter().for_each(|f| eprintln!("wrote {}", f.display()));
            }
            true
        }
        Err(e) => {
            eprintln!("error: cannot write results under {}: {e}", out.display());
            false
        }
    }
}

/// Each split once: runs that differ only in their rule or attack share it.
fn print_splits<'a>(runs: impl Iterator<Item = &'a RunPlan>) {
    let mut seen = vec![];
    for run in runs {
        let key = (run.scenario.clone(), run.seed, run.workers.honest, format!("{:?}", run.task));
        if !seen.contains(&key) {
            print_split(run);
            seen.push(key);
        }
    }
}

/// One line per honest worker: how many samples of each class it holds.
fn print_split(run: &RunPlan) {
    let TaskPlan::Classification { data, dir, heterogeneity, .. } = &run.task else { return };
    let Ok(d) = crate::task::data::load(*data, Path::new(dir)) else { return };
    let shards = crate::task::split::split(&d.train.labels, d.classes, run.workers.honest, *heterogeneity, run.seed);
    let skew = crate::task::split::skew(&shards, &d.train.labels, d.classes);
    eprintln!(
        "{} seed {}: {heterogeneity:?}, mean total-variation distance to the pooled classes {skew:.3}",
        run.scenario, run.seed
    );
    for (w, h) in crate::task::split::histograms(&shards, &d.train.labels, d.classes).iter().enumerate() {
        let counts: Vec<String> = h.iter().map(|c| format!("{c:>5}")).collect();
        eprintln!("  worker {w:>2}: {}  ({} samples)", counts.join(""), h.iter().sum::<usize>());
    }
}
