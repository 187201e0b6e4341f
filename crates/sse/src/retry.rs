//! When to try again. A connection that made progress (delivered an event, or stayed up
//! [`STABLE_AFTER`]) is followed by the server's `retry` with a little jitter: a proxy that cuts
//! idle connections, or a server that restarts, must not leave a feed minutes behind. Only
//! attempts that delivered nothing count as failures: failure n (from 1) waits a random delay
//! between half and all of min(cap, max(retry, 1 s) x 2^n), so no server can make Herald
//! hammer it, whatever its `retry:` and `Retry-After` say. The current time and the random source
//! are passed in, so tests are exact and nothing here sleeps.

use std::time::{Duration, Instant};

use crate::connect::{ConnectError, Next};

/// The spec leaves the default reconnection time to the client; 3 s is what browsers use.
pub const DEFAULT_RETRY: Duration = Duration::from_secs(3);
pub const DEFAULT_CAP: Duration = Duration::from_secs(5 * 60);
/// A connection that lived this long was a success: the next failure starts over at the floor.
pub const STABLE_AFTER: Duration = Duration::from_secs(30);
/// The least wait between attempts once they fail repeatedly, whatever the server asks.
pub const REPEATED_FAILURE_FLOOR: Duration = Duration::from_secs(1);

/// Retry-After is honoured, but a server asking for a day is not taken at its word.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(3600);

/// What to do after a failed attempt (see [`Backoff::after_failure`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterFailure {
    /// Try again after this long.
    Wait(Duration),
    /// The server said stop (204): not again.
    Stop,
    /// The credentials were refused (401, 403): not again until they change.
    StopUntilCredentialsChange,
    /// The request itself is wrong (a bad URL or header): retrying cannot help.
    StopInvalid,
}

#[derive(Debug, Clone)]
pub struct Backoff {
    retry: Duration,
    cap: Duration,
    failures: u32,
    connected_at: Option<Instant>,
    progressed: bool,
    /// The connection delivered some event, if none new (a repeat, a heartbeat).
    delivered: bool,
    /// Connections in a row that brought nothing new.
    stale: u32,
}

impl Default for Backoff {
    fn default() -> Self {
        Self::new(DEFAULT_RETRY, DEFAULT_CAP)
    }
}

impl Backoff {
    pub fn new(retry: Duration, cap: Duration) -> Self {
        Self {
            retry,
            cap: cap.max(retry),
            failures: 0,
            connected_at: None,
            progressed: false,
            delivered: false,
            stale: 0,
        }
    }

    /// The server's `retry:` field. A server sending `retry: 0` would otherwise make a client
    /// reconnect in a tight loop, so the floor never goes below 100 ms.
    /// A huge value (`retry: 9223372036854775807`) is held to the cap, so every wait stays
    /// within [floor, cap] and no arithmetic on it can overflow.
    pub fn set_retry(&mut self, retry: Duration) {
        self.retry = retry.max(Duration::from_millis(100)).min(self.cap);
    }

    /// What follows an attempt that failed with `error` at `now`: the one decision the engine
    /// and `herald tail` share. `unit` is a uniform random number in [0, 1).
    pub fn after_failure(&mut self, error: &ConnectError, now: Instant, unit: f64) -> AfterFailure {
        match error.next() {
            Next::Retry => {
                let delay = self.next_delay(now, unit);
                AfterFailure::Wait(
                    error.retry_after().map_or(delay, |asked| {
                        Self::after_server_asked(delay, asked, MAX_RETRY_AFTER)
                    }),
                )
            }
            Next::RetryAtCap => {
                // Counted as a failure like any other, but the wait is the longest there is.
                self.next_delay(now, unit);
                AfterFailure::Wait(self.cap)
            }
            Next::Stop => AfterFailure::Stop,
            Next::StopUntilCredentialsChange => AfterFailure::StopUntilCredentialsChange,
            Next::StopInvalid => AfterFailure::StopInvalid,
        }
    }

    /// The wait after an attempt the server answered with `Retry-After: asked` (429, 503), where
    /// `delay` is what [`Backoff::next_delay`] gave for it. The server is honoured up to `max`,
    /// but never below the backoff, so `Retry-After: 0` cannot make a storm; any value is safe.
    fn after_server_asked(delay: Duration, asked: Duration, max: Duration) -> Duration {
        asked.min(max).max(delay)
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
        self.progressed = false;
        self.delivered = false;
    }

    /// The connection delivered an event; `new`: one the client had not seen (not a repeat of
    /// the event it resumed after, not a heartbeat). A new event is progress, whatever ends the
    /// connection.
    pub fn event(&mut self, new: bool) {
        self.delivered = true;
        self.progressed |= new;
    }

    /// The attempt failed or the connection ended at `now`: how long to wait before the next.
    /// `unit` is a uniform random number in [0, 1).
    ///
    /// Only new events are progress. A connection that brought nothing but repeats or
    /// heartbeats is forgiven once (a replaying server among good connections); a second in a
    /// row counts as a failure, so a server that only ever replays or pings cannot keep a
    /// client reconnecting ten times a second.
    pub fn next_delay(&mut self, now: Instant, unit: f64) -> Duration {
        if self.connected_at.is_some() {
            if self.progressed {
                self.stale = 0;
            } else {
                self.progressed = self.delivered && self.stale == 0;
                self.stale = self.stale.saturating_add(1);
            }
        }
        let stable = self
            .connected_at
            .take()
            .is_some_and(|since| now.saturating_duration_since(since) >= STABLE_AFTER);
        if std::mem::take(&mut self.progressed) || stable {
            self.failures = 0;
        }
        let n = self.failures;
        self.failures = self.failures.saturating_add(1);
        let floor = self.floor(n);
        floor + self.ceiling(n).saturating_sub(floor).mul_f64(unit.clamp(0.0, 1.0))
    }

    /// The least delay before attempt `n` (0 right after progress, or at the start): the
    /// server's retry, then half the ceiling, so that the waits of a failing feed really grow
    /// (a random pick from the full range would often stay near the floor).
    pub fn floor(&self, n: u32) -> Duration {
        if n == 0 { self.retry } else { self.base().max(self.ceiling(n) / 2) }
    }

    /// The largest delay attempt `n` can wait: the server's retry and a quarter of it as jitter
    /// for n = 0, then min(cap, max(retry, 1 s) x 2^n).
    pub fn ceiling(&self, n: u32) -> Duration {
        if n == 0 {
            return self.retry.saturating_add(self.retry / 4).min(self.cap);
        }
        let factor = 1u32.checked_shl(n.min(31)).unwrap_or(u32::MAX);
        self.base().saturating_mul(factor).min(self.cap)
    }

    /// What repeated failures double from.
    fn base(&self) -> Duration {
        self.retry.max(REPEATED_FAILURE_FLOOR).min(self.cap)
    }

    /// The longest wait the policy allows, for errors that should not be hammered (404, 410).
    pub fn cap(&self) -> Duration {
        self.cap
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(status: u16, retry_after: Option<Duration>) -> ConnectError {
        ConnectError::Status {
            status,
            status_text: String::new(),
            excerpt: String::new(),
            retry_after,
        }
    }

    #[test]
    fn after_a_failure_each_kind_of_error_has_one_answer() {
        let t0 = Instant::now();
        let fresh = || Backoff::new(3 * S, 300 * S);
        // 503 with Retry-After: honoured above the backoff, held to an hour.
        let day = Some(86_400 * S);
        assert_eq!(
            fresh().after_failure(&status(503, day), t0, 0.0),
            AfterFailure::Wait(3_600 * S)
        );
        let asked = Some(42 * S);
        assert_eq!(fresh().after_failure(&status(429, asked), t0, 0.0), AfterFailure::Wait(42 * S));
        // Below the backoff it is not taken: Retry-After: 0 cannot make a storm.
        let zero = Some(Duration::ZERO);
        assert_eq!(fresh().after_failure(&status(503, zero), t0, 0.0), AfterFailure::Wait(3 * S));
        // 404 waits the longest delay, and counts as a failure.
        let mut backoff = fresh();
        assert_eq!(backoff.after_failure(&status(404, None), t0, 0.0), AfterFailure::Wait(300 * S));
        assert_eq!(backoff.failures(), 1);
        let stops = [
            (status(401, None), AfterFailure::StopUntilCredentialsChange),
            (status(403, None), AfterFailure::StopUntilCredentialsChange),
            (ConnectError::Stop, AfterFailure::Stop),
        ];
        for (error, after) in stops {
            assert_eq!(fresh().after_failure(&error, t0, 0.5), after, "{error}");
        }
    }

    const S: Duration = Duration::from_secs(1);
    const MS: Duration = Duration::from_millis(1);

    #[test]
    fn failures_wait_between_the_floor_and_a_doubling_ceiling() {
        let t0 = Instant::now();
        let mut backoff = Backoff::new(3 * S, 60 * S);
        // unit 0 gives the floor, unit ~1 the ceiling for that attempt.
        assert_eq!(backoff.clone().next_delay(t0, 0.0), 3 * S);
        let ceilings: Vec<Duration> = (0..7).map(|_| backoff.next_delay(t0, 1.0)).collect();
        assert_eq!(ceilings, [3750 * MS, 6 * S, 12 * S, 24 * S, 48 * S, 60 * S, 60 * S]);
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
        assert_eq!(backoff.next_delay(t0 + 130 * S, 1.0), 3750 * MS, "30 s connected resets");
    }

    #[test]
    fn a_connection_that_delivered_an_event_was_progress_however_short() {
        let t0 = Instant::now();
        let mut backoff = Backoff::new(3 * S, 300 * S);
        backoff.set_retry(200 * MS);
        for n in 0..50 {
            backoff.connected(t0 + n * S);
            backoff.event(true);
            let delay = backoff.next_delay(t0 + n * S + 10 * MS, 1.0);
            assert_eq!(delay, 250 * MS, "after progress only retry and its jitter");
        }
        // A connection that delivers nothing is a failure, and failures grow from 1 s.
        backoff.connected(t0);
        assert_eq!(backoff.next_delay(t0, 1.0), 2 * S);
        assert_eq!(backoff.next_delay(t0, 0.0), 2 * S);
        assert_eq!(backoff.next_delay(t0, 0.0), 4 * S);
        // Progress is per connection: it does not carry over to the next one.
        backoff.connected(t0);
        backoff.event(true);
        assert_eq!(backoff.next_delay(t0, 0.0), 200 * MS);
        backoff.connected(t0);
        assert_eq!(backoff.next_delay(t0, 0.0), S);
    }

    #[test]
    fn a_connection_of_only_repeats_is_forgiven_once_then_counts_as_a_failure() {
        let t0 = Instant::now();
        let mut backoff = Backoff::new(3 * S, 300 * S);
        backoff.set_retry(200 * MS);
        let replay = |backoff: &mut Backoff| {
            backoff.connected(t0);
            backoff.event(false);
            backoff.next_delay(t0 + 10 * MS, 0.0)
        };
        assert_eq!(replay(&mut backoff), 200 * MS, "the first is forgiven");
        assert_eq!(replay(&mut backoff), S, "the second in a row is a failure");
        assert_eq!(replay(&mut backoff), 2 * S, "and they grow");
        // A new event forgives again.
        backoff.connected(t0);
        backoff.event(false);
        backoff.event(true);
        assert_eq!(backoff.next_delay(t0, 0.0), 200 * MS);
        assert_eq!(replay(&mut backoff), 200 * MS, "the first after progress is forgiven");
        // A connection that brought nothing at all is never forgiven.
        backoff.connected(t0);
        assert_eq!(backoff.next_delay(t0, 0.0), S);
        // A failed attempt in between (no connection) neither counts nor forgives.
        assert_eq!(backoff.next_delay(t0, 0.0), 2 * S);
    }

    #[test]
    fn retry_zero_cannot_make_a_tight_loop() {
        let mut backoff = Backoff::default();
        backoff.set_retry(Duration::ZERO);
        assert_eq!(backoff.next_delay(Instant::now(), 0.0), Duration::from_millis(100));
        assert_eq!(backoff.next_delay(Instant::now(), 0.0), S);
        assert_eq!(backoff.next_delay(Instant::now(), 0.0), 2 * S);
    }

    #[test]
    fn retry_zero_and_retry_after_zero_cannot_make_a_storm() {
        // The reported storm: `retry: 0`, then 503 with `Retry-After: 0` forever (195 requests
        // in 20 s). Now: the first retry is immediate, then at least 1 s, doubling.
        let t0 = Instant::now();
        for unit in [0.0, 0.5, 0.999] {
            let mut backoff = Backoff::default();
            backoff.set_retry(Duration::ZERO);
            let (mut at, mut attempts) = (Duration::ZERO, 0);
            while at < 20 * S {
                attempts += 1;
                let delay = backoff.next_delay(t0 + at, unit);
                at += Backoff::after_server_asked(delay, Duration::ZERO, 3_600 * S);
            }
            assert!(attempts <= 6, "{attempts} attempts in 20 s with unit {unit}");
        }
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
                let mut delay = Duration::ZERO;
                for n in 0..40 {
                    delay = backoff.next_delay(t0 + n * S, 1.0);
                    assert!(delay >= floor && delay <= DEFAULT_CAP, "{delay:?}");
                }
                // The crash this guards against: Retry-After under a floor above the maximum.
                let wait =
                    Backoff::after_server_asked(delay, Duration::from_secs(asked), 3_600 * S);
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
            attempts in 1u32..80,
            progress_every in 1u32..5,
        ) {
            let cap = Duration::from_secs(cap_s);
            let mut backoff = Backoff::new(DEFAULT_RETRY, cap);
            backoff.set_retry(Duration::from_millis(retry_ms));
            let cap = backoff.cap();
            let t0 = Instant::now();
            let mut delay = Duration::ZERO;
            for n in 0..attempts {
                backoff.connected(t0);
                if n % progress_every == 0 {
                    backoff.event(true);
                }
                delay = backoff.next_delay(t0, if unit.is_finite() { unit } else { 0.5 });
                proptest::prop_assert!(delay >= backoff.retry() && delay <= cap);
                if backoff.failures() > 1 {
                    proptest::prop_assert!(delay >= REPEATED_FAILURE_FLOOR.min(cap));
                }
            }
            let wait = Backoff::after_server_asked(delay, Duration::from_secs(asked_s), 3_600 * S);
            proptest::prop_assert!(wait >= delay);
            proptest::prop_assert!(wait <= (3_600 * S).max(delay));
        }
    }

    #[test]
    fn huge_attempt_counts_saturate_at_the_cap() {
        let backoff = Backoff::new(3 * S, 300 * S);
        assert_eq!(backoff.ceiling(1_000), 300 * S);
    }
}
