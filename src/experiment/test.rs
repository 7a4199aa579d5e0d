//! `byz test`: a scenario passes when every run satisfies its expectations
//! and its results match the snapshot kept beside its file, if any.

use std::path::Path;

use super::{Progress, Store, run_all};
use crate::plan::ScenarioPlan;
use crate::report::{expect, output::write_atomic, snapshot};

/// What `byz test` does with results snapshots: whether to record and accept them, and the decimals they keep.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// Test scenarios without expectations too, recording their snapshots when missing.
    pub snapshot: bool,
    /// Overwrite snapshots that changed.
    pub accept: bool,
    /// Decimals kept in snapshots.
    pub digits: usize,
}

/// What testing one scenario found.
#[derive(Debug, Default)]
pub struct Verdict {
    /// What broke: a failed run, a broken expectation, a changed snapshot (with its diff).
    pub problems: Vec<String>,
    /// What happened besides: snapshots recorded or updated.
    pub notes: Vec<String>,
}

/// Whether `byz test` runs this scenario at all.
pub fn selected(plan: &ScenarioPlan, file: &Path, opts: &Options) -> bool {
    !plan.expect.is_empty() || opts.snapshot || snapshot::path(file, &plan.name).exists()
}

/// Tests one scenario; with `results`, runs stored under that results folder
/// (by `byz run`, `byz collect` or a cluster) are tested without running them again.
pub(crate) fn test_scenario(
    plan: &ScenarioPlan,
    file: &Path,
    opts: &Options,
    results: Option<&Path>,
    progress: &Progress,
) -> Verdict {
    let mut v = Verdict::default();
    let mut runs = vec![];
    let all: Vec<_> = plan.runs.iter().collect();
    let store = results.map(|out| Store::new(out, &plan.name, false));
    for o in run_all(&all, store.as_ref(), progress, crate::check::memory::machine()) {
        match o.result {
            Ok(r) => runs.push(r),
            Err(e) => v.problems.push(format!("a run failed: {e}")),
        }
    }
    v.problems.extend(expect::failures(&plan.expect, &runs));
    let path = snapshot::path(file, &plan.name);
    if !(opts.snapshot || opts.accept || path.exists()) {
        return v;
    }
    let new = snapshot::render(plan, &runs, opts.digits);
    let save = |what: &str, v: &mut Verdict| match write_atomic(&path, new.as_bytes()) {
        Ok(()) => v.notes.push(format!("{what} {}", path.display())),
        Err(e) => v.problems.push(format!("cannot write {}: {e}", path.display())),
    };
    match std::fs::read_to_string(&path) {
        Err(_) => save("recorded", &mut v),
        Ok(old) => match snapshot::diff(&old, &new) {
            None => {}
            Some(_) if opts.accept => save("updated", &mut v),
            Some(d) => {
                let pending = path.with_extension("snap.new");
                let kept = match write_atomic(&pending, new.as_bytes()) {
                    Ok(()) => format!("; the new results are in {}, `--accept` takes them", pending.display()),
                    Err(_) => String::new(),
                };
                v.problems.push(format!("the results differ from {}{kept}:\n{}", path.display(), d.trim_end()));
            }
        },
    }
    if v.problems.is_empty() {
        // A stale pending snapshot would mislead the next reader.
        let _ = std::fs::remove_file(path.with_extension("snap.new"));
    }
    v
}
