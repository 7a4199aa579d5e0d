//! One snapshot of the rendered diagnostics (no colour) per broken file in
//! tests/inputs/errors/: each must fail to check, with at least one error.

mod common;

use byz::diagnostic::render_plain;

#[test]
fn diagnostics() {
    insta::glob!("inputs/errors/*.byz", |path| {
        let errors = match common::check_file(path) {
            Ok(_) => panic!("{} should not check", path.display()),
            Err(e) => e.errors,
        };
        assert!(!errors.is_empty());
        for e in &errors {
            assert!(e.help.is_some(), "every diagnostic ends with a help: {}", e.message);
            assert!(!e.label.is_empty(), "every diagnostic labels its span: {}", e.message);
        }
        insta::assert_snapshot!(render_plain(&errors));
    });
}

#[test]
fn a_file_reports_all_its_errors_at_once() {
    let path = common::root().join("tests/inputs/errors/many_errors.byz");
    let errors = common::check_file(&path).expect_err("broken").errors;
    assert!(errors.len() >= 5, "got {}", errors.len());
}

/// One snapshot of the rendered warnings per file in tests/inputs/warnings/:
/// each checks (it can run) but names a setting that makes it test less than it says.
#[test]
fn warnings() {
    insta::glob!("inputs/warnings/*.byz", |path| {
        let src = common::source(path);
        let checked = byz::check::check_text(&src, path.parent(), byz::check::Need::Run)
            .unwrap_or_else(|e| panic!("{} should check: {:?}", path.display(), e.errors));
        assert!(!checked.warnings.is_empty(), "{} has no warning", path.display());
        for w in &checked.warnings {
            assert!(w.is_warning() && w.help.is_some() && !w.label.is_empty(), "{}", w.message);
        }
        insta::assert_snapshot!(render_plain(&checked.warnings));
    });
}

#[test]
fn deny_warnings_makes_check_run_and_test_fail_with_2() {
    let file = "tests/inputs/warnings/gm_no_iterations.byz";
    for args in [vec!["check", file], vec!["run", file, "--out", "/tmp/byz-deny"], vec!["test", file]] {
        let plain = common::byz_in(&common::root(), &args);
        let err = String::from_utf8_lossy(&plain.stderr).to_string();
        assert!(err.contains("gm(iters: 0) returns its starting point"), "{args:?}: {err}");
        let mut denied = args.clone();
        denied.push("--deny-warnings");
        let out = common::byz_in(&common::root(), &denied);
        let code = if args[0] == "test" { 1 } else { 2 };
        assert_eq!(out.status.code(), Some(code), "{denied:?}: {}", String::from_utf8_lossy(&out.stderr));
    }
    assert!(common::byz_in(&common::root(), &["check", file]).status.success(), "a warning alone passes");
}

/// The bar: every shipped scenario and library file checks without a
/// warning (those that reproduce a paper's degenerate setting say so with `allow`).
#[test]
fn shipped_files_carry_no_warning() {
    let out = common::byz_in(&common::root(), &["check", "--deny-warnings", "scenarios", "stdlib"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

/// `allow` in a base covers the scenarios that extend it, a scenario adds its
/// own, and without the `allow` lines the same file has a warning of each kind.
#[test]
fn allow_accepts_the_kinds_it_names() {
    let path = common::root().join("tests/inputs/allow/accepted.byz");
    let out = common::byz_in(&common::root(), &["check", "--deny-warnings", path.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = std::fs::read_to_string(&path).unwrap();
    let without: String =
        text.lines().filter(|l| !l.trim_start().starts_with("allow")).map(|l| format!("{l}\n")).collect();
    // The stdlib base keeps its `allow degenerate`; the file's own two are gone.
    let src = byz::check::SourceFile::new("accepted.byz", without);
    let checked = byz::check::check_text(&src, path.parent(), byz::check::Need::Run).expect("checks");
    let mut kinds: Vec<&str> = checked.warnings.iter().filter_map(|w| w.warning_kind()).collect();
    kinds.sort();
    assert_eq!(kinds, ["single_seed", "unused_lr_phase"]);
}
