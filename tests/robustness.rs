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

/// The errors `byz check` reports on `scenario s extends two_wells { BODY }`.
fn errors_of(body: &str) -> String {
    let text = format!("use std.papers.jump\nscenario s extends two_wells {{\n  aggregate cm\n  {body}\n}}\n");
    match byz::check::check_source(&SourceFile::new("limits.byz", text), None) {
        Ok(_) => String::new(),
        Err(e) => e.errors.iter().map(|d| d.to_string() + "\n").collect(),
    }
}

#[test]
fn numbers_that_size_work_are_refused_past_their_limit() {
    for (body, message) in [
        ("task mean_estimation { dim 4294967296 }", "`dim` must be at most 10,000,000 (byz's limit)"),
        ("train { steps 99999999999 }", "`steps` must be at most 10,000,000"),
        ("workers { byzantine 1e9 }", "`byzantine` must be at most 100,000"),
        ("report every 0 { loss }", "`every` must be from 1 to 10,000,000"),
        ("attack jump(solver: grid(points: 99999999999))", "`points` must be at most 1,000,000"),
        ("attack plan { lookahead 99999999999 }", "must be at most 1,000,000"),
        ("seeds 0..=18446744073709551615", "more than 10,000 seeds"),
        (
            "sweep { train.lr in [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1]; train.momentum in [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]; train.steps in [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]; train.clip in [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]; train.l2 in [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11] }",
            "the sweep has more than 100,000 points with this axis (10000 × 11)",
        ),
    ] {
        let errors = errors_of(body);
        assert!(errors.contains(message), "`{body}`: {errors}");
    }
    // The largest seed is one seed, not an empty list.
    let errors = errors_of("seeds 18446744073709551615..=18446744073709551615");
    assert!(errors.is_empty(), "{errors}");
    let model = "scenario m {\n  data mnist(\"data/mnist\")\n  model (1,28,28)-C(1000000)-L(10)\n  workers { honest 3 }\n  train { steps 1; lr 0.1 }\n  aggregate cm\n}\n";
    let errors = match byz::check::check_source(&SourceFile::new("m.byz", model), None) {
        Ok(_) => String::new(),
        Err(e) => e.errors.iter().map(|d| d.to_string() + "\n").collect(),
    };
    assert!(errors.contains("`C` needs a whole number of channels, at most 65,536"), "{errors}");
}

#[test]
fn a_long_extends_chain_and_an_endless_import_are_refused() {
    let mut text = String::from("base b0 { train { steps 1; lr 0.1 } }\n");
    for i in 1..3000 {
        text.push_str(&format!("base b{i} extends b{} {{}}\n", i - 1));
    }
    text.push_str("scenario s extends b2999 { task landscape { init [0]; honest a = theta[0] }\n workers { byzantine 0 }\n aggregate mean }\n");
    let start = std::time::Instant::now();
    let e = byz::check::check_source(&SourceFile::new("chain.byz", text), None).expect_err("refused");
    assert!(e.errors.iter().any(|d| d.to_string().contains("`extends` chain longer than 100")), "{e:?}");
    assert!(start.elapsed() < std::time::Duration::from_secs(5), "took {:?}", start.elapsed());

    let dir = common::temp_dir("dev-zero");
    std::fs::write(dir.join("zero.byz"), "use \"/dev/zero\"\n").unwrap();
    let out = common::byz_in(&dir, &["check", "zero.byz"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot read `/dev/zero`: not a regular file"));
}

/// Every input kept under tests/inputs/fuzz/TARGET/ (by `scripts/fuzz`, or
/// by hand from a reported crash) goes through that fuzz target's code again.
#[test]
fn fuzz_regressions_stay_fixed() {
    let mut replayed = 0;
    for target in ["check", "fmt", "lsp"] {
        let dir = common::root().join("tests/inputs/fuzz").join(target);
        let mut files: Vec<_> = std::fs::read_dir(&dir).into_iter().flatten().flatten().map(|e| e.path()).collect();
        files.sort();
        for path in files {
            let data = std::fs::read(&path).unwrap();
            let name = path.display().to_string();
            match target {
                "check" => {
                    let src = SourceFile::new(name, String::from_utf8_lossy(&data).into_owned());
                    let _ = byz::check::check_text(&src, None, byz::check::Need::Plan);
                }
                "fmt" => check(&name, String::from_utf8_lossy(&data).into_owned()),
                _ => {
                    let (at, text) = data.split_first().unwrap_or((&0, &[]));
                    byz::lsp::exercise(&String::from_utf8_lossy(text), usize::from(*at) * 7);
                }
            }
            replayed += 1;
        }
    }
    assert!(replayed >= 9, "the kept inputs are there: {replayed}");
}
