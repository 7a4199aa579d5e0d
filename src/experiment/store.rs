//! The results store: each run's result in `OUT/SCENARIO/runs/KEY.json`,
//! keyed by a hash of the run's resolved plan and of the byz version, and
//! written atomically. A sweep killed half-way and started again finds the
//! finished runs here and runs only the rest.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::plan::RunPlan;
use crate::report::output::write_atomic;
use crate::sim::RunResult;

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
    pub fn new(out: &Path, scenario: &str, fresh: bool) -> Self {
        Store { dir: out.join(scenario).join("runs"), fresh }
    }

    fn path(&self, key: &str) -> PathBuf {
        self.dir.join(format!("{key}.json"))
    }

    /// The stored result of this plan, if a finished run left one.
    pub fn load(&self, plan: &RunPlan) -> Option<RunResult> {
        if self.fresh {
            return None;
        }
        let key = key(plan);
        let text = std::fs::read_to_string(self.path(&key)).ok()?;
        let stored: Stored = serde_json::from_str(&text).ok()?;
        (stored.key == key).then_some(stored.result)
    }

    pub fn save(&self, plan: &RunPlan, result: &RunResult) -> std::io::Result<PathBuf> {
        let key = key(plan);
        let stored = Stored { key: key.clone(), plan: serde_json::to_value(plan)?, result: result.clone() };
        let path = self.path(&key);
        write_atomic(&path, serde_json::to_string(&stored)?.as_bytes())?;
        Ok(path)
    }
}
