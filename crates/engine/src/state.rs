//! What each feed is doing, in the process (a watch channel the tray reads) and in words for the
//! store (the windows and `herald status` read it there).

use std::collections::BTreeMap;
use std::time::Duration;

use herald_model::Phase;
use herald_store::{LiveState, Millis, now_millis};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopReason {
    /// 204: the server asked clients to stop.
    ServerSaidStop,
    /// 401/403: waits until the credentials change.
    CredentialsRejected,
    /// The keyring is missing or locked: tried again every little while.
    CredentialsUnavailable,
    InvalidConfiguration,
    Disabled,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FeedState {
    Connecting {
        attempt: u32,
    },
    /// `warning`: something about the events is wrong (a template that fails), though the
    /// connection is fine.
    Live {
        since: Millis,
        warning: Option<String>,
    },
    Retrying {
        attempt: u32,
        at: Millis,
        error: String,
    },
    Stopped {
        reason: StopReason,
        error: String,
    },
    /// The stream ended and the feed finishes rather than reconnecting (a POST job's answer):
    /// it waits until someone runs it again.
    Finished {
        at: Millis,
        /// Why the stream ended early, when it broke rather than ended (it is not sent again
        /// either way: that would run the job again).
        cut_short: Option<String>,
    },
}

impl FeedState {
    pub fn is_live(&self) -> bool {
        matches!(self, FeedState::Live { .. })
    }

    /// The state word of docs/cli.md.
    pub fn phase(&self) -> Phase {
        match self {
            FeedState::Connecting { .. } => Phase::Connecting,
            FeedState::Live { .. } => Phase::Live,
            FeedState::Retrying { .. } => Phase::Retrying,
            FeedState::Stopped { reason: StopReason::Disabled, .. } => Phase::Disabled,
            FeedState::Stopped { .. } => Phase::Stopped,
            FeedState::Finished { .. } => Phase::Finished,
        }
    }

    /// The one line a person reads, with times relative to `now`.
    pub fn words(&self, now: Millis) -> String {
        match self {
            FeedState::Connecting { attempt: 0 } => "connecting".into(),
            FeedState::Connecting { attempt } => format!("connecting (attempt {})", attempt + 1),
            FeedState::Live { since, warning: None } => {
                format!("live since {}", clock_time(*since))
            }
            FeedState::Live { since, warning: Some(warning) } => {
                format!("live since {} ({warning})", clock_time(*since))
            }
            FeedState::Retrying { at, error, .. } => {
                let wait = Duration::from_millis((*at - now).max(0) as u64);
                format!("retrying in {}: {error}", seconds(wait))
            }
            FeedState::Finished { at, cut_short: None } => {
                format!("finished at {}; run it again to start over", clock_time(*at))
            }
            FeedState::Finished { at, cut_short: Some(error) } => format!(
                "finished at {}, cut short ({error}); run it again to start over",
                clock_time(*at)
            ),
            FeedState::Stopped { reason, error } => match reason {
                StopReason::ServerSaidStop => {
                    "stopped: the server said to stop (204); edit or reconnect the feed to try again"
                        .into()
                }
                StopReason::CredentialsRejected => format!(
                    "stopped: credentials rejected ({error}); update them to reconnect"
                ),
                StopReason::CredentialsUnavailable => format!("waiting for credentials: {error}"),
                StopReason::InvalidConfiguration => format!("stopped: {error}"),
                StopReason::Disabled => "disabled".into(),
            },
        }
    }

    pub fn to_live_state(&self) -> LiveState {
        let now = now_millis();
        let (next_retry_at, last_error) = match self {
            FeedState::Retrying { at, error, .. } => (Some(*at), Some(error.clone())),
            FeedState::Stopped { error, .. } if !error.is_empty() => (None, Some(error.clone())),
            FeedState::Live { warning: Some(w), .. } => (None, Some(w.clone())),
            _ => (None, None),
        };
        LiveState {
            state: self.phase(),
            detail: self.words(now),
            next_retry_at,
            last_error,
            updated_at: now,
        }
    }
}

/// Every feed's state, keyed by feed id.
pub type FeedStates = BTreeMap<String, FeedState>;

/// What the wait really is: "0.1 s" after `retry: 100` (rounding up to whole seconds said
/// "1 s"), whole seconds from 10 s, minutes from 2 min.
fn seconds(d: Duration) -> String {
    // To the nearest tenth (0.128 s is "0.1 s", not "0.2 s"), never "0 s" for a wait.
    let tenths = ((d.as_millis() + 50) / 100).max(u128::from(!d.is_zero()));
    if tenths < 100 {
        return if tenths.is_multiple_of(10) {
            format!("{} s", tenths / 10)
        } else {
            format!("{}.{} s", tenths / 10, tenths % 10)
        };
    }
    let s = d.as_secs_f64().ceil() as u64;
    if s < 120 { format!("{s} s") } else { format!("{} min", s.div_ceil(60)) }
}

/// "14:05" in local time, what a person expects in "live since".
fn clock_time(ms: Millis) -> String {
    use chrono::TimeZone;
    chrono::Local
        .timestamp_millis_opt(ms)
        .single()
        .map_or_else(|| "a moment ago".into(), |t| t.format("%H:%M").to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_people_read() {
        let retrying =
            FeedState::Retrying { attempt: 2, at: 10_500, error: "connection refused".into() };
        assert_eq!(retrying.words(1_000), "retrying in 9.5 s: connection refused");
        assert_eq!(retrying.words(10_400), "retrying in 0.1 s: connection refused");
        assert_eq!(retrying.words(7_500), "retrying in 3 s: connection refused");
        assert_eq!(retrying.words(-10_000), "retrying in 21 s: connection refused");
        assert_eq!(retrying.to_live_state().state, Phase::Retrying);
        let rejected = FeedState::Stopped {
            reason: StopReason::CredentialsRejected,
            error: "the server answered 401 Unauthorized".into(),
        };
        assert!(rejected.words(0).contains("credentials rejected"));
        assert_eq!(rejected.phase(), Phase::Stopped);
        let long = FeedState::Retrying { attempt: 9, at: 300_000, error: "x".into() };
        assert_eq!(long.words(0), "retrying in 5 min: x");
    }
}
