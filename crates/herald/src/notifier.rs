//! The desktop side of notifications, through notify-rust (org.freedesktop.Notifications on
//! Linux, toasts on Windows, the notification center on macOS). The engine decides what to show;
//! this turns it into the platform's notification.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use herald_engine::{Notification, NotificationKind, Notifier};
use notify_rust::{Timeout, Urgency};

use crate::clicks::{ClickTarget, ClickTargets};

/// The app's identity for the OS: the Windows AppUserModelID that the installers' Start menu
/// shortcut carries (toasts from an app without one are dropped), and the macOS bundle id.
/// Both are the `identifier` of tauri.conf.json.
#[cfg_attr(not(any(target_os = "windows", target_os = "macos")), allow(dead_code))]
const APP_ID: &str = "app.herald.desktop";

/// What a notification body shows at most; the history keeps the whole text.
const BODY_CHARS: usize = 300;

#[derive(Debug, Default)]
pub struct DesktopNotifier {
    /// The first failure is logged as a warning, the rest quietly: no notification service
    /// should not flood the log.
    warned: AtomicBool,
    targets: Arc<ClickTargets>,
}

impl DesktopNotifier {
    pub fn new(targets: Arc<ClickTargets>) -> Self {
        // macOS shows notifications as coming from a bundle; outside the .app (a development
        // build) this fails and notifications appear under the terminal's name.
        #[cfg(target_os = "macos")]
        if let Err(e) = notify_rust::set_application(APP_ID) {
            tracing::debug!("notifications will not show as Herald's: {e:?}");
        }
        Self { warned: AtomicBool::new(false), targets }
    }
}

impl Notifier for DesktopNotifier {
    fn notify(&self, n: &Notification) {
        let mut notification = notify_rust::Notification::new();
        notification
            .appname("Herald")
            .icon("herald-ui")
            .summary(&n.title)
            .body(&body_text(&n.body))
            .urgency(urgency(n.priority))
            .timeout(if n.priority == Some(5) { Timeout::Never } else { Timeout::Default });
        #[cfg(target_os = "windows")]
        notification.app_id(APP_ID);
        let history_id = match n.kind {
            NotificationKind::Event { history_id, .. } => Some(history_id),
            _ => None,
        };
        let target = ClickTarget { link: n.link.clone(), history_id, buttons: Vec::new() };
        // A click on the notification itself opens its link, or the event in the history.
        if target.link.is_some() || history_id.is_some() {
            notification.action("default", "Open");
        }
        if n.link.is_some() {
            notification.action("open", "Open");
        }
        let mut target = target;
        for (i, (label, url)) in n.buttons.iter().enumerate() {
            notification.action(&format!("view:{i}"), label);
            target.buttons.push(url.clone());
        }
        if history_id.is_some() {
            notification.action("read", "Mark read");
        }
        match notification.show() {
            Ok(handle) => {
                self.remember(&handle, target);
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

impl DesktopNotifier {
    #[cfg(all(unix, not(target_os = "macos")))]
    fn remember(&self, handle: &notify_rust::NotificationHandle, target: ClickTarget) {
        self.targets.remember(handle.id(), target);
    }

    #[cfg(not(all(unix, not(target_os = "macos"))))]
    fn remember(&self, _handle: &notify_rust::NotificationHandle, _target: ClickTarget) {}
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
    let short = herald_engine::mapping::shorten(body.trim(), BODY_CHARS);
    if cfg!(all(unix, not(target_os = "macos"))) { escape_markup(&short) } else { short }
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
    fn priorities_map_to_urgency() {
        assert_eq!(urgency(Some(1)), Urgency::Low);
        assert_eq!(urgency(None), Urgency::Normal);
        assert_eq!(urgency(Some(5)), Urgency::Critical);
    }
}
