//! The `byz` command line: the arguments of every command, and a dispatcher
//! to one file per command. Exit codes: 0 success, 1 a run (or a test, or a
//! collection) failed, 2 usage or check errors.

pub mod aggregate;
mod bench;
mod check;
mod collect;
mod explain;
mod fmt;
mod plan;
mod run;
mod slurm;
mod status;
mod test;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};
use miette::Report;

use crate::check::{Diag, Errors, Memory, Need, Warnings};
use crate::experiment::Shard;
use crate::plan::ScenarioPlan;

#[derive(Parser)]
#[command(name = "byz", version, about = "Run Byzantine-robust distributed-learning experiments written as .byz files")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Check a scenario file and run its scenarios.
    Run(run::Options),
    /// Check files without running them: syntax, names, values, requirements, warnings.
    Check(check::Options),
    /// List every run of a file (plan index, store key, label) and, with `--estimate`, what it will cost.
    Plan(plan::Options),
    /// Build runs.jsonl, tables and plots from the results store without running anything.
    Collect(collect::Options),
    /// Count the runs of each scenario that are done, missing or failed in the results store.
    Status(status::Options),
    /// Run a file's missing runs as a Slurm job array, then collect them in a dependent job.
    Slurm(slurm::Options),
    /// Aggregate vectors with a pipeline: reads {"vectors": [[...], ...]} (and "server": [...] for fltrust), prints {"aggregate": [...]}.
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
    Test(test::Options),
    /// Time D-SGD steps of each run of a scenario (no evaluation, no files).
    Bench {
        /// The .byz file.
        file: PathBuf,
        /// Run only this scenario of the file.
        #[arg(long)]
        scenario: Option<String>,
        /// Steps to time per run (after three untimed warm ones).
        #[arg(long, default_value_t = 20)]
        steps: usize,
        /// Time every run this many times, the runs in turn each round; print medians.
        #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..=1000))]
        rounds: u64,
        /// A/B: divide the step times of scenario A's runs by those of B's
        /// with the same rule, attack and seed, round by round (times only A and B).
        #[arg(long, value_name = "A/B", conflicts_with = "scenario", value_parser = parse_ratio)]
        ratio: Option<(String, String)>,
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

/// The scenario file, the scenario and the results folder, as every command
/// over a sweep's runs names them.
#[derive(Args, Clone)]
pub struct Target {
    /// The .byz file.
    pub file: PathBuf,
    /// Only this scenario of the file.
    #[arg(long)]
    pub scenario: Option<String>,
    /// The results folder (the store is OUT/SCENARIO/runs/).
    #[arg(long, default_value = "results")]
    pub out: PathBuf,
}

/// The sweep a command works on (file, scenario, results folder), and how it prints each run.
#[derive(Args, Clone)]
pub struct Sweep {
    #[command(flatten)]
    pub target: Target,
    /// How to print each run.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

/// `--mem 16G`: how much memory a run may use, instead of this machine's.
#[derive(Args, Clone, Copy)]
pub struct MemoryLimit {
    /// The memory the runs may use (e.g. 16G, 512M; a bare number is MiB);
    /// default: this machine's. A run whose estimate exceeds it is refused.
    #[arg(long = "mem", value_name = "SIZE", value_parser = parse_mem)]
    pub mem: Option<u64>,
}

impl MemoryLimit {
    /// The memory the checker holds runs to: `--mem` if given, else this machine's.
    pub fn memory(self) -> Memory {
        self.mem.map_or(Memory::Machine, Memory::Limit)
    }

    /// The bytes the runs may use at once, if known.
    pub fn budget(self) -> Option<u64> {
        self.mem.or_else(crate::check::memory::machine)
    }
}

fn parse_mem(text: &str) -> Result<u64, String> {
    crate::plan::memory::parse_size(text).ok_or_else(|| format!("`{text}` is not a size such as 16G or 512M"))
}

/// How runs are printed.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Text,
    Json,
}

/// Runs the command line; the process exits with the code returned.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Run(o) => run::run(&o),
        Command::Check(o) => check::check_files(&o),
        Command::Plan(o) => plan::plan(&o),
        Command::Collect(o) => collect::collect(&o),
        Command::Status(o) => status::status(&o),
        Command::Slurm(o) => slurm::slurm(&o),
        Command::Explain { name } => explain::explain(&name),
        Command::Bench { file, scenario, steps, rounds, ratio } => bench::bench(
            &file,
            &bench::Options {
                only: scenario.as_deref(),
                steps,
                rounds: rounds as usize,
                ratio: ratio.as_ref().map(|(a, b)| (a.as_str(), b.as_str())),
            },
        ),
        Command::Test(o) => test::test(&o),
        Command::Fmt { check, paths } => fmt::fmt(&paths, check),
        Command::Lsp => match crate::lsp::run() {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("error: byz lsp: {e}");
                ExitCode::from(1)
            }
        },
        Command::Aggregate { pipeline, f, input, explain } => {
            aggregate::aggregate(&pipeline, f, input.as_deref(), explain)
        }
    }
}

/// A usage error: exit code 2.
fn usage_error(message: &str, help: &str) -> ExitCode {
    eprintln!("error: {message}\nhelp: {help}");
    ExitCode::from(2)
}

fn report_errors(errors: Errors) {
    eprintln!("{:?}", Report::new(errors.shown()));
}

fn report_warnings(warnings: Vec<Diag>) {
    eprintln!("{:?}", Report::new(Warnings { warnings }.shown()));
}

/// What a command does with a file's warnings.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Warn {
    Print,
    /// `--deny-warnings`: print them and fail with exit code 2.
    Deny,
    /// Commands that only read the store (`collect`, `status`) do not repeat them.
    Silent,
}

impl Warn {
    fn from_flag(deny: bool) -> Warn {
        if deny { Warn::Deny } else { Warn::Print }
    }
}

/// The file's resolved scenarios, or exit code 2 once the errors (or, with
/// `Warn::Deny`, the warnings) are printed.
fn load(file: &Path, need: Need, memory: Memory, warn: Warn) -> Result<Vec<ScenarioPlan>, ExitCode> {
    match crate::check::check_file_within(file, need, memory) {
        Err(e) => {
            report_errors(e);
            Err(ExitCode::from(2))
        }
        Ok(checked) => {
            let denied = warn == Warn::Deny && !checked.warnings.is_empty();
            if warn != Warn::Silent && !checked.warnings.is_empty() {
                report_warnings(checked.warnings);
            }
            if denied {
                eprintln!("error: {} has warnings, and `--deny-warnings` makes them errors", file.display());
                return Err(ExitCode::from(2));
            }
            Ok(checked.plans)
        }
    }
}

/// The scenarios `only` names (all when `None`), or exit code 2 when it names none.
fn scenarios<'a>(
    plans: &'a [ScenarioPlan],
    only: Option<&str>,
    file: &Path,
) -> Result<Vec<&'a ScenarioPlan>, ExitCode> {
    let selected: Vec<&ScenarioPlan> = plans.iter().filter(|p| only.is_none_or(|o| o == p.name)).collect();
    if !selected.is_empty() {
        return Ok(selected);
    }
    let names: Vec<&str> = plans.iter().map(|p| p.name.as_str()).collect();
    let what = only.map(|o| format!("no scenario `{o}`")).unwrap_or_else(|| "no scenario".into());
    Err(usage_error(
        &format!("{what} in {}", file.display()),
        &if names.is_empty() {
            "the file declares no `scenario` (only bases?); add one that extends a base".to_string()
        } else {
            format!("the file has {}", names.join(", "))
        },
    ))
}

/// `--out` exists or can be made, and takes files: checked before any run
/// starts, so that hours of runs never end in an unwritable folder.
fn writable(out: &Path) -> Result<(), ExitCode> {
    let probe = out.join(format!(".byz-write-test-{}", std::process::id()));
    let ok = std::fs::create_dir_all(out)
        .and_then(|()| std::fs::write(&probe, b""))
        .and_then(|()| std::fs::remove_file(&probe));
    ok.map_err(|e| {
        usage_error(&format!("cannot write into `{}`: {e}", out.display()), "choose another folder with `--out DIR`")
    })
}

/// `byz CMD FILE [--out OUT]`, as a user would type it next.
fn command_line(cmd: &str, file: &Path, out: &Path) -> String {
    let out = if out == Path::new("results") { String::new() } else { format!(" --out {}", out.display()) };
    format!("byz {cmd} {}{out}", file.display())
}

/// `--shard K/N` as clap reads it.
fn parse_shard(s: &str) -> Result<Shard, String> {
    s.parse()
}

/// `--ratio A/B`: two scenario names.
fn parse_ratio(s: &str) -> Result<(String, String), String> {
    match s.split_once('/') {
        Some((a, b)) if !a.is_empty() && !b.is_empty() && !b.contains('/') => Ok((a.to_string(), b.to_string())),
        _ => Err(format!("`{s}` is not A/B: give two scenario names, e.g. `--ratio logreg_120/logreg_15`")),
    }
}
