//! `byz test`: runs every scenario with expectations or a results snapshot
//! under the paths, one line per scenario, then `N passed, N failed`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use super::{report_errors, report_warnings, usage_error};
use crate::check;
use crate::experiment::Progress;
use crate::experiment::test::{self, Options as TestOptions};

/// The arguments of `byz test`.
#[derive(Args)]
pub struct Options {
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
    /// Count a file's warnings as errors: it fails without running.
    #[arg(long)]
    deny_warnings: bool,
    #[command(flatten)]
    memory: super::MemoryLimit,
    /// Take runs from the results store under this folder where they are (from `byz run`,
    /// `byz collect` or a cluster), and store the others there.
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
}

/// `byz test`: tests every scenario with expectations or a snapshot, one line each; exit 1 when one fails.
pub fn test(o: &Options) -> ExitCode {
    let opts = TestOptions { snapshot: o.snapshot, accept: o.accept, digits: o.digits };
    let mut files = vec![];
    let roots = if o.paths.is_empty() { vec![PathBuf::from("scenarios")] } else { o.paths.clone() };
    if let Some(missing) = roots.iter().find(|p| !p.exists()) {
        return usage_error(
            &format!("`{}` does not exist", missing.display()),
            "name .byz files or folders that hold them",
        );
    }
    roots.iter().for_each(|p| check::byz_files(p, &mut files));
    if files.is_empty() {
        let names: Vec<String> = roots.iter().map(|p| format!("`{}`", p.display())).collect();
        return usage_error(
            &format!("no .byz files in {}", names.join(", ")),
            "name .byz files or folders that hold them",
        );
    }
    let (mut passed, mut failed, mut skipped) = (0, 0, 0);
    for file in &files {
        let plans = match check::check_file_within(file, check::Need::Run, o.memory.memory()) {
            Ok(c) if o.deny_warnings && !c.warnings.is_empty() => {
                report_warnings(c.warnings);
                println!("FAIL {} (warnings, with --deny-warnings)", file.display());
                failed += 1;
                continue;
            }
            Ok(c) => {
                if !c.warnings.is_empty() {
                    report_warnings(c.warnings);
                }
                c.plans
            }
            Err(e) => {
                report_errors(e);
                println!("FAIL {} (does not check)", file.display());
                failed += 1;
                continue;
            }
        };
        for plan in plans {
            if !test::selected(&plan, file, &opts) {
                skipped += 1;
                continue;
            }
            let progress = Progress::new(plan.runs.len(), plan.runs.iter().map(|r| r.train.steps as u64).sum(), true);
            let verdict = test::test_scenario(&plan, file, &opts, o.out.as_deref(), &progress);
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
