//! Whether a scenario's runs fit in memory: a run that cannot fit is refused
//! at check time, with its estimate (`plan::memory`), rather than killed by
//! the kernel half-way through a sweep.

use crate::diagnostic::{Code, Diag, SourceFile};
use crate::plan::memory::{self, Estimate};
use crate::plan::{ScenarioPlan, label_text};
use crate::syntax::ast::{DeclKind, File, Item};

/// How much memory a process of runs may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Memory {
    /// This machine's memory (or the container's limit, if lower): for running here.
    Machine,
    /// What the user gave (`--mem 16G`), for instance a cluster task's share.
    Limit(u64),
    /// No check: the runs may be meant for another machine.
    Unchecked,
}

impl Memory {
    /// The budget in bytes and how to name it, if there is one.
    fn budget(self) -> Option<(u64, String)> {
        match self {
            Memory::Machine => machine().map(|b| (b, format!("this machine has {}", memory::bytes_text(b)))),
            Memory::Limit(b) => Some((b, format!("`--mem` gives {}", memory::bytes_text(b)))),
            Memory::Unchecked => None,
        }
    }
}

/// The memory of this machine, or of the container's cgroup when it is lower
/// (Linux; `None` elsewhere, and then nothing is refused).
pub(crate) fn machine() -> Option<u64> {
    let total = std::fs::read_to_string("/proc/meminfo").ok().and_then(|t| {
        let line = t.lines().find(|l| l.starts_with("MemTotal:"))?;
        line.split_whitespace().nth(1)?.parse::<u64>().ok().map(|kb| kb * 1024)
    })?;
    let cgroup = std::fs::read_to_string("/sys/fs/cgroup/memory.max").ok().and_then(|t| t.trim().parse::<u64>().ok());
    Some(cgroup.map_or(total, |c| c.min(total)))
}

/// An error at the scenario's name for each scenario whose largest run,
/// alone, does not fit in `limit`.
pub fn check(src: &SourceFile, file: &File, plans: &[ScenarioPlan], limit: Memory, errors: &mut Vec<Diag>) {
    let Some((budget, named)) = limit.budget() else { return };
    for plan in plans {
        let Some((run, need)) = plan
            .runs
            .iter()
            .map(|r| (r, crate::registry::memory_estimate(r)))
            .max_by_key(|(_, e): &(_, Estimate)| e.with_runs(1))
        else {
            continue;
        };
        if need.with_runs(1) <= budget {
            continue;
        }
        let Some(decl) = file.items.iter().find_map(|i| match i {
            Item::Decl(d) if d.kind == DeclKind::Scenario && d.name.name == plan.name => Some(d),
            _ => None,
        }) else {
            continue;
        };
        let data =
            if need.data > 0 { format!(" and {} of data", memory::bytes_text(need.data)) } else { String::new() };
        errors.push(
            Diag::new(
                Code::Memory,
                src,
                decl.name.span,
                format!("a run of `{}` needs about {}{data}; {named}", plan.name, memory::bytes_text(need.per_run)),
            )
            .label(format!(
                "the largest run: [{}], d = {}, n = {}",
                label_text(&run.label, &run.attack.to_string()),
                thousands(run.task.dim()),
                thousands(run.workers.n())
            ))
            .help(
                "fewer workers or a smaller model or dimension; or run it where there is more memory \
                 (`--mem SIZE` says how much a run may use, e.g. a cluster task's `byz slurm --mem 64G`)",
            ),
        );
    }
}

fn thousands(n: usize) -> String {
    super::limits::thousands(n as u64)
}
