//! What a click on a notification does: open its link, open the history at its event, or mark
//! it read. On Linux the notifier remembers, per notification id, what its actions point at,
//! and a listener turns the notification server's `ActionInvoked` signals into clicks. Windows
//! toasts and macOS notifications report their own activation: the notifier hands each one, with
//! its target, to [`ClickTargets::clicked`].

#[cfg(all(unix, not(target_os = "macos")))]
use std::collections::VecDeque;
#[cfg(all(unix, not(target_os = "macos")))]
use std::sync::Mutex;

/// What a shown notification's actions lead to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClickTarget {
    pub link: Option<String>,
    pub history_id: Option<i64>,
    /// URLs of the extra buttons, in order (`view:0`, `view:1`, ...).
    pub buttons: Vec<String>,
}

/// What the user asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Click {
    OpenLink(String),
    ShowEvent(i64),
    MarkRead(i64),
}

impl ClickTarget {
    /// The action key the notification server reports, as a request. `default` is a click on
    /// the notification itself: its link if it has one, else the event in the history.
    pub fn click(&self, key: &str) -> Option<Click> {
        match key {
            "default" => match (&self.link, self.history_id) {
                (Some(link), _) => Some(Click::OpenLink(link.clone())),
                (None, Some(id)) => Some(Click::ShowEvent(id)),
                (None, None) => None,
            },
            "open" => self.link.clone().map(Click::OpenLink),
            "read" => self.history_id.map(Click::MarkRead),
            _ => {
                let n: usize = key.strip_prefix("view:")?.parse().ok()?;
                self.buttons.get(n).cloned().map(Click::OpenLink)
            }
        }
    }
}

type Handler = Box<dyn Fn(Click) + Send + Sync>;

/// Where clicks go: on Linux the targets of the most recent notifications by id (older ones are
/// gone from the screen); everywhere the resident's handler.
#[derive(Default)]
pub struct ClickTargets {
    #[cfg(all(unix, not(target_os = "macos")))]
    recent: Mutex<VecDeque<(u32, ClickTarget)>>,
    handler: std::sync::OnceLock<Handler>,
}

impl std::fmt::Debug for ClickTargets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ClickTargets")
    }
}

#[cfg(all(unix, not(target_os = "macos")))]
const REMEMBERED: usize = 256;

impl ClickTargets {
    #[cfg(all(unix, not(target_os = "macos")))]
    pub fn remember(&self, id: u32, target: ClickTarget) {
        let mut targets = self.recent.lock().unwrap_or_else(|p| p.into_inner());
        if targets.len() == REMEMBERED {
            targets.pop_front();
        }
        targets.push_back((id, target));
    }

    #[cfg(all(unix, not(target_os = "macos")))]
    pub fn get(&self, id: u32) -> Option<ClickTarget> {
        let targets = self.recent.lock().unwrap_or_else(|p| p.into_inner());
        targets.iter().rev().find(|(i, _)| *i == id).map(|(_, t)| t.clone())
    }

    /// Forgets every notification: their ids belonged to a bus (and a notification service)
    /// that went away, and the next service hands the same ids to other programs'
    /// notifications, whose clicks must not open Herald's links.
    #[cfg(all(unix, not(target_os = "macos")))]
    pub fn forget_all(&self) {
        self.recent.lock().unwrap_or_else(|p| p.into_inner()).clear();
    }

    /// The user activated a notification whose actions lead to `target`: `key` is the action
    /// (`default` for the notification itself).
    pub fn clicked(&self, target: &ClickTarget, key: &str) {
        if let Some(click) = target.click(key) {
            tracing::info!(key, "notification clicked");
            if let Some(handler) = self.handler.get() {
                handler(click);
            }
        }
    }
}

/// Listens for `ActionInvoked` on the session bus and hands each click to `on_click`, on a
/// thread of its own that connects there: a bus that does not answer must not hold the
/// resident's start (the feeds), and one that went away (restarted) is listened to again.
#[cfg(all(unix, not(target_os = "macos")))]
pub fn listen(
    targets: std::sync::Arc<ClickTargets>,
    on_click: impl Fn(Click) + Send + Sync + 'static,
) -> anyhow::Result<()> {
    use std::time::{Duration, Instant};
    // Clicks made while the listener waits are lost: the longest wait stays short (one
    // wake-up in 10 s without a bus is nothing).
    const FIRST_RETRY: Duration = Duration::from_secs(1);
    const LAST_RETRY: Duration = Duration::from_secs(10);
    let _ = targets.handler.set(Box::new(on_click));
    std::thread::Builder::new().name("notification-clicks".into()).spawn(move || {
        let (mut retry, mut said, mut before) = (FIRST_RETRY, false, false);
        loop {
            let since = Instant::now();
            match subscribe() {
                Ok(signals) => {
                    if std::mem::replace(&mut before, true) {
                        targets.forget_all();
                    }
                    for message in signals {
                        let Ok(message) = message else { continue };
                        let Ok((id, key)) = message.body().deserialize::<(u32, String)>() else {
                            continue;
                        };
                        if let Some(target) = targets.get(id) {
                            targets.clicked(&target, &key);
                        }
                    }
                    tracing::info!(
                        "the session bus closed; listening for notification clicks again"
                    );
                }
                Err(e) if !said => {
                    said = true;
                    tracing::warn!("clicks on notifications will do nothing for now: {e:#}");
                }
                Err(e) => tracing::debug!("cannot listen for notification clicks: {e:#}"),
            }
            // A bus that keeps closing at once is tried less and less often; one that stayed
            // a while is tried again at once.
            if since.elapsed() >= LAST_RETRY {
                retry = FIRST_RETRY;
            }
            std::thread::sleep(retry);
            retry = (retry * 2).min(LAST_RETRY);
        }
    })?;
    Ok(())
}

#[cfg(all(unix, not(target_os = "macos")))]
fn subscribe() -> anyhow::Result<zbus::blocking::MessageIterator> {
    use anyhow::Context;
    let connection = zbus::blocking::Connection::session().context("no session bus")?;
    let rule = zbus::MatchRule::builder()
        .msg_type(zbus::message::Type::Signal)
        .interface("org.freedesktop.Notifications")?
        .member("ActionInvoked")?
        .build();
    zbus::blocking::MessageIterator::for_match_rule(rule, &connection, None)
        .context("cannot listen for notification clicks")
}

/// Windows and macOS report each notification's activation to the notifier, which hands it to
/// [`ClickTargets::clicked`]: nothing to listen to.
#[cfg(not(all(unix, not(target_os = "macos"))))]
pub fn listen(
    targets: std::sync::Arc<ClickTargets>,
    on_click: impl Fn(Click) + Send + Sync + 'static,
) -> anyhow::Result<()> {
    let _ = targets.handler.set(Box::new(on_click));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clicks_lead_where_the_notification_says() {
        let with_link = ClickTarget {
            link: Some("https://ci.example/1".into()),
            history_id: Some(7),
            buttons: vec!["https://portal.example".into()],
        };
        assert_eq!(
            with_link.click("default"),
            Some(Click::OpenLink("https://ci.example/1".into()))
        );
        assert_eq!(with_link.click("read"), Some(Click::MarkRead(7)));
        assert_eq!(
            with_link.click("view:0"),
            Some(Click::OpenLink("https://portal.example".into()))
        );
        assert_eq!(with_link.click("view:1"), None);
        let no_link = ClickTarget { link: None, history_id: Some(7), buttons: vec![] };
        assert_eq!(no_link.click("default"), Some(Click::ShowEvent(7)));
        assert_eq!(no_link.click("open"), None, "no link, nothing to open");
    }

    #[cfg(all(unix, not(target_os = "macos")))]
    #[test]
    fn only_the_recent_notifications_are_remembered() {
        let no_link = ClickTarget { link: None, history_id: Some(7), buttons: vec![] };
        let targets = ClickTargets::default();
        for id in 0..300 {
            targets.remember(id, no_link.clone());
        }
        assert!(targets.get(10).is_none(), "only the recent ones are kept");
        assert!(targets.get(299).is_some());
        targets.forget_all();
        assert!(targets.get(299).is_none(), "a new bus's ids are other programs' too");
    }

    #[test]
    fn an_activation_reaches_the_resident_as_what_it_means() {
        let targets = ClickTargets::default();
        let (tx, rx) = std::sync::mpsc::channel();
        let tx = std::sync::Mutex::new(tx);
        let _ = targets.handler.set(Box::new(move |click| {
            let _ = tx.lock().unwrap().send(click);
        }));
        let target = ClickTarget { link: None, history_id: Some(7), buttons: vec![] };
        targets.clicked(&target, "default");
        targets.clicked(&target, "read");
        targets.clicked(&target, "open");
        assert_eq!(rx.try_iter().collect::<Vec<_>>(), [Click::ShowEvent(7), Click::MarkRead(7)]);
    }
}
