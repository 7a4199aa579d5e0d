//! `byz check`: syntax, names, values and requirements of files (or of every
//! `.byz` file under a folder), without running them; warnings too.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use super::{Format, report_errors, report_warnings, usage_error};
use crate::check::{self, Need};

/// The arguments of `byz check`.
#[derive(Args)]
pub struct Options {
    /// The .byz files, or folders to search for them.
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// Count warnings as errors (exit 2), as CI should.
    #[arg(long)]
    deny_warnings: bool,
    #[command(flatten)]
    memory: super::MemoryLimit,
    /// `json`: one line per file with its scenarios and every diagnostic and its place, for tools.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
}

/// `byz check`: checks each file (folders are searched); exit 2 on an error, or a warning with `--deny-warnings`.
pub(crate) fn check_files(o: &Options) -> ExitCode {
    let mut files = vec![];
    for p in &o.paths {
        if p.is_dir() {
            check::byz_files(p, &mut files);
        } else {
            // A missing file is reported by the checker, at its name.
            files.push(p.clone());
        }
    }
    if files.is_empty() {
        return usage_error("no .byz files under the folders given", "name .byz files or folders that hold them");
    }
    let mut ok = true;
    for f in &files {
        // Data sets need to be here only to run (a cluster's file may name
        // data that is on the cluster): their absence is a note, not an error.
        let checked = check::check_file_within(f, Need::Plan, o.memory.memory());
        if o.format == Format::Json {
            let (line, passed) = json_report(f, &checked, o.deny_warnings);
            println!("{line}");
            ok &= passed;
            continue;
        }
        match checked {
            Ok(c) => {
                let runs: usize = c.plans.iter().map(|p| p.runs.len()).sum();
                let warnings = match c.warnings.len() {
                    0 => String::new(),
                    1 => ", 1 warning".into(),
                    n => format!(", {n} warnings"),
                };
                let missing: Vec<&str> = c.missing_data.iter().map(|d| d.message.as_str()).collect();
                let data = if missing.is_empty() {
                    String::new()
                } else {
                    format!("; to run it here, {}", missing.join("; "))
                };
                println!("{}: ok ({} scenarios, {runs} runs{warnings}){data}", f.display(), c.plans.len());
                ok &= !o.deny_warnings || c.warnings.is_empty();
                if !c.warnings.is_empty() {
                    report_warnings(c.warnings);
                }
            }
            Err(e) => {
                ok = false;
                report_errors(e);
            }
        }
    }
    if ok { ExitCode::SUCCESS } else { ExitCode::from(2) }
}

/// One file's report as a JSON line: `file`, `ok`, `scenarios` (names), `runs`,
/// `diagnostics` (each with its place, `Diag::to_json`); and whether it passed.
fn json_report(file: &std::path::Path, checked: &Result<check::Checked, check::Errors>, deny: bool) -> (String, bool) {
    let (ok, scenarios, runs, diagnostics): (bool, Vec<&str>, usize, Vec<serde_json::Value>) = match checked {
        Ok(c) => (
            !deny || c.warnings.is_empty(),
            c.plans.iter().map(|p| p.name.as_str()).collect(),
            c.plans.iter().map(|p| p.runs.len()).sum(),
            c.warnings.iter().map(|d| d.to_json()).collect(),
        ),
        Err(e) => (false, vec![], 0, e.errors.iter().map(|d| d.to_json()).collect()),
    };
    let report = serde_json::json!({
        "file": file.display().to_string(),
        "ok": ok,
        "scenarios": scenarios,
        "runs": runs,
        "diagnostics": diagnostics,
    });
    (report.to_string(), ok)
}
