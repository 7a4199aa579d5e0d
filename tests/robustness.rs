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

/// `byz check`, `byz fmt --check` and `byz run` on `text`: exit 2 with `message`, never a crash.
fn refused_by_every_command(name: &str, text: &str, message: &str) {
    refused_by(name, text, message, &[&["check"], &["fmt", "--check"], &["run"]]);
}

/// The same, for text that parses (so that `byz fmt` has nothing to say).
fn refused_by_every_command_but_fmt(name: &str, text: &str, message: &str) {
    refused_by(name, text, message, &[&["check"], &["run"]]);
}

fn refused_by(name: &str, text: &str, message: &str, commands: &[&[&str]]) {
    let dir = common::temp_dir(&format!("deep-{name}"));
    let file = dir.join(format!("{name}.byz"));
    std::fs::write(&file, text).unwrap();
    for args in commands {
        let mut all: Vec<&str> = args.to_vec();
        all.push(file.to_str().unwrap());
        let out = common::byz_in(&dir, &all);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{name}: byz {args:?} exits with 2, not a crash:\n{}",
            &err[..err.len().min(2000)]
        );
        assert!(err.contains(message), "{name}: byz {args:?}:\n{}", &err[..err.len().min(2000)]);
        assert!(err.len() < 20_000, "{name}: the message quotes {} bytes", err.len());
    }
}

fn landscape(loss: &str) -> String {
    format!(
        "scenario deep {{\n  task landscape {{\n    init [0, 0]\n    honest a = {loss}\n  }}\n  workers {{ byzantine 0 }}\n  train {{ steps 1; lr 0.1 }}\n  aggregate mean\n}}\n"
    )
}

#[test]
fn stack_deep_inputs_get_a_diagnostic_not_a_stack_overflow() {
    let sum = vec!["theta[0]"; 8000].join(" + ");
    refused_by_every_command("long_sum", &landscape(&sum), "expression too long: 15999 operators (limit 1000)");
    let minus = format!("{}theta[0]", "- ".repeat(20_000));
    refused_by_every_command("minuses", &landscape(&minus), "expression too long");
    let exps = format!("{}theta[0]{}", "exp(".repeat(4000), ")".repeat(4000));
    refused_by_every_command("exp_exp", &landscape(&exps), "nested too deeply (limit 64)");
    let vectors = format!("scenario v {{\n  task landscape {{ init {}0{} }}\n}}\n", "[".repeat(5000), "]".repeat(5000));
    refused_by_every_command("vectors", &vectors, "nested too deeply");
    let solvers = format!("scenario s {{\n  attack {}powell{}\n}}\n", "jump(solver: ".repeat(5000), ")".repeat(5000));
    refused_by_every_command("solvers", &solvers, "nested too deeply");
    // A 1 MB line of parentheses: the message shows a window of it, not all of it.
    let parens = landscape(&format!("{}theta[0]{}", "(".repeat(500_000), ")".repeat(500_000)));
    refused_by_every_command("parens", &parens, "nested too deeply");
    // An error past column 65,535 (miette panicked there) is shown in a window of its line.
    let far =
        format!("use std.papers.jump\nscenario s extends two_wells {{\n  aggregate {}krumm\n}}\n", " ".repeat(70_000));
    refused_by_every_command_but_fmt("far_column", &far, "unknown aggregation rule `krumm`");
    // Brackets in comments and strings do not count; 64 levels are fine.
    let ok = landscape(&format!("{}theta[0]{}", "(".repeat(60), ")".repeat(60)));
    let ok = format!("// {}\n{ok}", "(".repeat(100));
    let dir = common::temp_dir("deep-ok");
    std::fs::write(dir.join("ok.byz"), ok).unwrap();
    let out = common::byz_in(&dir, &["check", "ok.byz"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}
