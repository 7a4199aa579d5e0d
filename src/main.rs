//! The `byz` command line.

use clap::{Parser, Subcommand, ValueEnum};
use miette::Report;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use byz::check::{self, Errors};
use byz::experiment::test::{self, Options as TestOptions};
use byz::experiment::{self, Progress, Store};
use byz::plan::{RunPlan, ScenarioPlan, TaskPlan};
use byz::registry;
use byz::report::{output, scenario};
use byz::sim;

#[derive(Parser)]
#[command(name = "byz", version, about = "Run Byzantine-robust distributed-learning experiments written as .byz files")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Check a scenario file and run its scenarios.
    Run {
        /// The .byz file.
        file: PathBuf,
        /// Run only this scenario of the file.
        #[arg(long)]
        scenario: Option<String>,
        /// Where results and plots go.
        #[arg(long, default_value = "results")]
        out: PathBuf,
        /// How to print each run.
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
        /// Print each honest worker's class histogram (data tasks) to standard error first.
        #[arg(long)]
        show_split: bool,
        /// Run every run again, even those whose results are stored under the output folder.
        #[arg(long)]
        fresh: bool,
    },
    /// Check files without running them: syntax, names, values, requirements.
    Check {
        /// The .byz files.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Aggregate vectors with a pipeline: reads {"vectors": [[...], ...]}, prints {"aggregate": [...]}.
    Aggregate {
        /// The pipeline, e.g. `nnm |> cm` (quote it in the shell).
        pipeline: String,
        /// How many of the vectors may be Byzantine.
        #[arg(long)]
        f: usize,
        /// A JSON file (standard input by default).
        #[arg(long)]
        input: Option<PathBuf>,
        /// Also print which inputs a selection rule (krum, multikrum, mda, ...) kept.
        #[arg(long)]
        explain: bool,
    },
    /// Run every scenario with an `expect` block under the paths and check it.
    Test {
        /// Files or directories (default: scenarios).
        paths: Vec<PathBuf>,
        /// Also test scenarios without expectations, and record missing snapshots of results
        /// (DIR/snapshots/FILE__SCENARIO.snap beside each file).
        #[arg(long)]
        snapshot: bool,
        /// Take changed results as the new snapshots.
        #[arg(long)]
        accept: bool,
        /// Decimals kept in snapshots.
        #[arg(long, default_value_t = 4)]
        digits: usize,
    },
    /// Time D-SGD steps of each run of a scenario (no evaluation, no files).
    Bench {
        /// The .byz file.
        file: PathBuf,
        /// Run only this scenario of the file.
        #[arg(long)]
        scenario: Option<String>,
        /// Steps to time per run (after one untimed warm-up step).
        #[arg(long, default_value_t = 20)]
        steps: usize,
    },
    /// Rewrite .byz files in the canonical layout (comments kept).
    Fmt {
        /// Only list the files that would change, and exit with 1 if any would.
        #[arg(long)]
        check: bool,
        /// Files or directories (searched for .byz files).
        #[arg(required = true)]
        paths: Vec<PathBuf>,
    },
    /// Speak the Language Server Protocol over stdio (diagnostics, completion, hover, definitions).
    Lsp,
    /// Explain a rule, pre-aggregator, attack, solver or objective.
    Explain {
        /// Its name, e.g. `krum` or `jump`; `all` lists every component.
        name: String,
    },
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    Text,
    Json,
}

fn main() -> ExitCode {
    byz::alloc::keep_freed_memory();
    let cli = Cli::parse();
    match cli.command {
        Command::Run { file, scenario, out, format, show_split, fresh } => {
            run(&file, scenario.as_deref(), &out, format, show_split, fresh)
        }
        Command::Check { files } => check_files(&files),
        Command::Explain { name } => explain(&name),
        Command::Bench { file, scenario, steps } => bench(&file, scenario.as_deref(), steps),
        Command::Test { paths, snapshot, accept, digits } => test(&paths, &TestOptions { snapshot, accept, digits }),
        Command::Fmt { check, paths } => fmt(&paths, check),
        Command::Lsp => match byz::lsp::run() {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("error: byz lsp: {e}");
                ExitCode::from(1)
            }
        },
        Command::Aggregate { pipeline, f, input, explain } => {
            match byz::aggregate::cli::run_cli(&pipeline, f, input.as_deref(), explain) {
                Ok(json) => {
                    println!("{json}");
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("{e}");
                    ExitCode::from(2)
                }
            }
        }
    }
}

fn report_errors(errors: Errors) {
    eprintln!("{:?}", Report::new(errors));
}

fn check_files(files: &[PathBuf]) -> ExitCode {
    let mut ok = true;
    for f in files {
        match check::check_path(f) {
            Ok(plans) => {
                let runs: usize = plans.iter().map(|p| p.runs.len()).sum();
                println!("{}: ok ({} scenarios, {runs} runs)", f.display(), plans.len());
            }
            Err(e) => {
                ok = false;
                report_errors(e);
            }
        }
    }
    if ok { ExitCode::SUCCESS } else { ExitCode::from(2) }
}

fn run(file: &Path, only: Option<&str>, out: &Path, format: Format, show_split: bool, fresh: bool) -> ExitCode {
    let plans = match check::check_path(file) {
        Ok(p) => p,
        Err(e) => {
            report_errors(e);
            return ExitCode::from(2);
        }
    };
    let selected: Vec<&ScenarioPlan> = plans.iter().filter(|p| only.is_none_or(|o| o == p.name)).collect();
    if selected.is_empty() {
        let names: Vec<&str> = plans.iter().map(|p| p.name.as_str()).collect();
        eprintln!(
            "error: no scenario {} in {}\nhelp: the file has {}",
            only.map(|o| format!("`{o}`")).unwrap_or_default(),
            file.display(),
            if names.is_empty() { "no scenarios".into() } else { names.join(", ") }
        );
        return ExitCode::from(2);
    }
    let mut failed = false;
    if show_split {
        // Runs that differ only in their rule or attack share a split: print it once.
        let mut seen = vec![];
        for run in selected.iter().flat_map(|p| &p.runs) {
            let key = (run.scenario.clone(), run.seed, run.workers.honest, format!("{:?}", run.task));
            if !seen.contains(&key) {
                print_split(run);
                seen.push(key);
            }
        }
    }
    let progress = Progress::new(selected.iter().map(|p| p.runs.len()).sum(), false);
    for plan in selected {
        let store = Store::new(out, &plan.name, fresh);
        let outcomes = experiment::run_all(&plan.runs, Some(&store), &progress);
        let stored = outcomes.iter().filter(|o| o.stored).count();
        let mut done = vec![];
        for (run, o) in plan.runs.iter().zip(outcomes) {
            match o.result {
                Ok(r) => done.push(r),
                Err(e) => {
                    failed = true;
                    progress.println(&format!("error: run of `{}` (seed {}) failed: {e}", run.scenario, run.seed));
                }
            }
        }
        progress.suspend(|| {
            for r in &done {
                match format {
                    Format::Text => println!("{}", output::text_line(r)),
                    Format::Json => println!("{}", output::json_line(r)),
                }
            }
            if stored > 0 {
                eprintln!(
                    "{stored} of {} runs of `{}` came from the results store (`--fresh` runs them again)",
                    plan.runs.len(),
                    plan.name
                );
            }
            let table = scenario::summary_table(plan, &done);
            if let (Some(t), Format::Text) = (&table, format) {
                println!("\n{}", t.text());
            }
            match scenario::write_all(out, plan, &done, table.as_ref()) {
                Ok(files) => files.iter().for_each(|f| eprintln!("wrote {}", f.display())),
                Err(e) => {
                    failed = true;
                    eprintln!("error: cannot write results under {}: {e}", out.display());
                }
            }
        });
    }
    progress.finish();
    if failed { ExitCode::from(1) } else { ExitCode::SUCCESS }
}

/// One line per honest worker: how many samples of each class it holds.
fn print_split(run: &RunPlan) {
    let TaskPlan::Classification { data, dir, heterogeneity, .. } = &run.task else { return };
    let Ok(d) = byz::task::data::load(*data, Path::new(dir)) else { return };
    let shards = byz::task::split::split(&d.train.labels, d.classes, run.workers.honest, *heterogeneity, run.seed);
    let skew = byz::task::split::skew(&shards, &d.train.labels, d.classes);
    eprintln!(
        "{} seed {}: {heterogeneity:?}, mean total-variation distance to the pooled classes {skew:.3}",
        run.scenario, run.seed
    );
    for (w, h) in byz::task::split::histograms(&shards, &d.train.labels, d.classes).iter().enumerate() {
        let counts: Vec<String> = h.iter().map(|c| format!("{c:>5}")).collect();
        eprintln!("  worker {w:>2}: {}  ({} samples)", counts.join(""), h.iter().sum::<usize>());
    }
}

/// One line per scenario tested, then `N passed, N failed`.
fn test(paths: &[PathBuf], opts: &TestOptions) -> ExitCode {
    let mut files = vec![];
    let roots = if paths.is_empty() { vec![PathBuf::from("scenarios")] } else { paths.to_vec() };
    roots.iter().for_each(|p| check::byz_files(p, &mut files));
    let (mut passed, mut failed, mut skipped) = (0, 0, 0);
    for file in &files {
        let plans = match check::check_path(file) {
            Ok(p) => p,
            Err(e) => {
                report_errors(e);
                println!("FAIL {} (does not check)", file.display());
                failed += 1;
                continue;
            }
        };
        for plan in plans {
            if !test::selected(&plan, file, opts) {
                skipped += 1;
                continue;
            }
            let progress = Progress::new(plan.runs.len(), true);
            let verdict = test::test_scenario(&plan, file, opts, &progress);
            if verdict.problems.is_empty() {
                passed += 1;
                println!("ok   {} ({}, {} runs)", plan.name, file.display(), plan.runs.len());
            } else {
                failed += 1;
                println!("FAIL {} ({})", plan.name, file.display());
                verdict.problems.iter().for_each(|p| println!("       {p}"));
            }
            verdict.notes.iter().for_each(|n| println!("       {n}"));
        }
    }
    if skipped > 0 {
        println!("({skipped} scenarios without expectations or snapshots not run; `--snapshot` runs them)");
    }
    println!("{passed} passed, {failed} failed");
    if failed > 0 { ExitCode::from(1) } else { ExitCode::SUCCESS }
}

/// Milliseconds per step: a run of `steps + 1` steps minus a run of 1 step,
/// so that setup (data loading, the split, the first graph) is not counted.
fn bench(file: &Path, only: Option<&str>, steps: usize) -> ExitCode {
    let plans = match check::check_path(file) {
        Ok(p) => p,
        Err(e) => {
            report_errors(e);
            return ExitCode::from(2);
        }
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
            let warm = time(1);
            match (warm.and_then(|_| time(WARM)), time(WARM + steps)) {
                (Ok(one), Ok(all)) => {
                    let per = all.saturating_sub(one).as_secs_f64() * 1000.0 / steps.max(1) as f64;
                    println!("{}  [{}, {}]  seed {}  {per:.3} ms/step", plan.name, run.aggregate, run.attack, run.seed);
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

fn explain(name: &str) -> ExitCode {
    if name == "all" {
        for k in registry::KINDS {
            let names: Vec<&str> = registry::specs(k).iter().map(|s| s.name).collect();
            println!("{}s: {}", k.noun(), names.join(", "));
        }
        return ExitCode::SUCCESS;
    }
    let Some(text) = registry::explain_name(name) else {
        let all: Vec<&str> = registry::KINDS.iter().flat_map(|k| registry::specs(*k)).map(|s| s.name).collect();
        let hint = check::diagnostic::did_you_mean(name, all.iter().copied())
            .map(|s| format!("did you mean `{s}`? "))
            .unwrap_or_default();
        eprintln!("error: nothing called `{name}`\nhelp: {hint}`byz explain all` lists every component");
        return ExitCode::from(2);
    };
    print!("{text}");
    ExitCode::SUCCESS
}

/// `byz fmt`: rewrites each file that is not in the canonical layout, or with
/// `--check` lists them. Exit 2 when a file does not parse, 1 when `--check` finds changes.
fn fmt(paths: &[PathBuf], check_only: bool) -> ExitCode {
    let mut files = vec![];
    let mut broken = false;
    for p in paths {
        if !p.exists() {
            eprintln!("error: `{}` does not exist", p.display());
            broken = true;
        }
        check::byz_files(p, &mut files);
    }
    let mut changed = false;
    for file in &files {
        let formatted = check::read_source(file).and_then(|src| Ok((byz::syntax::format::format_source(&src)?, src)));
        match formatted {
            Err(d) => {
                broken = true;
                report_errors(Errors::from(*d));
            }
            Ok((text, src)) if text == *src.text => {}
            Ok(_) if check_only => {
                changed = true;
                println!("{}", file.display());
            }
            Ok((text, _)) => {
                if let Err(e) = write_atomically(file, &text) {
                    broken = true;
                    eprintln!("error: cannot write `{}`: {e}", file.display());
                }
            }
        }
    }
    if broken {
        ExitCode::from(2)
    } else if changed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

/// Writes beside the file, then renames over it: an interrupted write never leaves half a file.
fn write_atomically(path: &Path, text: &str) -> std::io::Result<()> {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let tmp = path.with_file_name(format!(".{name}.byz-fmt.tmp"));
    std::fs::write(&tmp, text)?;
    std::fs::rename(&tmp, path).inspect_err(|_| {
        let _ = std::fs::remove_file(&tmp);
    })
}
