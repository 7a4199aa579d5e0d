//! The largest values the checker accepts for numbers that size a run's work
//! or memory. Each is far above what the papers use and far below what would
//! exhaust this kind of machine, so that a typo (`steps 99999999999`) is an
//! error at the place, not a run that never ends or a process killed for its
//! memory.

/// Training steps of one run: 001 trains 1,500 steps, 000 at most 10,000.
pub const MAX_STEPS: u64 = 10_000_000;

/// Honest or Byzantine workers: the papers use 12 + 5; every step holds one vector per worker.
pub const MAX_WORKERS: u64 = 100_000;

/// Dimensions of a mean-estimation task: each worker's vector is 4 bytes a dimension.
pub const MAX_DIM: u64 = 10_000_000;

/// Channels or outputs of one layer (`C(k)`, `L(k)`): the papers' widest layer has 128.
pub const MAX_LAYER_WIDTH: f64 = 65_536.0;

/// A whole-number argument of a component (`grid(points: …)`, `lookahead`, `iters`):
/// each counts work done within one step.
pub const MAX_INT_ARG: i64 = 1_000_000;

/// Sweep points of one scenario (before seeds): 001 Table 6 has 576.
pub const MAX_SWEEP_POINTS: usize = 100_000;

/// Links of one `extends` chain.
pub const MAX_EXTENDS: usize = 100;

/// Bytes of a file read by `use`.
pub const MAX_IMPORT_BYTES: u64 = 10 << 20;

/// `10000000` as `10,000,000`.
pub(crate) fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}
