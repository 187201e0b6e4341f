//! Folding a failing feed's log lines. A feed that fails the same way over and over would write
//! "connecting" and "retrying in ..." for every attempt (20 lines a second against a server
//! that asked for `retry: 0`, hundreds of MB a day). The first failure of a kind is logged; its
//! repeats within [`WINDOW`] are counted, and one line says how many there were when the feed's
//! story changes or the window ends.

use std::time::Duration;

use tokio::time::Instant;

use crate::state::FeedState;

/// How long repeats of one failure are folded into one line.
pub const WINDOW: Duration = Duration::from_secs(10 * 60);

/// What to log for one state change.
#[derive(Debug, PartialEq, Eq)]
pub enum Line {
    /// Worth a line at info level.
    Info(String),
    /// A repeat: kept for `RUST_LOG=debug`, not in the everyday log.
    Debug(String),
}

#[derive(Debug, Default)]
pub struct LogFold {
    /// The failure being folded, when it began, and how many repeats were not logged.
    current: Option<(String, Instant, u32)>,
}

impl LogFold {
    /// The lines for `state`, whose words are `words`, at `now`.
    pub fn lines(&mut self, state: &FeedState, words: String, now: Instant) -> Vec<Line> {
        let key = match state {
            // A new attempt is part of the failure that led to it.
            FeedState::Connecting { attempt } if *attempt > 0 => {
                return vec![if self.current.is_some() {
                    Line::Debug(words)
                } else {
                    Line::Info(words)
                }];
            }
            FeedState::Retrying { error, .. } => Some(error.clone()),
            _ => None,
        };
        let mut lines = Vec::new();
        if let Some((current, since, repeats)) = &mut self.current {
            let same = key.as_deref() == Some(current.as_str());
            if same && now.saturating_duration_since(*since) < WINDOW {
                *repeats += 1;
                return vec![Line::Debug(words)];
            }
            if *repeats > 0 {
                lines.push(Line::Info(format!(
                    "... the same failure {repeats} more {} in {}",
                    if *repeats == 1 { "time" } else { "times" },
                    span(now.saturating_duration_since(*since))
                )));
            }
        }
        self.current = key.map(|key| (key, now, 0));
        lines.push(Line::Info(words));
        lines
    }
}

fn span(d: Duration) -> String {
    let s = d.as_secs();
    if s < 120 { format!("{s} s") } else { format!("{} min", s.div_ceil(60)) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn retrying(error: &str) -> FeedState {
        FeedState::Retrying { attempt: 1, at: 0, error: error.into() }
    }

    fn infos(lines: Vec<Line>) -> Vec<String> {
        lines
            .into_iter()
            .filter_map(|l| match l {
                Line::Info(text) => Some(text),
                Line::Debug(_) => None,
            })
            .collect()
    }

    #[tokio::test(start_paused = true)]
    async fn a_storm_of_one_failure_is_one_line_and_a_count() {
        let mut fold = LogFold::default();
        let t0 = Instant::now();
        let mut logged = Vec::new();
        for n in 0..58u64 {
            let at = t0 + Duration::from_secs(n);
            logged.extend(infos(fold.lines(
                &FeedState::Connecting { attempt: n as u32 + 1 },
                format!("connecting (attempt {})", n + 2),
                at,
            )));
            logged.extend(infos(fold.lines(
                &retrying("503"),
                format!("retrying in {n} s: 503"),
                at,
            )));
        }
        assert_eq!(logged, ["connecting (attempt 2)", "retrying in 0 s: 503"]);
        // The story changes: the count comes first, then the news.
        let live = FeedState::Live { since: 0, warning: None };
        let after =
            infos(fold.lines(&live, "live since 10:00".into(), t0 + Duration::from_secs(60)));
        assert_eq!(after, ["... the same failure 57 more times in 60 s", "live since 10:00"]);
    }

    #[tokio::test(start_paused = true)]
    async fn another_failure_or_the_end_of_the_window_is_logged() {
        let mut fold = LogFold::default();
        let t0 = Instant::now();
        assert_eq!(infos(fold.lines(&retrying("503"), "a".into(), t0)), ["a"]);
        assert_eq!(infos(fold.lines(&retrying("refused"), "b".into(), t0)), ["b"]);
        assert!(infos(fold.lines(&retrying("refused"), "c".into(), t0)).is_empty());
        let later = t0 + WINDOW;
        assert_eq!(
            infos(fold.lines(&retrying("refused"), "d".into(), later)),
            ["... the same failure 1 more time in 10 min", "d"]
        );
    }
}
