//! When to try again. Attempt n waits a random delay between the server's `retry` (the floor)
//! and min(cap, retry x 2^n); a connection that stayed up long enough resets the count. The
//! current time and the random source are passed in, so tests are exact and nothing here sleeps.

use std::time::{Duration, Instant};

/// The spec leaves the default reconnection time to the client; 3 s is what browsers use.
pub const DEFAULT_RETRY: Duration = Duration::from_secs(3);
pub const DEFAULT_CAP: Duration = Duration::from_secs(5 * 60);
/// A connection that lived this long was a success: the next failure starts over at the floor.
pub const STABLE_AFTER: Duration = Duration::from_secs(30);

#[derive(Debug, Clone)]
pub struct Backoff {
    retry: Duration,
    cap: Duration,
    failures: u32,
    connected_at: Option<Instant>,
}

impl Default for Backoff {
    fn default() -> Self {
        Self::new(DEFAULT_RETRY, DEFAULT_CAP)
    }
}

impl Backoff {
    pub fn new(retry: Duration, cap: Duration) -> Self {
        Self { retry, cap: cap.max(retry), failures: 0, connected_at: None }
    }

    /// The server's `retry:` field. A server sending `retry: 0` would otherwise make a client
    /// reconnect in a tight loop, so the floor never goes below 100 ms.
    pub fn set_retry(&mut self, retry: Duration) {
        self.retry = retry.max(Duration::from_millis(100));
        self.cap = self.cap.max(self.retry);
    }

    pub fn retry(&self) -> Duration {
        self.retry
    }

    pub fn failures(&self) -> u32 {
        self.failures
    }

    /// A connection was established (status and content type accepted).
    pub fn connected(&mut self, now: Instant) {
        self.connected_at = Some(now);
    }

    /// The attempt failed or the connection ended at `now`: how long to wait before the next.
    /// `unit` is a uniform random number in [0, 1).
    pub fn next_delay(&mut self, now: Instant, unit: f64) -> Duration {
        if let Some(since) = self.connected_at.take()
            && now.saturating_duration_since(since) >= STABLE_AFTER
        {
            self.failures = 0;
        }
        let ceiling = self.ceiling(self.failures);
        self.failures = self.failures.saturating_add(1);
        let span = ceiling.saturating_sub(self.retry);
        self.retry + span.mul_f64(unit.clamp(0.0, 1.0))
    }

    /// The largest delay attempt `n` can wait: min(cap, retry x 2^n).
    pub fn ceiling(&self, n: u32) -> Duration {
        let factor = 1u32.checked_shl(n.min(31)).unwrap_or(u32::MAX);
        self.retry.saturating_mul(factor).min(self.cap)
    }

    /// The longest wait the policy allows, for errors that should not be hammered (404, 410).
    pub fn cap(&self) -> Duration {
        self.cap
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: Duration = Duration::from_secs(1);

    #[test]
    fn delays_stay_between_the_floor_and_a_doubling_ceiling() {
        let t0 = Instant::now();
        let mut backoff = Backoff::new(3 * S, 60 * S);
        // unit 0 gives the floor, unit ~1 the ceiling for that attempt.
        assert_eq!(backoff.clone().next_delay(t0, 0.0), 3 * S);
        let ceilings: Vec<Duration> = (0..7).map(|_| backoff.next_delay(t0, 1.0)).collect();
        assert_eq!(ceilings, [3 * S, 6 * S, 12 * S, 24 * S, 48 * S, 60 * S, 60 * S]);
    }

    #[test]
    fn a_stable_connection_resets_the_count_and_a_short_one_does_not() {
        let t0 = Instant::now();
        let mut backoff = Backoff::new(3 * S, 300 * S);
        for _ in 0..4 {
            backoff.next_delay(t0, 1.0);
        }
        backoff.connected(t0);
        assert_eq!(backoff.next_delay(t0 + 29 * S, 1.0), 48 * S, "29 s is not stable yet");
        backoff.connected(t0 + 100 * S);
        assert_eq!(backoff.next_delay(t0 + 130 * S, 1.0), 3 * S, "30 s connected resets");
    }

    #[test]
    fn retry_zero_cannot_make_a_tight_loop() {
        let mut backoff = Backoff::default();
        backoff.set_retry(Duration::ZERO);
        assert_eq!(backoff.next_delay(Instant::now(), 0.0), Duration::from_millis(100));
    }

    #[test]
    fn huge_attempt_counts_saturate_at_the_cap() {
        let backoff = Backoff::new(3 * S, 300 * S);
        assert_eq!(backoff.ceiling(1_000), 300 * S);
    }
}
