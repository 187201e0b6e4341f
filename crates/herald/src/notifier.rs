//! The desktop side of notifications: org.freedesktop.Notifications on Linux (over one
//! connection, `xdg_notify`), toasts on Windows and the notification center on macOS (through
//! notify-rust). The engine decides what to show; this turns it into the platform's
//! notification.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use herald_engine::{Notification, NotificationKind, Notifier};

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
    #[cfg(all(unix, not(target_os = "macos")))]
    bus: crate::xdg_notify::SessionBus,
}

impl DesktopNotifier {
    pub fn new(targets: Arc<ClickTargets>) -> Self {
        // macOS shows notifications as coming from a bundle; outside the .app (a development
        // build) this fails and notifications appear under the terminal's name.
        #[cfg(target_os = "macos")]
        if let Err(e) = notify_rust::set_application(APP_ID) {
            tracing::debug!("notifications will not show as Herald's: {e:?}");
        }
        Self { targets, ..Self::default() }
    }
}

impl Notifier for DesktopNotifier {
    fn notify(&self, n: &Notification) {
        let history_id = match n.kind {
            NotificationKind::Event { history_id, .. } => Some(history_id),
            _ => None,
        };
        let mut target = ClickTarget { link: n.link.clone(), history_id, buttons: Vec::new() };
        let mut actions: Vec<(String, String)> = Vec::new();
        // A click on the notification itself opens its link, or the event in the history.
        if target.link.is_some() || history_id.is_some() {
            actions.push(("default".into(), "Open".into()));
        }
        if n.link.is_some() {
            actions.push(("open".into(), "Open".into()));
        }
        for (i, (label, url)) in n.buttons.iter().enumerate() {
            actions.push((format!("view:{i}"), label.clone()));
            target.buttons.push(url.clone());
        }
        if history_id.is_some() {
            actions.push(("read".into(), "Mark read".into()));
        }
        match self.show(n, actions) {
            Ok(id) => {
                self.remember(id, target);
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

/// The notification's id, where the platform reports clicks by id.
type Shown = Option<u32>;

impl DesktopNotifier {
    #[cfg(all(unix, not(target_os = "macos")))]
    fn show(&self, n: &Notification, actions: Vec<(String, String)>) -> anyhow::Result<Shown> {
        let body = body_text(&n.body);
        let notice = crate::xdg_notify::Notice {
            summary: &n.title,
            body: &body,
            actions: actions.into_iter().flat_map(|(key, label)| [key, label]).collect(),
            urgency: urgency(n.priority),
            expire_timeout: if n.priority == Some(5) { 0 } else { -1 },
        };
        Ok(Some(self.bus.notify(&notice)?))
    }

    #[cfg(not(all(unix, not(target_os = "macos"))))]
    fn show(&self, n: &Notification, actions: Vec<(String, String)>) -> anyhow::Result<Shown> {
        use notify_rust::Timeout;
        let mut notification = notify_rust::Notification::new();
        notification
            .appname("Herald")
            .icon("herald-ui")
            .summary(&n.title)
            .body(&body_text(&n.body))
            .timeout(if n.priority == Some(5) { Timeout::Never } else { Timeout::Default });
        #[cfg(target_os = "windows")]
        notification.app_id(APP_ID);
        for (key, label) in &actions {
            notification.action(key, label);
        }
        notification.show()?;
        Ok(None)
    }

    fn remember(&self, id: Shown, target: ClickTarget) {
        if let Some(id) = id {
            self.targets.remember(id, target);
        }
    }
}

/// ntfy's priorities (1-2 low, 3-4 normal, 5 urgent) as the specification's urgency levels.
#[cfg_attr(not(all(unix, not(target_os = "macos"))), allow(dead_code))]
fn urgency(priority: Option<u8>) -> u8 {
    match priority {
        Some(1 | 2) => 0,
        Some(5) => 2,
        _ => 1,
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
        assert_eq!(urgency(Some(1)), 0);
        assert_eq!(urgency(None), 1);
        assert_eq!(urgency(Some(5)), 2);
    }
}
