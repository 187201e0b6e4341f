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
        match self.show(n, actions, target) {
            Ok(()) => {
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
    /// Linux: the server's id is what its `ActionInvoked` signal names later.
    #[cfg(all(unix, not(target_os = "macos")))]
    fn show(
        &self,
        n: &Notification,
        actions: Vec<(String, String)>,
        target: ClickTarget,
    ) -> anyhow::Result<()> {
        let body = body_text(&n.body);
        let notice = crate::xdg_notify::Notice {
            summary: &n.title,
            body: &body,
            actions: actions.into_iter().flat_map(|(key, label)| [key, label]).collect(),
            urgency: urgency(n.priority),
            expire_timeout: if n.priority == Some(5) { 0 } else { -1 },
        };
        let id = self.bus.notify(&notice)?;
        self.targets.remember(id, target);
        Ok(())
    }

    /// Windows: a toast reports its activation to a callback (on a WinRT thread): the body
    /// (no argument, `default`) or a button's key. At most five buttons fit.
    #[cfg(windows)]
    fn show(
        &self,
        n: &Notification,
        actions: Vec<(String, String)>,
        target: ClickTarget,
    ) -> anyhow::Result<()> {
        use tauri_winrt_notification::{Duration, Toast};
        let mut toast = Toast::new(APP_ID)
            .title(&n.title)
            .text1(&body_text(&n.body))
            .duration(if n.priority == Some(5) { Duration::Long } else { Duration::Short });
        for (key, label) in buttons(&actions) {
            toast = toast.add_button(&label, &key);
        }
        let targets = self.targets.clone();
        toast = toast.on_activated(move |key| {
            targets.clicked(&target, key.as_deref().unwrap_or("default"));
            Ok(())
        });
        toast.show()?;
        Ok(())
    }

    /// macOS: notify-rust delivers the notification when its handle waits for the answer (or
    /// is dropped), and the wait blocks until the user answers or closes it. A few threads wait;
    /// past them a notification is shown without reporting its click.
    #[cfg(target_os = "macos")]
    fn show(
        &self,
        n: &Notification,
        actions: Vec<(String, String)>,
        target: ClickTarget,
    ) -> anyhow::Result<()> {
        use std::sync::atomic::AtomicUsize;
        static WAITING: AtomicUsize = AtomicUsize::new(0);
        const MAX_WAITING: usize = 8;
        let mut notification = notify_rust::Notification::new();
        notification.appname("Herald").summary(&n.title).body(&body_text(&n.body));
        for (key, label) in buttons(&actions) {
            notification.action(&key, &label);
        }
        let handle = notification.show()?;
        if WAITING.fetch_add(1, Ordering::AcqRel) >= MAX_WAITING {
            WAITING.fetch_sub(1, Ordering::AcqRel);
            drop(handle);
            return Ok(());
        }
        let targets = self.targets.clone();
        let spawned =
            std::thread::Builder::new().name("notification-answer".into()).spawn(move || {
                handle.wait_for_action(|key| targets.clicked(&target, key));
                WAITING.fetch_sub(1, Ordering::AcqRel);
            });
        if let Err(e) = spawned {
            WAITING.fetch_sub(1, Ordering::AcqRel);
            tracing::debug!("the notification's click will do nothing: {e}");
        }
        Ok(())
    }
}

/// The buttons a toast or a macOS notification shows: the body itself is the `default` action
/// there (a button for it would only repeat "Open"), five buttons fit at most, and labels are
/// made unique (macOS maps an answer back to its action by label, so a feed's own "Open" button
/// must not take the link's place).
#[cfg_attr(all(unix, not(target_os = "macos")), allow(dead_code))]
fn buttons(actions: &[(String, String)]) -> Vec<(String, String)> {
    let mut shown: Vec<(String, String)> = Vec::new();
    for (key, label) in actions.iter().filter(|(key, _)| key != "default").take(5) {
        let mut unique = label.clone();
        let mut n = 1;
        while shown.iter().any(|(_, l)| *l == unique) {
            n += 1;
            unique = format!("{label} ({n})");
        }
        shown.push((key.clone(), unique));
    }
    shown
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
    fn toasts_and_macos_buttons_leave_out_the_body_and_stop_at_five() {
        let actions: Vec<(String, String)> =
            ["default", "open", "view:0", "view:1", "view:2", "view:3", "read"]
                .iter()
                .map(|k| (k.to_string(), format!("label {k}")))
                .collect();
        let keys: Vec<String> = buttons(&actions).into_iter().map(|(k, _)| k).collect();
        assert_eq!(keys, ["open", "view:0", "view:1", "view:2", "view:3"]);
        let same: Vec<(String, String)> = [("open", "Open"), ("view:0", "Open"), ("read", "Open")]
            .iter()
            .map(|(k, l)| (k.to_string(), l.to_string()))
            .collect();
        let labels: Vec<String> = buttons(&same).into_iter().map(|(_, l)| l).collect();
        assert_eq!(labels, ["Open", "Open (2)", "Open (3)"], "labels are told apart");
    }

    #[test]
    fn priorities_map_to_urgency() {
        assert_eq!(urgency(Some(1)), 0);
        assert_eq!(urgency(None), 1);
        assert_eq!(urgency(Some(5)), 2);
    }
}
