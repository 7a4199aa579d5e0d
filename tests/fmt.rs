//! `byz fmt`: the formatted text means the same (same syntax tree), keeps
//! every comment, formats to itself, and reads as the snapshots of
//! tests/inputs/fmt/ show.

mod common;

use std::path::PathBuf;
use std::process::Command;

use byz::check::SourceFile;
use byz::syntax::format::{comment_texts, format_source};

/// The syntax tree without byte spans, which formatting moves.
fn tree_without_spans(src: &SourceFile) -> String {
    let file = byz::syntax::parse_file(src).unwrap_or_else(|e| panic!("{} should parse: {}", src.name, e.message));
    let debug = format!("{:#?}", file.items);
    // Spans print as `START..END`; nothing else in the tree's Debug does.
    let mut out = String::with_capacity(debug.len());
    let chars: Vec<char> = debug.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let digits = chars[i..].iter().take_while(|c| c.is_ascii_digit()).count();
        let after = i + digits;
        if digits > 0 && chars.get(after) == Some(&'.') && chars.get(after + 1) == Some(&'.') {
            let more = chars[after + 2..].iter().take_while(|c| c.is_ascii_digit()).count();
            if more > 0 {
                out.push_str("SPAN");
                i = after + 2 + more;
                continue;
            }
        }
        out.push(chars[i]);
        i += 1;
    }
    out
}

fn shipped_files() -> Vec<PathBuf> {
    let mut files = vec![];
    for dir in ["scenarios", "stdlib", "tests/inputs/parse", "tests/inputs/fmt"] {
        byz::check::byz_files(&common::root().join(dir), &mut files);
    }
    files
}

#[test]
fn formatting_keeps_the_tree_and_the_comments_and_is_idempotent() {
    let files = shipped_files();
    assert!(files.len() >= 20, "found only {} files", files.len());
    for path in files {
        let src = common::source(&path);
        let once = format_source(&src).unwrap_or_else(|e| panic!("{}: {}", src.name, e.message));
        let formatted = SourceFile::new(src.name.clone(), once.clone());
        assert_eq!(tree_without_spans(&src), tree_without_spans(&formatted), "{} changes meaning", src.name);
        assert_eq!(comment_texts(&src.text), comment_texts(&once), "{} loses or reorders comments", src.name);
        let twice = format_source(&formatted).expect("formatted text parses");
        assert_eq!(once, twice, "{} is not stable under formatting", src.name);
    }
}

#[test]
fn the_span_stripper_sees_a_changed_value() {
    let a = SourceFile::new("a", "scenario x { seeds 1..=5 }");
    let b = SourceFile::new("b", "scenario x {\n  seeds 1..5\n}");
    assert_ne!(tree_without_spans(&a), tree_without_spans(&b));
    let c = SourceFile::new("c", "scenario x {\n  seeds 1..=5\n}\n");
    assert_eq!(tree_without_spans(&a), tree_without_spans(&c));
}

#[test]
fn messy_inputs() {
    insta::glob!("inputs/fmt/*.byz", |path| {
        let src = common::source(path);
        let formatted = format_source(&src).unwrap_or_else(|e| panic!("{}: {}", src.name, e.message));
        insta::assert_snapshot!(format!("{}\n---- byz fmt ----\n{formatted}", src.text));
    });
}

fn byz(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_byz")).args(args).current_dir(common::root()).output().expect("byz runs")
}

#[test]
fn check_lists_what_would_change_and_fmt_rewrites_it() {
    let dir = std::env::temp_dir().join(format!("byz-fmt-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("sub")).unwrap();
    let messy = dir.join("sub/one_line.byz");
    std::fs::copy(common::root().join("tests/inputs/fmt/one_line.byz"), &messy).unwrap();
    let dir_arg = dir.to_str().unwrap();

    let out = byz(&["fmt", "--check", dir_arg]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("one_line.byz"));

    let out = byz(&["fmt", dir_arg]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = std::fs::read_to_string(&messy).unwrap();
    assert!(text.contains("\n  workers {\n    honest 7\n    byzantine 5\n  }\n"), "{text}");
    let leftovers: Vec<_> = std::fs::read_dir(dir.join("sub")).unwrap().flatten().map(|e| e.file_name()).collect();
    assert_eq!(leftovers.len(), 1, "no temporary file is left behind: {leftovers:?}");

    let out = byz(&["fmt", "--check", dir_arg]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stdout));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_file_that_does_not_parse_is_a_syntax_error() {
    let out = byz(&["fmt", "--check", "tests/inputs/errors/missing_brace.byz"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("missing_brace.byz") && err.contains("expected"), "{err}");
}

#[test]
fn shipped_files_are_formatted() {
    let out = byz(&["fmt", "--check", "scenarios", "stdlib"]);
    assert_eq!(out.status.code(), Some(0), "run `byz fmt scenarios stdlib`:\n{}", String::from_utf8_lossy(&out.stdout));
}
