//! The results store: each run's result in `OUT/SCENARIO/runs/KEY.json`,
//! keyed by a hash of the run's resolved plan and of the byz version, and
//! written atomically. A sweep killed half-way and started again finds the
//! finished runs here and runs only the rest; shards and cluster tasks write
//! into the same folder at once, each run under its own key. A run that
//! failed leaves `KEY.failed.json` (its error and step) instead, until a
//! later attempt succeeds.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::plan::RunPlan;
use crate::report::output::write_atomic;
use crate::sim::{RunResult, SimError};

/// The results store of one scenario, `OUT/SCENARIO/runs/`.
pub struct Store {
    dir: PathBuf,
    /// Save results but never reuse them (`byz run --fresh`).
    fresh: bool,
}

#[derive(Serialize, Deserialize)]
struct Stored {
    key: String,
    plan: serde_json::Value,
    result: RunResult,
}

/// Why a run failed, kept so that `byz status` can show it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Failure {
    pub key: String,
    /// The error's message.
    pub error: String,
    /// The step the run failed at, when it failed inside the training loop.
    pub step: Option<usize>,
}

/// Where a run stands in the store.
#[derive(Debug, Clone)]
pub enum RunStatus {
    Done,
    Failed(Failure),
    Missing,
}

/// 64-bit FNV-1a: stable across platforms and releases, unlike `std`'s hasher.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3))
}

/// The run's key: the same plan under the same byz version gives the same key.
/// Data files are named, not hashed: after replacing a data set, run with `--fresh`.
pub fn key(plan: &RunPlan) -> String {
    let json = serde_json::to_string(plan).unwrap_or_default();
    format!("{:016x}", fnv1a(format!("byz {}\n{json}", env!("CARGO_PKG_VERSION")).as_bytes()))
}

impl Store {
    /// The store of `scenario` under `out`; a `fresh` store saves results but never reuses them.
    pub fn new(out: &Path, scenario: &str, fresh: bool) -> Self {
        Store { dir: out.join(scenario).join("runs"), fresh }
    }

    fn path(&self, key: &str) -> PathBuf {
        self.dir.join(format!("{key}.json"))
    }

    fn failure_path(&self, key: &str) -> PathBuf {
        self.dir.join(format!("{key}.failed.json"))
    }

    /// The stored result of this plan, if a finished run left one.
    pub fn load(&self, plan: &RunPlan) -> Option<RunResult> {
        if self.fresh {
            return None;
        }
        self.read(&key(plan))
    }

    /// The result stored under `key`, whether or not this store is `fresh`.
    fn read(&self, key: &str) -> Option<RunResult> {
        let text = std::fs::read_to_string(self.path(key)).ok()?;
        let stored: Stored = serde_json::from_str(&text).ok()?;
        // The summary metrics are computed again from the stored series, so
        // that a store written before a statistic's definition changed (step 0
        // left out) reports what a new run would.
        (stored.key == key).then(|| stored.result.with_metrics_recomputed())
    }

    /// Saves a finished run's result under its key, atomically, and clears an earlier failure of it.
    pub(crate) fn save(&self, plan: &RunPlan, result: &RunResult) -> std::io::Result<PathBuf> {
        let key = key(plan);
        let stored = Stored { key: key.clone(), plan: serde_json::to_value(plan)?, result: result.clone() };
        let path = self.path(&key);
        write_atomic(&path, serde_json::to_string(&stored)?.as_bytes())?;
        // The run succeeded after all: an earlier attempt's failure no longer applies.
        let _ = std::fs::remove_file(self.failure_path(&key));
        Ok(path)
    }

    /// Records that a run failed (not diverged: a divergence is a result).
    pub(crate) fn save_failure(&self, plan: &RunPlan, error: &SimError) -> std::io::Result<PathBuf> {
        let key = key(plan);
        let failure = Failure { key: key.clone(), error: error.to_string(), step: error.step() };
        let path = self.failure_path(&key);
        write_atomic(&path, serde_json::to_string(&failure)?.as_bytes())?;
        Ok(path)
    }

    /// Where this run stands: done, failed (and why), or missing.
    pub fn status(&self, plan: &RunPlan) -> RunStatus {
        let key = key(plan);
        if self.read(&key).is_some() {
            return RunStatus::Done;
        }
        let failure = std::fs::read_to_string(self.failure_path(&key))
            .ok()
            .and_then(|text| serde_json::from_str::<Failure>(&text).ok())
            .filter(|f| f.key == key);
        match failure {
            Some(f) => RunStatus::Failed(f),
            None => RunStatus::Missing,
        }
    }
}
