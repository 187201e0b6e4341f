//! The desktop side of notifications, through notify-rust (org.freedesktop.Notifications on
//! Linux, toasts on Windows, the notification center on macOS). The engine decides what to show;
//! this turns it into the platform's notification.

use std::sync::atomic::{AtomicBool, Ordering};

use herald_engine::{Notification, Notifier};
use notify_rust::{Timeout, Urgency};

/// What a notification body shows at most; the history keeps the whole text.
const BODY_CHARS: usize = 300;

#[derive(Debug, Default)]
pub struct DesktopNotifier {
    /// The first failure is logged as a warning, the rest quietly: no notification service
    /// should not flood the log.
    warned: AtomicBool,
}

impl Notifier for DesktopNotifier {
    fn notify(&self, n: &Notification) {
        let mut notification = notify_rust::Notification::new();
        notification
            .appname("Herald")
            .icon("herald")
            .summary(&n.title)
            .body(&body_text(&n.body))
            .urgency(urgency(n.priority))
            .timeout(if n.priority == Some(5) { Timeout::Never } else { Timeout::Default });
        match notification.show() {
            Ok(_) => {
                self.warned.store(false, Ordering::Relaxed);
            }
            Err(e) => {
                if !self.warned.swap(true, Ordering::Relaxed) {
                    tracing::warn!(
                        "cannot show a notification ({e}); events are still kept in the history"
                    );
                } else {
                    tracing::debug!("cannot show a notification: {e}");
                }
            }
        }
    }
}

/// ntfy's priorities: 1-2 low, 3-4 normal, 5 urgent.
fn urgency(priority: Option<u8>) -> Urgency {
    match priority {
        Some(1 | 2) => Urgency::Low,
        Some(5) => Urgency::Critical,
        _ => Urgency::Normal,
    }
}

/// Shortened at a word boundary, and escaped on Linux, where notification servers read the
/// body as markup: event data is untrusted and must show as text.
fn body_text(body: &str) -> String {
    let short = shorten(body.trim(), BODY_CHARS);
    if cfg!(all(unix, not(target_os = "macos"))) { escape_markup(&short) } else { short }
}

fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let cut: String = text.chars().take(max).collect();
    let at_word = cut.rfind(char::is_whitespace).filter(|&i| i > max / 2).unwrap_or(cut.len());
    format!("{}…", cut[..at_word].trim_end())
}

fn escape_markup(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_in_event_data_arrives_as_text() {
        assert_eq!(
            escape_markup(r#"<b>x</b> & <a href="javascript:y">"#),
            r#"&lt;b&gt;x&lt;/b&gt; &amp; &lt;a href="javascript:y"&gt;"#
        );
    }

    #[test]
    fn long_bodies_are_cut_at_a_word() {
        let long = "word ".repeat(100);
        let short = shorten(&long, 30);
        assert_eq!(short, "word word word word word word…");
        assert_eq!(shorten("short", 30), "short");
        assert_eq!(shorten(&"é".repeat(40), 10), format!("{}…", "é".repeat(10)));
    }

    #[test]
    fn priorities_map_to_urgency() {
        assert_eq!(urgency(Some(1)), Urgency::Low);
        assert_eq!(urgency(None), Urgency::Normal);
        assert_eq!(urgency(Some(5)), Urgency::Critical);
    }
}
