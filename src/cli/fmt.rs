//! `byz fmt`: rewrites each file that is not in the canonical layout, or with
//! `--check` lists them. Exit 2 when a file does not parse, 1 when `--check` finds changes.

use std::path::PathBuf;
use std::process::ExitCode;

use super::report_errors;
use crate::check::{self, Errors};
use crate::report::output::write_atomic;

/// `byz fmt`: rewrites the files not in the canonical layout, or with `check_only` lists them.
pub fn fmt(paths: &[PathBuf], check_only: bool) -> ExitCode {
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
        let formatted = check::read_source(file).and_then(|src| Ok((crate::syntax::format::format_source(&src)?, src)));
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
                if let Err(e) = write_atomic(file, text.as_bytes()) {
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
