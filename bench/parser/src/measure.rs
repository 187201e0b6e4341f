//! Timing for the benchmarks: the best of a few runs.

use std::time::{Duration, Instant};

pub const ROUNDS: usize = 5;

pub struct Measure {
    pub events: usize,
    pub best: Duration,
}

/// The fastest of `ROUNDS` runs, and how many events a run counted.
pub fn best_of(mut run: impl FnMut() -> usize) -> Measure {
    let mut best = Duration::MAX;
    let mut events = 0;
    for _ in 0..ROUNDS {
        let start = Instant::now();
        events = run();
        best = best.min(start.elapsed());
    }
    Measure { events, best }
}
