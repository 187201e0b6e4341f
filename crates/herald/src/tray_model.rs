//! What the tray shows, computed from the feeds' states, the unread count and do-not-disturb,
//! with no UI in it: the icon, the tooltip ("Herald: 5 feeds live, 1 retrying, 12 unread") and
//! the menu as a tree of labelled actions. `tray.rs` draws it; the resident carries out actions.

use std::time::Duration;

use herald_api::model::Phase;
use herald_api::{FeedStatus, Millis};

/// The icons the tray shows: a glance tells whether everything is fine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrayLook {
    Normal,
    /// A feed is retrying or stopped.
    Attention,
    Unread,
    /// Do not disturb, or every feed paused.
    Paused,
}

/// What a menu item does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    OpenHistory,
    OpenSettings,
    Pause(String),
    Resume(String),
    MuteFor(String, Duration),
    MuteUntilTomorrow(String),
    Unmute(String),
    Reconnect(String),
    /// A finished feed runs again.
    Run(String),
    PauseAll,
    ResumeAll,
    ToggleDoNotDisturb,
    Quit,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry {
    Item { label: String, action: Action },
    Check { label: String, checked: bool, action: Action },
    Submenu { label: String, items: Vec<Entry> },
    Separator,
}

/// One feed as the tray sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrayFeed {
    pub id: String,
    pub name: String,
    /// connecting, live, retrying, stopped or disabled.
    pub state: Phase,
    /// Muted or snoozed (`FeedSpec::quiet`).
    pub quiet: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrayModel {
    pub feeds: Vec<TrayFeed>,
    pub unread: i64,
    pub do_not_disturb: bool,
    /// Events cannot be stored (a full disk): the feeds' own states cannot say so.
    pub store_trouble: Option<String>,
}

impl TrayModel {
    pub fn new(statuses: &[FeedStatus], do_not_disturb: bool, now: Millis) -> Self {
        let feeds = statuses
            .iter()
            .map(|s| TrayFeed {
                id: s.feed.id.clone(),
                name: s.feed.spec.name.clone(),
                state: s.state(),
                quiet: s.feed.spec.quiet(now),
            })
            .collect();
        let unread = statuses.iter().map(|s| s.unread).sum();
        Self { feeds, unread, do_not_disturb, store_trouble: None }
    }

    pub fn with_store_trouble(mut self, trouble: Option<String>) -> Self {
        self.store_trouble = trouble;
        self
    }

    fn count(&self, state: Phase) -> usize {
        self.feeds.iter().filter(|f| f.state == state).count()
    }

    fn troubled(&self) -> usize {
        self.count(Phase::Retrying) + self.count(Phase::Stopped)
    }

    pub fn look(&self) -> TrayLook {
        let all_paused = !self.feeds.is_empty() && self.count(Phase::Disabled) == self.feeds.len();
        if self.store_trouble.is_some() {
            TrayLook::Attention
        } else if self.do_not_disturb || all_paused {
            TrayLook::Paused
        } else if self.troubled() > 0 {
            TrayLook::Attention
        } else if self.unread > 0 {
            TrayLook::Unread
        } else {
            TrayLook::Normal
        }
    }

    pub fn tooltip(&self) -> String {
        if let Some(trouble) = &self.store_trouble {
            return format!("Herald: events cannot be stored ({trouble})");
        }
        if self.feeds.is_empty() {
            return "Herald: no feeds yet".into();
        }
        let plural =
            |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
        let mut parts = vec![format!("{} live", plural(self.count(Phase::Live), "feed", "feeds"))];
        for state in [Phase::Connecting, Phase::Retrying, Phase::Stopped, Phase::Finished] {
            let n = self.count(state);
            if n > 0 {
                parts.push(format!("{n} {state}"));
            }
        }
        let paused = self.count(Phase::Disabled);
        if paused > 0 {
            parts.push(format!("{paused} paused"));
        }
        parts.push(format!("{} unread", self.unread));
        let mut text = format!("Herald: {}", parts.join(", "));
        if self.do_not_disturb {
            text.push_str(" (do not disturb)");
        }
        text
    }

    pub fn menu(&self) -> Vec<Entry> {
        let mut menu: Vec<Entry> = self.feeds.iter().map(feed_entry).collect();
        if !menu.is_empty() {
            menu.push(Entry::Separator);
            let any_running = self.feeds.iter().any(|f| f.state != Phase::Disabled);
            menu.push(if any_running {
                Entry::Item { label: "Pause all".into(), action: Action::PauseAll }
            } else {
                Entry::Item { label: "Resume all".into(), action: Action::ResumeAll }
            });
        }
        menu.push(Entry::Check {
            label: "Do not disturb".into(),
            checked: self.do_not_disturb,
            action: Action::ToggleDoNotDisturb,
        });
        menu.push(Entry::Separator);
        menu.push(Entry::Item { label: "Open Herald".into(), action: Action::OpenHistory });
        menu.push(Entry::Item { label: "Settings…".into(), action: Action::OpenSettings });
        menu.push(Entry::Separator);
        menu.push(Entry::Item { label: "Quit".into(), action: Action::Quit });
        menu
    }
}

fn feed_entry(feed: &TrayFeed) -> Entry {
    let state = match feed.state {
        Phase::Disabled => "paused",
        other => other.as_str(),
    };
    let quiet = if feed.quiet { ", muted" } else { "" };
    let id = || feed.id.clone();
    let mut items = vec![Entry::Item { label: "Open history".into(), action: Action::OpenHistory }];
    items.push(if feed.state == Phase::Disabled {
        Entry::Item { label: "Resume".into(), action: Action::Resume(id()) }
    } else {
        Entry::Item { label: "Pause".into(), action: Action::Pause(id()) }
    });
    if feed.quiet {
        items.push(Entry::Item { label: "Unmute".into(), action: Action::Unmute(id()) });
    } else {
        items.push(Entry::Item {
            label: "Mute for 1 hour".into(),
            action: Action::MuteFor(id(), Duration::from_secs(3600)),
        });
        items.push(Entry::Item {
            label: "Mute until tomorrow".into(),
            action: Action::MuteUntilTomorrow(id()),
        });
    }
    if feed.state != Phase::Disabled {
        // A finished feed (a POST job's stream) starts over only when asked, here.
        items.push(if feed.state == Phase::Finished {
            Entry::Item { label: "Run again".into(), action: Action::Run(id()) }
        } else {
            Entry::Item { label: "Reconnect now".into(), action: Action::Reconnect(id()) }
        });
    }
    Entry::Submenu { label: format!("{}: {state}{quiet}", feed.name), items }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn feed(name: &str, state: &str) -> TrayFeed {
        TrayFeed { id: name.into(), name: name.into(), state: state.parse().unwrap(), quiet: false }
    }

    #[test]
    fn the_icon_and_tooltip_tell_the_truth() {
        let mut model = TrayModel {
            feeds: vec![feed("a", "live"), feed("b", "live"), feed("c", "retrying")],
            unread: 12,
            do_not_disturb: false,
            store_trouble: None,
        };
        assert_eq!(model.look(), TrayLook::Attention);
        assert_eq!(model.tooltip(), "Herald: 2 feeds live, 1 retrying, 12 unread");
        model.feeds[2].state = Phase::Live;
        assert_eq!(model.look(), TrayLook::Unread);
        model.unread = 0;
        assert_eq!(model.look(), TrayLook::Normal);
        model.do_not_disturb = true;
        assert_eq!(model.look(), TrayLook::Paused);
        assert!(model.tooltip().ends_with("(do not disturb)"));
        let paused = TrayModel { feeds: vec![feed("a", "disabled")], ..TrayModel::default() };
        assert_eq!(paused.look(), TrayLook::Paused);
        assert_eq!(TrayModel::default().tooltip(), "Herald: no feeds yet");
        let full = TrayModel::default().with_store_trouble(Some("database or disk is full".into()));
        assert_eq!(full.look(), TrayLook::Attention);
        assert_eq!(full.tooltip(), "Herald: events cannot be stored (database or disk is full)");
    }

    #[test]
    fn each_feed_has_its_state_and_actions() {
        let mut muted = feed("Alerts", "live");
        muted.quiet = true;
        let model = TrayModel {
            feeds: vec![muted, feed("CI", "disabled")],
            unread: 0,
            do_not_disturb: false,
            store_trouble: None,
        };
        let menu = model.menu();
        let Entry::Submenu { label, items } = &menu[0] else { panic!("{menu:?}") };
        assert_eq!(label, "Alerts: live, muted");
        assert!(items.contains(&Entry::Item {
            label: "Unmute".into(),
            action: Action::Unmute("Alerts".into())
        }));
        let Entry::Submenu { label, items } = &menu[1] else { panic!() };
        assert_eq!(label, "CI: paused");
        assert!(items.iter().any(|e| matches!(e, Entry::Item { action: Action::Resume(_), .. })));
        assert!(
            !items.iter().any(|e| matches!(e, Entry::Item { action: Action::Reconnect(_), .. }))
        );
        assert!(
            menu.contains(&Entry::Item { label: "Pause all".into(), action: Action::PauseAll })
        );
        assert!(menu.contains(&Entry::Item { label: "Quit".into(), action: Action::Quit }));
    }
}
