//! `byz bench`: milliseconds per D-SGD step of each run of a scenario, and
//! the peak resident memory the process reached while running it.

use std::path::Path;
use std::process::ExitCode;
use std::sync::Mutex;
use std::time::Instant;

use super::load;
use crate::check::Need;
use crate::plan::RunPlan;
use crate::sim;

/// What `byz bench` times and how often.
pub struct Options<'a> {
    /// Only this scenario.
    pub only: Option<&'a str>,
    /// Steps timed per run.
    pub steps: usize,
    /// Times each run is timed, the runs taken in turn each round.
    pub rounds: usize,
    /// Scenarios A and B whose runs are paired (same rule, attack and seed)
    /// and whose step times are divided, round by round.
    pub ratio: Option<(&'a str, &'a str)>,
}

/// One run's step times: its median ms/step in each round, and the largest peak memory.
struct Timed {
    scenario: String,
    label: String,
    per_round: Vec<f64>,
    rate: Option<f64>,
    /// Each round's step time over the bound's (the same work at the matrix
    /// product's rate, measured right after the run), for large models.
    over_bound: Vec<f64>,
    /// The matrix product's rate in each of those rounds, GFLOP/s.
    bound_rate: Vec<f64>,
    peak: Option<u64>,
}

/// Times the runs of `file` (see `Options`). Rounds interleave the runs, so
/// that this machine's drift (±25 % within minutes, benches/README.md) falls
/// on all of them alike; a ratio is the median of each round's own ratio,
/// not a ratio of medians taken minutes apart.
pub fn bench(file: &Path, options: &Options) -> ExitCode {
    let plans = match load(file, Need::Run, Need::Run.memory(), super::Warn::Print) {
        Ok(p) => p,
        Err(code) => return code,
    };
    let names: Vec<&str> = options.ratio.map_or_else(|| options.only.into_iter().collect(), |(a, b)| vec![a, b]);
    for name in &names {
        if !plans.iter().any(|p| p.name == *name) {
            let known: Vec<&str> = plans.iter().map(|p| p.name.as_str()).collect();
            eprintln!("error: {file:?} has no scenario `{name}`");
            eprintln!("  help: its scenarios are {}", known.join(", "));
            return ExitCode::from(2);
        }
    }
    let mut runs: Vec<(&str, &RunPlan)> = plans
        .iter()
        .filter(|p| names.is_empty() || names.contains(&p.name.as_str()))
        .flat_map(|p| p.runs.iter().map(|r| (p.name.as_str(), r)))
        .collect();
    let pairs = match options.ratio {
        Some((a, b)) => match pair(&mut runs, a, b) {
            Ok(pairs) => pairs,
            Err(message) => {
                eprintln!("error: --ratio {a}/{b}: {message}");
                return ExitCode::from(2);
            }
        },
        None => vec![],
    };
    let mut timed: Vec<Timed> = runs
        .iter()
        .map(|(scenario, run)| Timed {
            scenario: scenario.to_string(),
            label: label(run),
            per_round: vec![],
            rate: None,
            over_bound: vec![],
            bound_rate: vec![],
            peak: None,
        })
        .collect();
    let rounds = options.rounds;
    for round in 1..=rounds {
        if rounds > 1 {
            eprintln!("round {round} of {rounds}");
        }
        for ((scenario, run), t) in runs.iter().zip(&mut timed) {
            let (median, peak) = match time_steps(run, options.steps) {
                Ok(Some(m)) => m,
                Ok(None) => {
                    eprintln!("error: {scenario} diverged before {} steps; nothing to time", WARM + 1);
                    return ExitCode::from(1);
                }
                Err(e) => {
                    eprintln!("error: {e}");
                    return ExitCode::from(1);
                }
            };
            t.per_round.push(median);
            // The first round's peak: mimalloc keeps what earlier runs freed
            // (`alloc`), so in later rounds every run would show the largest's.
            if round == 1 {
                t.peak = peak;
            }
            // The honest workers' forward and backward passes (benches/README.md
            // compares the figure with the matrix product's).
            if let crate::plan::TaskPlan::Classification { model, batch, .. } = &run.task {
                let flops = model.training_flops() as f64 * (batch * run.workers.honest) as f64;
                t.rate = Some(flops / (median_of(&t.per_round) * 1e6));
                if flops >= BOUND_FROM {
                    match matmul_rate() {
                        Ok(rate) => {
                            t.over_bound.push(median * 1e6 * rate / flops);
                            t.bound_rate.push(rate);
                        }
                        Err(e) => eprintln!("warning: the matrix product's rate could not be measured: {e}"),
                    }
                }
            }
        }
    }
    for t in &timed {
        let rate = t.rate.map_or(String::new(), |r| format!("  {r:.1} GFLOP/s"));
        let bound = if t.over_bound.is_empty() {
            String::new()
        } else {
            format!("  {:.2}× the bound ({:.0} GFLOP/s)", median_of(&t.over_bound), median_of(&t.bound_rate))
        };
        let memory = t.peak.map_or(String::new(), |b| format!("  peak {} MiB", b >> 20));
        println!(
            "{}  {}  {:.3} ms/step{rate}{bound}{memory}{}",
            t.scenario,
            t.label,
            median_of(&t.per_round),
            each_round(&t.per_round)
        );
    }
    for (top, bottom) in pairs {
        let (top, bottom) = (&timed[top], &timed[bottom]);
        let each: Vec<f64> = top.per_round.iter().zip(&bottom.per_round).map(|(x, y)| x / y).collect();
        println!(
            "{} / {}  {}  ratio {:.2}{}",
            top.scenario,
            bottom.scenario,
            top.label,
            median_of(&each),
            each_round(&each)
        );
    }
    ExitCode::SUCCESS
}

/// Steps of at least this many operations (a CNN's, not logistic
/// regression's) are compared with the machine's matrix product.
const BOUND_FROM: f64 = 1e9;

/// The compute bound as benches/README.md defines it, measured now, so that
/// the machine's drift falls on the step and the bound alike: candle's
/// product of two 1,024 × 1,024 `f32` matrices (the gemm crate's kernels on
/// every thread, as `cargo bench --bench task -- matmul_1024`), in FLOP per
/// nanosecond (GFLOP/s); the median of 5 after one untimed.
fn matmul_rate() -> candle_core::Result<f64> {
    use candle_core::{Device, Tensor};
    const N: usize = 1024;
    let m = Tensor::from_vec((0..N * N).map(|i| ((i * 7919) % 1000) as f32 * 1e-3).collect(), (N, N), &Device::Cpu)?;
    m.matmul(&m)?;
    let mut times = vec![];
    for _ in 0..5 {
        let start = Instant::now();
        m.matmul(&m)?;
        times.push(start.elapsed().as_secs_f64());
    }
    Ok(2.0 * (N * N * N) as f64 / (median_of(&times) * 1e9))
}

/// A run as `byz bench` names it, and pairs it: its rule, attack and seed.
fn label(run: &RunPlan) -> String {
    format!("[{}, {}]  seed {}", run.aggregate, run.attack, run.seed)
}

/// Pairs each run of scenario `a` with the run of `b` of the same rule,
/// attack and seed, keeps only the runs that pair (in `runs`, B's then A's),
/// and returns the pairs as indices into them. An error where a scenario has
/// two runs of the same rule, attack and seed (it sweeps something else: the
/// ratio would be ambiguous) or where no run pairs.
fn pair<'a>(runs: &mut Vec<(&'a str, &'a RunPlan)>, a: &str, b: &str) -> Result<Vec<(usize, usize)>, String> {
    for name in [a, b] {
        let labels: Vec<String> = runs.iter().filter(|(s, _)| *s == name).map(|(_, r)| label(r)).collect();
        if let Some(twice) = labels.iter().find(|l| labels.iter().filter(|m| m == l).count() > 1) {
            return Err(format!(
                "`{name}` has several runs {twice} (it sweeps more than the rule and the attack); \
                 help: compare scenarios whose runs differ only in rule, attack and seed"
            ));
        }
    }
    let (tops, bottoms): (Vec<_>, Vec<_>) = runs.iter().copied().partition(|(s, _)| *s == a);
    let mut kept = vec![];
    let mut bottom_kept = vec![];
    for top in &tops {
        match bottoms.iter().find(|(_, r)| label(r) == label(top.1)) {
            Some(bottom) => {
                kept.push(*top);
                bottom_kept.push(*bottom);
            }
            None => eprintln!("note: {a}  {} has no run of `{b}` to pair with: not timed", label(top.1)),
        }
    }
    if kept.is_empty() {
        return Err(format!("no run of `{a}` has the rule, attack and seed of a run of `{b}`"));
    }
    // B's runs first: B is usually the smaller (`logreg_120/logreg_15`), and
    // mimalloc keeps what a run freed (`alloc`), so a smaller run timed after
    // a larger one would report the larger one's peak memory.
    let n = kept.len();
    bottom_kept.extend(kept);
    *runs = bottom_kept;
    Ok((0..n).map(|i| (n + i, i)).collect())
}

/// Untimed steps before the timed ones: they take memory from the system and fill caches.
const WARM: usize = 3;

/// Milliseconds per step of `run`: the median time between consecutive
/// steps of a run of `WARM + steps` steps, leaving out the WARM steps and
/// the setup before the first step (data loading, the split). A median,
/// because this machine's speed wanders and a step's time has outliers.
/// Also the peak resident memory the process reached. `None` if the run
/// diverged before a step could be timed.
fn time_steps(
    run: &crate::plan::RunPlan,
    steps: usize,
) -> Result<Option<(f64, Option<u64>)>, crate::dynamics::SimError> {
    let mut r = run.clone();
    r.train.steps = WARM + steps.max(1);
    r.report = Default::default();
    peak::reset();
    let ends = Mutex::new(Vec::with_capacity(r.train.steps));
    let record = || ends.lock().map(|mut e| e.push(Instant::now())).unwrap_or(());
    // On a pool thread, as `byz run` runs: the step's parallel loops
    // then start without a hand-over from outside the pool.
    rayon::scope(|_| sim::run_observed(&r, &record))?;
    let ends = ends.into_inner().unwrap_or_default();
    let times: Vec<f64> = ends.windows(2).skip(WARM - 1).map(|w| (w[1] - w[0]).as_secs_f64() * 1000.0).collect();
    Ok((!times.is_empty()).then(|| (median_of(&times), peak::resident())))
}

/// The middle value (the upper one of an even count); NaN for none.
fn median_of(values: &[f64]) -> f64 {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(f64::NAN)
}

/// Each round's value, when there are several.
fn each_round(values: &[f64]) -> String {
    if values.len() < 2 {
        return String::new();
    }
    let each: Vec<String> = values.iter().map(|v| format!("{v:.2}")).collect();
    format!("  (median of {} rounds: {})", values.len(), each.join(" "))
}

/// The process's peak resident memory, from Linux's `/proc` (elsewhere: none).
mod peak {
    /// Starts a new peak from the memory resident now (Linux ≥ 4.0: writing 5
    /// to `clear_refs` resets `VmHWM`), so that each run's peak is its own and
    /// not an earlier, larger run's. The data sets a process has loaded stay
    /// resident and count in every later peak.
    pub(crate) fn reset() {
        // Best effort: without it the peak is the process's so far.
        let _ = std::fs::write("/proc/self/clear_refs", "5");
    }

    /// The peak resident set size in bytes since the last `reset`.
    pub fn resident() -> Option<u64> {
        let status = std::fs::read_to_string("/proc/self/status").ok()?;
        let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
        let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
        Some(kib * 1024)
    }
}
