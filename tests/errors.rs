//! One snapshot of the rendered diagnostics (no colour) per broken file in
//! tests/inputs/errors/: each must fail to check, with at least one error.

mod common;

use byz::check::diagnostic::render_plain;

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
