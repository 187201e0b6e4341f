//! The one door into Herald's data. A [`Herald`] holds the store and the keyring; each use case
//! is a method, and the command line, the resident's tray and the windows all call the same
//! ones. The modules next to this one hold the use cases' logic, reachable only through here;
//! outside this crate only the engine, which keeps its own connections, opens the store.

use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};

use herald_os::DataDir;
use herald_secrets::{SecretStore, Sensitive};
use herald_store::changes::{Beacon, Follower};
use herald_store::{Entry, Feed, FeedStatus, Millis, QuietHours, Settings, Store};

use crate::feed_form::{self, ConnectionTest, FeedForm, PreviewView};
use crate::feeds::{self, FeedOptions};
use crate::history::{self, HistoryScope, Listing};
use crate::model::AuthKind;
use crate::store_access::Shared;
use crate::views::{self, EntryView, FeedView, GeneralSettings, GeneralView, HistoryFilter};
use crate::{ApiError, credentials, feed_file, settings, trouble};

/// Herald's data in one data folder: its own connection to the store (processes meet in the
/// file) and the OS keyring. Use cases that also call the keyring take the store a step at a
/// time, so a keyring that asks to be unlocked never holds up another caller.
pub struct Herald {
    data_dir: DataDir,
    store: Mutex<Store>,
    secrets: Arc<dyn SecretStore>,
}

impl std::fmt::Debug for Herald {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Herald").field("data_dir", &self.data_dir).finish_non_exhaustive()
    }
}

impl Herald {
    /// Opens (or creates, or migrates) the store in `data_dir`; a damaged or too new database
    /// is refused here, with words.
    pub fn open(data_dir: DataDir, secrets: Arc<dyn SecretStore>) -> Result<Self, ApiError> {
        let store = Store::open(&Store::path_in(data_dir.path()))?;
        Ok(Self { data_dir, store: Mutex::new(store), secrets })
    }

    pub fn data_dir(&self) -> &DataDir {
        &self.data_dir
    }

    /// The database file, for the engine, which keeps its own connections.
    pub fn database(&self) -> PathBuf {
        Store::path_in(self.data_dir.path())
    }

    fn store(&self) -> MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn shared(&self) -> Shared<'_> {
        Shared(&self.store)
    }

    /// Calls `on_change` after commits to the store by any process (`Beacon::Config`: only
    /// those of what a person changes: feeds, settings, requests, read marks, deleted history).
    pub fn follow(&self, beacon: Beacon, on_change: impl Fn() + Send + Sync + 'static) -> Follower {
        Follower::start(&self.database(), beacon, on_change)
    }

    /// Moves at every commit of what `Beacon::Config` rings for (by any process); a
    /// cheap hint, see [`Stamp`](herald_store::changes::Stamp): for feeds and settings
    /// `config_version` is the truth.
    pub fn config_stamp(&self) -> Option<herald_store::changes::Stamp> {
        herald_store::changes::stamp(&herald_store::changes::beacon_path(
            &self.database(),
            Beacon::Config,
        ))
    }

    /// The resident's trouble with the store (a full disk), in its words, while it has any.
    pub fn store_trouble(&self) -> Option<String> {
        trouble::read(&self.data_dir)
    }

    /// Changes whenever another connection commits; cheap enough to ask after every signal.
    pub fn data_version(&self) -> Result<i64, ApiError> {
        Ok(self.store().data_version()?)
    }

    // Feeds.

    pub fn feeds(&self) -> Result<Vec<FeedView>, ApiError> {
        views::feeds(&self.data_dir, &self.store())
    }

    /// Every feed with its live state, the resident's trouble with the store folded in.
    pub fn feed_statuses(&self) -> Result<Vec<FeedStatus>, ApiError> {
        trouble::feed_statuses(&self.data_dir, &self.store())
    }

    /// Every feed with its live state as the store has it, for the resident, which shows its
    /// own trouble with the store itself.
    pub fn stored_statuses(&self) -> Result<Vec<FeedStatus>, ApiError> {
        Ok(self.store().feed_statuses()?)
    }

    pub fn find_feed(&self, name_or_id: &str) -> Result<Feed, ApiError> {
        Ok(self.store().find_feed(name_or_id)?)
    }

    /// Adds a feed; a secret goes to the keyring (and the feed is not added if it cannot).
    pub fn add_feed(
        &self,
        options: FeedOptions,
        secret: Option<Sensitive<String>>,
    ) -> Result<Feed, ApiError> {
        credentials::add(&mut self.shared(), &*self.secrets, options, secret)
    }

    pub fn edit_feed(&self, name_or_id: &str, options: FeedOptions) -> Result<Feed, ApiError> {
        feeds::edit(&mut self.store(), name_or_id, options)
    }

    /// Sets, changes or (with `AuthKind::None`) removes a feed's credentials.
    pub fn set_credentials(
        &self,
        name_or_id: &str,
        kind: AuthKind,
        secret: Option<Sensitive<String>>,
    ) -> Result<Feed, ApiError> {
        credentials::set(&mut self.shared(), &*self.secrets, name_or_id, kind, secret)
    }

    /// Removes a feed and its secret (its history too, unless `keep_history`).
    pub fn remove_feed(&self, name_or_id: &str, keep_history: bool) -> Result<Feed, ApiError> {
        credentials::remove(&mut self.shared(), &*self.secrets, name_or_id, keep_history)
    }

    pub fn set_enabled(&self, name_or_id: &str, enabled: bool) -> Result<Feed, ApiError> {
        feeds::set_enabled(&mut self.store(), name_or_id, enabled)
    }

    /// Every feed on or off (the tray's "Pause all").
    pub fn set_all_enabled(&self, enabled: bool) -> Result<(), ApiError> {
        feeds::set_all_enabled(&mut self.store(), enabled)
    }

    /// No notifications from a feed until `until` (None: from now on again).
    pub fn snooze(&self, name_or_id: &str, until: Option<Millis>) -> Result<Feed, ApiError> {
        let options = FeedOptions { snooze_until: Some(until), ..FeedOptions::default() };
        self.edit_feed(name_or_id, options)
    }

    /// Notifications from a feed again: neither muted nor snoozed.
    pub fn unmute(&self, name_or_id: &str) -> Result<Feed, ApiError> {
        let options =
            FeedOptions { muted: Some(false), snooze_until: Some(None), ..FeedOptions::default() };
        self.edit_feed(name_or_id, options)
    }

    /// Asks the resident to reconnect a feed now.
    pub fn reconnect(&self, name_or_id: &str) -> Result<Feed, ApiError> {
        feeds::reconnect(&mut self.store(), name_or_id)
    }

    /// Runs a finished feed again (now, or when the resident starts).
    pub fn run_again(&self, name_or_id: &str) -> Result<Feed, ApiError> {
        feeds::run(&mut self.store(), name_or_id)
    }

    pub fn export_feeds(&self) -> Result<String, ApiError> {
        feed_file::export(&self.store())
    }

    /// Adds every feed of an export or none; `source` names the file in messages.
    pub fn import_feeds(&self, text: &str, source: &str) -> Result<usize, ApiError> {
        feed_file::import(&mut self.store(), text, source)
    }

    // The settings window's feed form.

    pub fn feed_form(&self, feed_id: Option<&str>) -> Result<FeedForm, ApiError> {
        feed_form::form(&self.store(), feed_id)
    }

    pub fn save_feed_form(
        &self,
        feed_id: Option<&str>,
        form: &FeedForm,
        secret: Option<Sensitive<String>>,
    ) -> Result<FeedView, ApiError> {
        feed_form::save(&mut self.shared(), &*self.secrets, feed_id, form, secret)
    }

    pub fn preview(&self, feed_id: Option<&str>, form: &FeedForm) -> PreviewView {
        feed_form::preview(&self.store(), feed_id, form)
    }

    /// Connects once with the form's settings and reports; nothing is stored or notified.
    /// The keyring and the store are read first (blocking), then the connection is awaited.
    pub fn prepare_test(
        &self,
        feed_id: Option<&str>,
        form: &FeedForm,
        secret: Option<Sensitive<String>>,
    ) -> Result<PreparedTest, ApiError> {
        let (feed, secret) =
            feed_form::prepare_test(&mut self.shared(), &*self.secrets, feed_id, form, secret)?;
        Ok(PreparedTest { feed, secret })
    }

    // History.

    pub fn history(&self, listing: Listing) -> Result<Vec<Entry>, ApiError> {
        history::list(&self.store(), listing)
    }

    pub fn history_views(&self, filter: HistoryFilter) -> Result<Vec<EntryView>, ApiError> {
        views::history(&self.store(), filter)
    }

    /// Every entry, oldest first (an export), without holding them all in memory.
    pub fn for_each_entry(
        &self,
        each: impl FnMut(&Entry) -> std::io::Result<()>,
    ) -> Result<(), ApiError> {
        history::for_each(&self.store(), each)
    }

    /// Marks entries read (or unread); returns how many changed.
    pub fn mark_read(&self, scope: HistoryScope, read: bool) -> Result<usize, ApiError> {
        history::mark_read(&mut self.store(), scope, read)
    }

    pub fn delete_history(&self, scope: HistoryScope) -> Result<usize, ApiError> {
        history::delete(&mut self.store(), scope)
    }

    /// Applies the retention settings (newest N, M MiB, D days per feed) as of `now`; returns
    /// how many entries went.
    pub fn apply_retention(&self, now: Millis) -> Result<usize, ApiError> {
        history::apply_retention(&mut self.store(), now)
    }

    // Settings.

    pub fn settings(&self) -> Result<Settings, ApiError> {
        settings::get(&self.store())
    }

    pub fn general(&self) -> Result<GeneralView, ApiError> {
        views::general(&self.store())
    }

    pub fn set_general(&self, general: &GeneralSettings) -> Result<Settings, ApiError> {
        settings::set_general(&mut self.store(), general)
    }

    pub fn set_do_not_disturb(&self, on: bool) -> Result<Settings, ApiError> {
        settings::set_do_not_disturb(&mut self.store(), on)
    }

    /// Daily quiet hours (local time; they may run past midnight), or none.
    pub fn set_quiet_hours(&self, hours: Option<QuietHours>) -> Result<Settings, ApiError> {
        settings::set_quiet_hours(&mut self.store(), hours)
    }
}

/// A connection test ready to run: [`Herald::prepare_test`] did the blocking part.
pub struct PreparedTest {
    feed: Feed,
    secret: Option<Sensitive<String>>,
}

impl PreparedTest {
    /// Connects once and reports (at most 3 events, at most 5 s).
    pub async fn run(self) -> ConnectionTest {
        feed_form::test_connection(self.feed, self.secret).await
    }
}
