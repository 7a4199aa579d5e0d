//! `byz check`: syntax, names, values and requirements of files, without running them.

use std::path::PathBuf;
use std::process::ExitCode;

use super::report_errors;

pub fn check_files(files: &[PathBuf]) -> ExitCode {
    let mut ok = true;
    for f in files {
        match crate::check::check_path(f) {
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
