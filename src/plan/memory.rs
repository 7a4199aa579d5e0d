//! How much memory a run needs, estimated from its plan before it starts, so
//! that `byz check` can refuse a run that cannot fit rather than see it killed
//! half-way (the kernel's OOM killer leaves no result and no error).
//!
//! The estimate counts what grows with the setting: vectors of d numbers
//! (f32) per worker and per copy the server's pipeline and the attack make,
//! a classifier's activations per worker computing at once, and the data set
//! (loaded once per process and shared by its runs). It is meant as an upper
//! bound of the peak resident memory within a factor of two; the constants
//! were measured on the tasks `byz bench` runs (see `tests/memory.rs`).

use super::{RunPlan, TaskPlan};

/// What the runs of one process need: the largest run's own memory, and the
/// data sets they share.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Estimate {
    /// One run's own memory, in bytes.
    pub per_run: u64,
    /// The data set, in bytes (loaded once, shared by every run of the process).
    pub data: u64,
}

impl Estimate {
    /// What `concurrent` runs at once need, with their shared data.
    pub fn with_runs(self, concurrent: u64) -> u64 {
        self.per_run.saturating_mul(concurrent).saturating_add(self.data).saturating_add(BASELINE)
    }
}

/// The process itself: code, thread stacks, allocator slack.
const BASELINE: u64 = 64 << 20;
const F32: u64 = 4;

/// Vectors of d numbers an attack keeps beyond the Byzantine vectors, which
/// its registry entry declares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttackMemory {
    Nothing,
    /// It runs the pipeline on candidate vectors (JUMP, STAB, optimal ALIE
    /// and IPM): a copy of all n, and the pipeline's own.
    Pipeline,
    /// The lookahead planner: each beam's model and honest momenta.
    Beams,
}

/// The estimate for one run; `memory` tells what an attack (by name) keeps.
pub fn estimate(run: &RunPlan, memory: impl Fn(&str) -> AttackMemory) -> Estimate {
    let d = run.task.dim() as u64;
    let (h, f) = (run.workers.honest as u64, run.workers.byzantine as u64);
    let n = h + f;
    // Honest gradients and momenta, Byzantine vectors, a copy of all n per
    // pre-aggregator and one for the rule (the coordinate-wise rules sort a
    // transposed copy), the model, its update and the honest mean.
    let mut vectors = 2 * h + f + n * (run.aggregate.pre.len() as u64 + 1) + 4;
    vectors +=
        run.attack.phases.iter().map(|p| attack_vectors(&p.attack, memory(&p.attack.name), h, n)).max().unwrap_or(0);
    // Half again for what the kernels allocate on the way (measured: 1.13×
    // the vectors alone for mean estimation with d = 2,000,000).
    let mut per_run = vectors.saturating_mul(d).saturating_mul(F32) / 2 * 3;
    // Pairwise distances (Krum, NNM, MDA): n² f64.
    per_run = per_run.saturating_add(n * n * 8);
    let mut data = 0;
    if let TaskPlan::Classification { data: kind, model, batch, .. } = &run.task {
        // Each worker's forward and backward pass keeps every layer's output,
        // its gradient and the convolutions' unfolded patches (counted as 6
        // copies of the outputs: the MNIST CNN measured about 5); workers
        // compute in parallel, at most one per core.
        let activations: u64 = model.shapes().iter().map(|s| s.size() as u64).sum();
        let at_once = h.min(std::thread::available_parallelism().map_or(1, |p| p.get() as u64));
        per_run = per_run.saturating_add(at_once * (*batch as u64) * activations * F32 * 6);
        let (train, test) = kind.full_size();
        data = (train + test) as u64 * model.input.iter().product::<usize>() as u64 * F32;
    }
    Estimate { per_run, data }
}

/// Vectors of d numbers an attack keeps beyond the Byzantine vectors.
fn attack_vectors(attack: &super::ComponentPlan, memory: AttackMemory, h: u64, n: u64) -> u64 {
    let int = |name: &str| match attack.args.get(name) {
        Some(super::ArgValue::Int(k)) => (*k).max(0) as u64,
        _ => 0,
    };
    match memory {
        AttackMemory::Nothing => 0,
        AttackMemory::Pipeline => 2 * n,
        AttackMemory::Beams => int("beams").max(1).saturating_mul(h + 2).saturating_add(2 * n),
    }
}

/// `37.2 GiB`, `512 MiB`.
pub fn bytes_text(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut x = bytes as f64;
    let mut unit = 0;
    while x >= 1024.0 && unit + 1 < UNITS.len() {
        x /= 1024.0;
        unit += 1;
    }
    if unit == 0 { format!("{bytes} B") } else { format!("{x:.1} {}", UNITS[unit]) }
}

/// `16G`, `512M`, `24GiB`, `2T`, `1000000` (bytes): a size as Slurm's `--mem`
/// and people write it; a bare number is megabytes, as in Slurm.
pub(crate) fn parse_size(text: &str) -> Option<u64> {
    let t = text.trim();
    let split = t.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let x: f64 = number.parse().ok()?;
    let scale: u64 = match unit.trim().to_ascii_lowercase().trim_end_matches("ib").trim_end_matches('b') {
        "" | "m" => 1 << 20,
        "k" => 1 << 10,
        "g" => 1 << 30,
        "t" => 1 << 40,
        _ => return None,
    };
    let bytes = x * scale as f64;
    (bytes.is_finite() && bytes >= 1.0 && bytes < u64::MAX as f64).then_some(bytes as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_as_slurm_writes_them() {
        assert_eq!(parse_size("16G"), Some(16 << 30));
        assert_eq!(parse_size("512M"), Some(512 << 20));
        assert_eq!(parse_size("24GiB"), Some(24 << 30));
        assert_eq!(parse_size("1.5g"), Some(3 << 29));
        assert_eq!(parse_size("100"), Some(100 << 20));
        assert_eq!(parse_size("2T"), Some(2 << 40));
        for bad in ["", "G", "-1G", "12Q", "0"] {
            assert_eq!(parse_size(bad), None, "{bad}");
        }
        assert_eq!(bytes_text(3 << 29), "1.5 GiB");
        assert_eq!(bytes_text(100), "100 B");
    }
}
