//! What the windows show, as the windows receive it: feeds with their state, history entries and
//! the general settings. These types are the bridge's contract: ts-rs generates their TypeScript
//! twins into `ui/src/lib/bindings` (`cargo test -p herald-api`), and `make test` fails when those
//! files are stale.

use herald_store::{Entry, FeedStatus, Store, rfc3339};

use herald_os::autostart;

use crate::ApiError;

/// One feed in the settings window's list.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, ts_rs::TS)]
#[ts(export)]
pub struct FeedView {
    pub id: String,
    pub name: String,
    pub url: String,
    pub enabled: bool,
    pub preset: herald_model::Preset,
    /// The kind of credentials only, never the secret.
    pub auth: herald_model::AuthKind,
    pub state: herald_model::Phase,
    /// In words: "live since 14:05", "retrying in 12 s: connection refused".
    pub state_detail: String,
    pub last_event_at: Option<String>,
    #[ts(type = "number")]
    pub unread: i64,
    /// Muted or snoozed now: its events notify nobody (`FeedSpec::quiet`), shown as "muted".
    pub quiet: bool,
}

impl From<&FeedStatus> for FeedView {
    fn from(s: &FeedStatus) -> Self {
        FeedView {
            id: s.feed.id.clone(),
            name: s.feed.spec.name.clone(),
            url: s.feed.spec.url.clone(),
            enabled: s.feed.spec.enabled,
            preset: s.feed.spec.preset,
            auth: s.feed.spec.auth.clone(),
            state: s.state(),
            state_detail: s.state_detail(),
            last_event_at: s.resume.last_event_at.map(rfc3339),
            unread: s.unread,
            quiet: s.feed.spec.quiet(herald_store::now_millis()),
        }
    }
}

/// One history entry. Event data is untrusted: the windows show it as text only.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, ts_rs::TS)]
#[ts(export)]
pub struct EntryView {
    #[ts(type = "number")]
    pub id: i64,
    pub feed: String,
    pub feed_id: String,
    pub event_id: Option<String>,
    pub event_type: String,
    pub data: String,
    pub title: String,
    pub body: String,
    pub link: Option<String>,
    pub priority: Option<u8>,
    pub received_at: String,
    pub read: bool,
    /// With a search: the best matching passage, each match between U+E000 and U+E001.
    pub snippet: Option<String>,
}

impl From<Entry> for EntryView {
    fn from(e: Entry) -> Self {
        EntryView {
            id: e.id,
            feed: e.feed,
            feed_id: e.feed_id,
            event_id: e.event_id,
            event_type: e.event_type,
            data: e.data,
            title: e.title,
            body: e.body,
            link: e.link,
            priority: e.priority,
            received_at: rfc3339(e.received_at),
            read: e.read,
            snippet: e.snippet,
        }
    }
}

/// The settings window's "General" section, as the OS and the store have them.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, ts_rs::TS)]
#[ts(export)]
pub struct GeneralView {
    pub do_not_disturb: bool,
    pub quiet_from: Option<String>,
    pub quiet_to: Option<String>,
    /// What the OS will start at login (not a stored flag).
    pub launch_at_login: bool,
    pub settings: GeneralSettings,
}

/// The general settings a person edits as numbers (the others have their own switches).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct GeneralSettings {
    /// More than this many events from one feed within `coalesce_window_s` become one summary.
    pub coalesce_count: u32,
    pub coalesce_window_s: u32,
    /// A feed down for longer than this raises one notification.
    pub health_down_after_s: u32,
    /// At most this many entries per feed (none: no limit).
    pub retention_per_feed: Option<u32>,
    /// At most this many MiB of entries per feed (none: no limit).
    pub retention_mib_per_feed: Option<u32>,
    /// Entries older than this many days go (none: never).
    pub retention_days: Option<u32>,
}

/// Pushed to every window when the store changed (in any process): it re-reads what it shows.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, ts_rs::TS)]
#[ts(export)]
pub struct StoreChanged {
    #[ts(type = "number")]
    pub version: i64,
}

pub(crate) fn feeds(
    data_dir: &herald_os::DataDir,
    store: &Store,
) -> Result<Vec<FeedView>, ApiError> {
    Ok(crate::trouble::feed_statuses(data_dir, store)?.iter().map(FeedView::from).collect())
}

/// What the history window asks for: newest first, optionally one feed's, unread only or
/// matching a search; `before` (an entry id) for the next page.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize, ts_rs::TS)]
#[serde(default)]
#[ts(export)]
pub struct HistoryFilter {
    pub feed_id: Option<String>,
    pub search: Option<String>,
    pub unread_only: bool,
    #[ts(type = "number | null")]
    pub before: Option<i64>,
}

/// One page of history.
pub const PAGE: usize = 200;

pub(crate) fn history(store: &Store, filter: HistoryFilter) -> Result<Vec<EntryView>, ApiError> {
    let listing = crate::history::Listing {
        feed_id: filter.feed_id,
        search: filter.search,
        unread_only: filter.unread_only,
        before: filter.before,
        limit: PAGE,
    };
    Ok(crate::history::list(store, listing)?.into_iter().map(EntryView::from).collect())
}

pub(crate) fn general(store: &Store) -> Result<GeneralView, ApiError> {
    let settings = store.settings()?;
    Ok(GeneralView {
        do_not_disturb: settings.do_not_disturb,
        quiet_from: settings.quiet_from.map(|t| t.to_string()),
        quiet_to: settings.quiet_to.map(|t| t.to_string()),
        launch_at_login: autostart::status()?.enabled,
        settings: GeneralSettings {
            coalesce_count: settings.coalesce_count,
            coalesce_window_s: settings.coalesce_window_s,
            health_down_after_s: settings.health_down_after_s,
            retention_per_feed: settings.retention_per_feed,
            retention_mib_per_feed: settings.retention_mib_per_feed,
            retention_days: settings.retention_days,
        },
    })
}
