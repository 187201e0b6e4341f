//! What the resident does for the tray: keep the tray's model in line with the store (feeds,
//! their live states, unread counts, do-not-disturb, written by this process or any other), and
//! carry out the menu's actions through the same API the command line uses.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use herald_api::DataDir;
use herald_api::feeds::FeedOptions;
use herald_engine::Engine;
use herald_store::{Millis, Store, now_millis};

use crate::tray_model::{Action, TrayModel};
use crate::ui_launcher::{self, Window};

/// Notices changes in the store cheaply: the model is rebuilt only when another connection
/// committed something.
pub struct TrayFeed {
    store: Store,
    seen_version: Option<i64>,
    /// The engine's trouble with the store, which no commit announces (it is what fails).
    trouble: Arc<Mutex<Option<String>>>,
    seen_trouble: Option<String>,
}

impl TrayFeed {
    pub fn new(store: Store, trouble: Arc<Mutex<Option<String>>>) -> Self {
        Self { store, seen_version: None, trouble, seen_trouble: None }
    }

    /// The model, when something may have changed since the last call.
    pub fn changed_model(&mut self) -> Option<TrayModel> {
        let version = self.store.data_version().ok()?;
        let trouble = self.trouble.lock().ok()?.clone();
        if self.seen_version == Some(version) && self.seen_trouble == trouble {
            return None;
        }
        self.seen_version = Some(version);
        self.seen_trouble.clone_from(&trouble);
        let statuses = self.store.feed_statuses().ok()?;
        let dnd = self.store.settings().ok()?.do_not_disturb;
        Some(TrayModel::new(&statuses, dnd, now_millis()).with_store_trouble(trouble))
    }

    /// Forces a rebuild at the next call (after this connection wrote something itself, which
    /// does not move its own data_version).
    pub fn invalidate(&mut self) {
        self.seen_version = None;
    }

    pub fn perform(&mut self, action: Action, engine: &Engine, data_dir: &DataDir) {
        let result = self.run(action, engine, data_dir);
        if let Err(e) = result {
            tracing::warn!("the tray action failed: {e:#}");
        }
        self.invalidate();
    }

    fn run(&mut self, action: Action, engine: &Engine, data_dir: &DataDir) -> anyhow::Result<()> {
        let store = &mut self.store;
        match action {
            Action::OpenHistory => ui_launcher::open(data_dir, Window::History, None)?,
            Action::OpenSettings => ui_launcher::open(data_dir, Window::Settings, None)?,
            Action::Pause(id) => store.set_enabled(&id, false)?,
            Action::Resume(id) => store.set_enabled(&id, true)?,
            Action::MuteFor(id, duration) => {
                snooze(store, &id, Some(now_millis() + millis(duration)))?
            }
            Action::MuteUntilTomorrow(id) => snooze(store, &id, Some(tomorrow_morning()))?,
            Action::Unmute(id) => {
                let options = FeedOptions {
                    muted: Some(false),
                    snooze_until: Some(None),
                    ..FeedOptions::default()
                };
                herald_api::feeds::edit(store, &id, options)?;
            }
            Action::Reconnect(id) => engine.reconnect(Some(&id)),
            Action::Run(id) => engine.run(&id),
            Action::PauseAll | Action::ResumeAll => {
                let enable = action == Action::ResumeAll;
                for feed in store.feeds()? {
                    store.set_enabled(&feed.id, enable)?;
                }
            }
            Action::ToggleDoNotDisturb => {
                let on = store.settings()?.do_not_disturb;
                herald_api::settings::set_do_not_disturb(store, !on)?;
            }
            Action::Quit => {}
        }
        Ok(())
    }
}

fn snooze(store: &mut Store, id: &str, until: Option<Millis>) -> anyhow::Result<()> {
    let options = FeedOptions { snooze_until: Some(until), ..FeedOptions::default() };
    herald_api::feeds::edit(store, id, options)?;
    Ok(())
}

fn millis(d: Duration) -> Millis {
    d.as_millis() as Millis
}

/// 8:00 tomorrow, local time: "until tomorrow" means until the working day starts.
fn tomorrow_morning() -> Millis {
    use chrono::{Duration as Days, Local, NaiveTime};
    let date = Local::now().date_naive() + Days::days(1);
    date.and_time(NaiveTime::from_hms_opt(8, 0, 0).unwrap_or_default())
        .and_local_timezone(Local)
        .earliest()
        .map_or_else(|| now_millis() + 86_400_000, |t| t.timestamp_millis())
}

/// How often the resident looks for changes to show in the tray.
pub const REFRESH: Duration = Duration::from_millis(500);
