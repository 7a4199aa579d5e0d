//! `byz aggregate PIPELINE --f F`: one aggregation of given vectors.

use std::path::Path;
use std::process::ExitCode;

pub fn aggregate(pipeline: &str, f: usize, input: Option<&Path>, explain: bool) -> ExitCode {
    match crate::aggregate::cli::run_cli(pipeline, f, input, explain) {
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
