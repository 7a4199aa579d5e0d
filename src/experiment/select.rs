//! Which runs of a file one process runs: all of them, a shard (`--shard K/N`:
//! the runs whose plan index is ≡ K mod N), or runs named by their store keys
//! (`--runs KEY,...`, as a Slurm array task gets its chunk). Plan indices count
//! every run of the file, scenario after scenario in file order and each
//! scenario's runs in plan order, so `byz plan` and every shard agree on them
//! whichever scenarios a command selects.

use std::str::FromStr;

use super::store::key;
use crate::plan::{RunPlan, ScenarioPlan};

/// `K/N`: the K-th of N shards (0 ≤ K < N).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    pub k: usize,
    pub n: usize,
}

impl FromStr for Shard {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let usage = "write K/N with 0 ≤ K < N, e.g. `--shard 0/4` for the first of four shards";
        let (k, n) = s.split_once('/').ok_or_else(|| format!("`{s}` is not a shard: {usage}"))?;
        let (Ok(k), Ok(n)) = (k.trim().parse::<usize>(), n.trim().parse::<usize>()) else {
            return Err(format!("`{s}` is not a shard: {usage}"));
        };
        if n == 0 || k >= n {
            return Err(format!("shard {k}/{n} does not exist: {usage}"));
        }
        Ok(Shard { k, n })
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.k, self.n)
    }
}

/// The runs one process takes.
#[derive(Debug, Clone, Default)]
pub enum Selection {
    #[default]
    All,
    Shard(Shard),
    /// Store keys, as `byz plan` and `byz status` print them.
    Keys(Vec<String>),
}

impl Selection {
    /// Whether the process runs only part of the file: then it stores results
    /// and leaves tables and plots to `byz collect`.
    pub(crate) fn is_partial(&self) -> bool {
        !matches!(self, Selection::All)
    }

    fn takes(&self, index: usize, run: &RunPlan) -> bool {
        match self {
            Selection::All => true,
            Selection::Shard(s) => index % s.n == s.k,
            Selection::Keys(keys) => keys.contains(&key(run)),
        }
    }
}

/// One run of a file with its plan index.
pub struct Indexed<'a> {
    pub index: usize,
    pub scenario: &'a ScenarioPlan,
    pub run: &'a RunPlan,
}

/// Every run of `plans` with its plan index, in plan order.
pub fn indexed(plans: &[ScenarioPlan]) -> Vec<Indexed<'_>> {
    plans
        .iter()
        .flat_map(|s| s.runs.iter().map(move |r| (s, r)))
        .enumerate()
        .map(|(index, (scenario, run))| Indexed { index, scenario, run })
        .collect()
}

/// The runs of scenario `scenario` (by name) that `selection` takes.
pub fn selected<'a>(plans: &'a [ScenarioPlan], scenario: &str, selection: &Selection) -> Vec<&'a RunPlan> {
    indexed(plans)
        .into_iter()
        .filter(|i| i.scenario.name == scenario && selection.takes(i.index, i.run))
        .map(|i| i.run)
        .collect()
}

/// The keys of `selection` that name no run of `plans` (a file changed since
/// the keys were taken).
pub(crate) fn unknown_keys<'a>(plans: &[ScenarioPlan], selection: &'a Selection) -> Vec<&'a str> {
    let Selection::Keys(keys) = selection else { return vec![] };
    let known: std::collections::HashSet<String> = plans.iter().flat_map(|s| &s.runs).map(key).collect();
    keys.iter().filter(|k| !known.contains(*k)).map(String::as_str).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_parse_and_refuse_what_does_not_exist() {
        assert_eq!("1/4".parse::<Shard>(), Ok(Shard { k: 1, n: 4 }));
        for bad in ["3/2", "x", "2/2", "0/0", "1", "-1/3", "1/x"] {
            assert!(bad.parse::<Shard>().is_err(), "{bad}");
        }
    }
}
