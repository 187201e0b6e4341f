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
    /// A huge value (`retry: 9223372036854775807`) is held to the cap, so every wait stays
    /// within [floor, cap] and no arithmetic on it can overflow.
    pub fn set_retry(&mut self, retry: Duration) {
        self.retry = retry.max(Duration::from_millis(100)).min(self.cap);
    }

    /// The wait after an attempt the server answered with `Retry-After: asked` (429, 503).
    /// The server is honoured up to `max`, never below the floor; any value is safe here.
    pub fn after_server_asked(&self, asked: Duration, max: Duration) -> Duration {
        asked.min(max).max(self.retry)
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
    fn hostile_retry_values_never_panic_and_stay_within_floor_and_cap() {
        let t0 = Instant::now();
        for retry_ms in [0, 1, 3_600_001, i64::MAX as u64, u64::MAX] {
            for asked in [0, 5, 3_601, u64::MAX] {
                let mut backoff = Backoff::new(DEFAULT_RETRY, DEFAULT_CAP);
                backoff.set_retry(Duration::from_millis(retry_ms));
                let floor = backoff.retry();
                assert!(floor <= DEFAULT_CAP, "retry {retry_ms} ms");
                for n in 0..40 {
                    let delay = backoff.next_delay(t0 + n * S, 1.0);
                    assert!(delay >= floor && delay <= DEFAULT_CAP, "{delay:?}");
                }
                // The crash this guards against: Retry-After under a floor above the maximum.
                let wait = backoff.after_server_asked(Duration::from_secs(asked), 3_600 * S);
                assert!(wait >= floor && wait <= 3_600 * S, "{wait:?}");
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn any_retry_and_retry_after_give_a_wait_within_floor_and_cap(
            retry_ms in proptest::prelude::any::<u64>(),
            asked_s in proptest::prelude::any::<u64>(),
            cap_s in 1u64..100_000,
            unit in proptest::prelude::any::<f64>(),
            attempts in 0u32..80,
        ) {
            let cap = Duration::from_secs(cap_s);
            let mut backoff = Backoff::new(DEFAULT_RETRY, cap);
            backoff.set_retry(Duration::from_millis(retry_ms));
            let cap = backoff.cap();
            let t0 = Instant::now();
            for _ in 0..attempts {
                let delay = backoff.next_delay(t0, if unit.is_finite() { unit } else { 0.5 });
                proptest::prop_assert!(delay >= backoff.retry() && delay <= cap);
            }
            let wait = backoff.after_server_asked(Duration::from_secs(asked_s), 3_600 * S);
            proptest::prop_assert!(wait >= backoff.retry());
            proptest::prop_assert!(wait <= (3_600 * S).max(backoff.retry()));
        }
    }

    #[test]
    fn huge_attempt_counts_saturate_at_the_cap() {
        let backoff = Backoff::new(3 * S, 300 * S);
        assert_eq!(backoff.ceiling(1_000), 300 * S);
    }
}
