//! Folding a feed's repeated log lines. A feed that fails, or is cut off, the same way over
//! and over would write "live since ...", "retrying in ..." for every attempt (17 lines a
//! second against a server that sends one event per connection with `retry: 0`, hundreds of MB
//! a day). A line is logged the first time; the same line again (numbers aside: "attempt 7",
//! "in 1.3 s") within [`WINDOW`] is only counted, and one line says how many there were when
//! it comes back after the window.

use std::time::Duration;

use tokio::time::Instant;

/// How long repeats of one line are folded into one.
pub const WINDOW: Duration = Duration::from_secs(10 * 60);
/// How many different lines one feed folds at once; the least recent goes first.
const KINDS: usize = 16;

/// What to log for one state change.
#[derive(Debug, PartialEq, Eq)]
pub enum Line {
    /// Worth a line at info level.
    Info(String),
    /// A repeat: kept for `RUST_LOG=debug`, not in the everyday log.
    Debug(String),
}

#[derive(Debug)]
struct Folding {
    /// The line with its numbers blanked out.
    key: String,
    since: Instant,
    repeats: u32,
    last: String,
}

#[derive(Debug, Default)]
pub struct LogFold {
    lines: Vec<Folding>,
}

impl LogFold {
    /// The lines to log for `words` at `now`.
    pub fn lines(&mut self, words: String, now: Instant) -> Vec<Line> {
        let key = without_numbers(&words);
        let mut out = Vec::new();
        if let Some(at) = self.lines.iter().position(|f| f.key == key) {
            let folding = &mut self.lines[at];
            if now.saturating_duration_since(folding.since) < WINDOW {
                folding.repeats += 1;
                folding.last.clone_from(&words);
                return vec![Line::Debug(words)];
            }
            let done = self.lines.remove(at);
            out.extend(summary(&done, now));
        } else if self.lines.len() >= KINDS {
            let done = self.lines.remove(0);
            out.extend(summary(&done, now));
        }
        self.lines.push(Folding { key, since: now, repeats: 0, last: words.clone() });
        out.push(Line::Info(words));
        out
    }
}

fn summary(folding: &Folding, now: Instant) -> Option<Line> {
    (folding.repeats > 0).then(|| {
        Line::Info(format!(
            "... {} more {} in {}, the last: {}",
            folding.repeats,
            if folding.repeats == 1 { "time" } else { "times" },
            span(now.saturating_duration_since(folding.since)),
            folding.last
        ))
    })
}

fn without_numbers(words: &str) -> String {
    let mut key = String::with_capacity(words.len());
    for c in words.chars() {
        if c.is_ascii_digit() {
            if !key.ends_with('#') {
                key.push('#');
            }
        } else {
            key.push(c);
        }
    }
    key
}

fn span(d: Duration) -> String {
    let s = d.as_secs();
    if s < 120 { format!("{s} s") } else { format!("{} min", s.div_ceil(60)) }
}

#[cfg(test)]
mod tests {
    use super::*;

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
    async fn a_storm_of_one_failure_is_one_line_each_and_a_count() {
        let mut fold = LogFold::default();
        let t0 = Instant::now();
        let mut logged = Vec::new();
        for n in 0..58u64 {
            let at = t0 + Duration::from_secs(n);
            logged.extend(infos(fold.lines(format!("connecting (attempt {})", n + 2), at)));
            logged.extend(infos(fold.lines(format!("retrying in {n} s: 503"), at)));
        }
        assert_eq!(logged, ["connecting (attempt 2)", "retrying in 0 s: 503"]);
        let later = t0 + WINDOW;
        assert_eq!(
            infos(fold.lines("retrying in 9 s: 503".into(), later)),
            [
                "... 57 more times in 10 min, the last: retrying in 57 s: 503",
                "retrying in 9 s: 503"
            ]
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_server_that_cuts_every_connection_after_an_event_folds_its_whole_cycle() {
        // live, ended, live, ended...: two lines alternating, both folded.
        let mut fold = LogFold::default();
        let t0 = Instant::now();
        let mut logged = Vec::new();
        for n in 0..1_000u64 {
            let at = t0 + Duration::from_millis(n * 100);
            logged.extend(infos(fold.lines("live since 10:00".into(), at)));
            logged.extend(infos(
                fold.lines("retrying in 0.1 s: the server ended the stream".into(), at),
            ));
        }
        assert_eq!(logged.len(), 2, "{logged:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn other_lines_are_logged_and_the_kinds_folded_are_bounded() {
        let mut fold = LogFold::default();
        let t0 = Instant::now();
        assert_eq!(infos(fold.lines("retrying in 1 s: 503".into(), t0)), ["retrying in 1 s: 503"]);
        assert_eq!(infos(fold.lines("retrying in 1 s: refused".into(), t0)).len(), 1);
        assert!(infos(fold.lines("retrying in 2 s: refused".into(), t0)).is_empty());
        let mut logged = Vec::new();
        for kind in 0..KINDS {
            let words = format!("error kind {}", char::from(b'a' + kind as u8));
            logged.extend(infos(fold.lines(words, t0)));
        }
        assert!(fold.lines.len() <= KINDS);
        // Each new kind is logged; the one pushed out with a repeat says so first.
        assert_eq!(logged.len(), KINDS + 1, "{logged:?}");
        assert!(logged.iter().any(|l| l.starts_with("... 1 more time")), "{logged:?}");
    }
}
