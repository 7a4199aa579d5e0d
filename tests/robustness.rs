//! Truncated and garbled versions of every scenario and stdlib file go
//! through the checker and the formatter: errors, never a panic.

mod common;

use byz::check::{SourceFile, check_source};
use byz::syntax::format::format_source;

fn all_sources() -> Vec<(String, String)> {
    let mut out = vec![];
    for dir in ["scenarios/toy", "tests/inputs/parse", "tests/inputs/errors"] {
        for p in common::scenario_files(dir) {
            out.push((p.display().to_string(), std::fs::read_to_string(&p).unwrap()));
        }
    }
    for (name, text) in byz::check::STDLIB {
        out.push((name.to_string(), text.to_string()));
    }
    out
}

/// Checks, and formats: what formats once formats to itself.
fn check(name: &str, text: String) {
    let src = SourceFile::new(name, text);
    let _ = check_source(&src, Some(&common::root().join("scenarios/toy")));
    if let Ok(once) = format_source(&src) {
        let twice = format_source(&SourceFile::new(name, once.clone())).expect("formatted text parses");
        assert_eq!(once, twice, "formatting is not stable on:\n{}", src.text);
    }
}

#[test]
fn truncated_files_never_panic() {
    for (name, text) in all_sources() {
        let cuts: Vec<usize> = text.char_indices().map(|(i, _)| i).collect();
        for &cut in cuts.iter().step_by(3) {
            check(&name, text[..cut].to_string());
        }
    }
}

#[test]
fn garbled_files_never_panic() {
    let junk = [
        "}",
        "{",
        "|>",
        "..",
        "..=",
        "(",
        ")",
        "-",
        "1e999",
        "0",
        "krum",
        "[",
        "]",
        ":",
        ",",
        "\"",
        "9999999999999999999999",
    ];
    for (name, text) in all_sources() {
        let cuts: Vec<usize> = text.char_indices().map(|(i, _)| i).collect();
        for (k, &cut) in cuts.iter().enumerate().step_by(5) {
            let j = junk[k % junk.len()];
            check(&name, format!("{}{j}{}", &text[..cut], &text[cut..]));
            // Drop a small span too.
            let end = cuts.get(k + 4).copied().unwrap_or(text.len());
            check(&name, format!("{}{}", &text[..cut], &text[end..]));
        }
    }
}
