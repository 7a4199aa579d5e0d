//! `byz plan`: every run of a file with its plan index (what `--shard K/N`
//! selects by), its store key (what `--runs` selects by) and its label, and
//! with `--estimate` the compute the sweep needs, so that a user knows
//! whether to take it to a cluster.

use std::process::ExitCode;
use std::time::Duration;

use clap::Args;

use super::{Format, load, scenarios};
use crate::check::Need;
use crate::experiment::estimate::{self, ClassCost};
use crate::experiment::select;
use crate::experiment::store::key;
use crate::plan::{RunPlan, label_text, memory};

/// The arguments of `byz plan`.
#[derive(Args)]
pub struct Options {
    /// The .byz file.
    file: std::path::PathBuf,
    /// Only this scenario of the file (plan indices stay those of the whole file).
    #[arg(long)]
    scenario: Option<String>,
    /// Also time a few warm steps of each kind of run and estimate the sweep's CPU time.
    #[arg(long)]
    estimate: bool,
    /// Gradient passes timed per task with `--estimate` (after a warm one).
    #[arg(long, default_value_t = 2, value_name = "N")]
    estimate_steps: usize,
    /// Seconds `--estimate` may spend before it times each attack under one rule only
    /// and gives its other runs that time (it says which).
    #[arg(long, default_value_t = 300.0, value_name = "SECONDS")]
    estimate_budget: f64,
    /// How to print the runs (JSON: one object per run).
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
}

/// `byz plan`: lists every run (index, key, label, seed, steps) and, with `--estimate`, what the sweep costs.
pub fn plan(o: &Options) -> ExitCode {
    let plans = match load(&o.file, Need::Plan, Need::Plan.memory(), super::Warn::Print) {
        Ok(p) => p,
        Err(code) => return code,
    };
    let selected = match scenarios(&plans, o.scenario.as_deref(), &o.file) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let names: Vec<&str> = selected.iter().map(|p| p.name.as_str()).collect();
    let runs: Vec<select::Indexed> =
        select::indexed(&plans).into_iter().filter(|i| names.contains(&i.scenario.name.as_str())).collect();
    for i in &runs {
        let label = label_text(&i.run.label, &i.run.attack.to_string());
        match o.format {
            Format::Text => println!(
                "{:>5}  {}  {}  [{label}]  seed {}  {} steps",
                i.index,
                key(i.run),
                i.scenario.name,
                i.run.seed,
                i.run.train.steps
            ),
            Format::Json => println!(
                "{}",
                serde_json::json!({
                    "index": i.index,
                    "key": key(i.run),
                    "scenario": i.scenario.name,
                    "label": i.run.label.iter().map(|(k, v)| (k.clone(), serde_json::Value::from(v.clone()))).collect::<serde_json::Map<_, _>>(),
                    "seed": i.run.seed,
                    "steps": i.run.train.steps,
                    "memory_bytes": crate::registry::memory_estimate(i.run).per_run,
                })
            ),
        }
    }
    let steps: usize = runs.iter().map(|i| i.run.train.steps).sum();
    eprintln!("{} runs in {} scenarios, {steps} training steps in all", runs.len(), selected.len());
    if let Some(m) = runs.iter().map(|i| crate::registry::memory_estimate(i.run)).max_by_key(|m| m.with_runs(1)) {
        eprintln!(
            "memory: at most about {} per run, with {} of data shared by the runs of a process",
            memory::bytes_text(m.per_run),
            memory::bytes_text(m.data)
        );
    }
    if !o.estimate {
        return ExitCode::SUCCESS;
    }
    let all: Vec<&RunPlan> = runs.iter().map(|i| i.run).collect();
    let threads = rayon::current_num_threads();
    eprintln!("timing each kind of run on {threads} threads …");
    let budget = Duration::from_secs_f64(o.estimate_budget.max(0.0));
    let costs = estimate::estimate(&all, o.estimate_steps, budget, |c| {
        let borrowed = match &c.borrowed_from {
            Some(r) => format!(", server side as timed for [{}]", label_text(&r.label, &r.attack.to_string())),
            None => String::new(),
        };
        eprintln!(
            "  {}  [{}]  {:.1} ms/step (gradients {:.1}, server {:.1}{borrowed}), setup {:.2} s: {} runs{}",
            c.example.scenario,
            label_text(&c.example.label, &c.example.attack.to_string()),
            ms(c.step_time()),
            ms(c.honest),
            ms(c.server),
            c.setup.as_secs_f64(),
            c.runs,
            if c.synthetic_data { " (on random images: the data set is not at hand)" } else { "" }
        )
    });
    match costs {
        Ok(costs) => {
            print_estimate(&costs, threads);
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: cannot time a step: {e}");
            ExitCode::from(1)
        }
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// The total, as wall-clock time here and as CPU time (wall × threads).
fn print_estimate(costs: &[ClassCost], threads: usize) {
    let wall: f64 = costs.iter().map(|c| c.total().as_secs_f64()).sum();
    let runs: usize = costs.iter().map(|c| c.runs).sum();
    let cpu_hours = wall * threads as f64 / 3600.0;
    println!(
        "estimate: {runs} runs, {cpu_hours:.2} CPU-hours ({:.2} hours on this machine's {threads} threads; evaluation not counted)",
        wall / 3600.0
    );
    let borrowed = costs.iter().filter(|c| c.borrowed_from.is_some()).count();
    if borrowed > 0 {
        println!(
            "({borrowed} kinds of run took the server-side time of their attack under another rule or f: over the time budget, `--estimate-budget` raises it)"
        );
    }
    if costs.iter().any(|c| c.synthetic_data) {
        println!(
            "(some steps were timed on random images of the data set's shape: a step's cost does not depend on the pixels)"
        );
    }
}
