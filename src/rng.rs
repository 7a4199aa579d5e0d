//! Random streams. Every random draw of a run comes from a stream derived
//! from (seed, purpose, a, b) — e.g. (seed, honest sample, worker, step) —
//! so any step can be replayed exactly, in any order and on any thread: the
//! omniscient adversary simulates the future with the very draws that will
//! happen, and results do not depend on the thread count.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// What a stream is used for; part of its derivation so streams never collide.
#[derive(Debug, Clone, Copy)]
#[repr(u64)]
pub enum Purpose {
    HonestSample = 1,
    Aggregation = 2,
    Attack = 3,
    /// The division of the data among workers.
    Split = 4,
    /// The model's initial parameters.
    Init = 5,
    /// Dropout masks.
    Dropout = 6,
    /// The server's own draws from its clean root data set (FLTrust).
    Root = 7,
    /// The Gaussian noise honest workers add to their gradients (`train.noise`).
    Noise = 8,
}

/// SplitMix64's finaliser: a bijective mix with good avalanche.
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The random stream of (seed, purpose, a, b): the same four numbers give the same draws on any thread, in any order.
pub fn stream(seed: u64, purpose: Purpose, a: u64, b: u64) -> ChaCha8Rng {
    let mut key = mix(seed ^ 0x9e37_79b9_7f4a_7c15);
    for part in [purpose as u64, a, b] {
        key = mix(key ^ part.wrapping_mul(0x9e37_79b9_7f4a_7c15));
    }
    ChaCha8Rng::seed_from_u64(key)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::Rng;

    #[test]
    fn streams_are_reproducible_and_distinct() {
        let draw = |s: &mut ChaCha8Rng| s.random::<u64>();
        let a = draw(&mut stream(1, Purpose::HonestSample, 2, 3));
        assert_eq!(a, draw(&mut stream(1, Purpose::HonestSample, 2, 3)));
        assert_ne!(a, draw(&mut stream(1, Purpose::HonestSample, 3, 2)));
        assert_ne!(a, draw(&mut stream(2, Purpose::HonestSample, 2, 3)));
        assert_ne!(a, draw(&mut stream(1, Purpose::Aggregation, 2, 3)));
    }
}
