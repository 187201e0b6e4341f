//! The history, for every client: listing it (`herald history` and the history window ask the
//! same question, [`list`]), marking entries read and deleting them (one entry, one feed's or
//! all).

use herald_store::{Entry, HistoryQuery, Scope, Store};

use crate::ApiError;

/// Which entries an action applies to.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize, ts_rs::TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[ts(export)]
pub enum HistoryScope {
    One {
        #[ts(type = "number")]
        id: i64,
    },
    Feed {
        feed_id: String,
    },
    All,
}

impl From<HistoryScope> for Scope {
    fn from(scope: HistoryScope) -> Self {
        match scope {
            HistoryScope::One { id } => Scope::One(id),
            HistoryScope::Feed { feed_id } => Scope::Feed(feed_id),
            HistoryScope::All => Scope::All,
        }
    }
}

/// Which entries to list, newest first.
#[derive(Debug, Clone, Default)]
pub struct Listing {
    pub feed_id: Option<String>,
    /// Entries that contain these words; blank is no search.
    pub search: Option<String>,
    pub unread_only: bool,
    /// Only entries older than this one (the next page).
    pub before: Option<i64>,
    pub limit: usize,
}

pub(crate) fn list(store: &Store, listing: Listing) -> Result<Vec<Entry>, ApiError> {
    let query = HistoryQuery {
        feed_id: listing.feed_id,
        search: listing.search.filter(|s| !s.trim().is_empty()),
        unread_only: listing.unread_only,
        before_id: listing.before,
        limit: listing.limit,
    };
    Ok(store.history(&query)?)
}

/// Every entry, oldest first, one at a time (an export of any size).
pub(crate) fn for_each(
    store: &Store,
    each: impl FnMut(&Entry) -> std::io::Result<()>,
) -> Result<(), ApiError> {
    Ok(store.for_each_entry(each)?)
}

/// The retention settings applied as of `now`: each feed keeps at most its newest N entries, at
/// most M MiB of them, nothing older than D days. Returns how many entries went.
pub(crate) fn apply_retention(
    store: &mut Store,
    now: herald_store::Millis,
) -> Result<usize, ApiError> {
    let settings = store.settings()?;
    let cutoff = settings.retention_days.map(|days| now - i64::from(days) * 86_400_000);
    let bytes = settings.retention_mib_per_feed.map(|mib| u64::from(mib) * 1024 * 1024);
    Ok(store.apply_retention(settings.retention_per_feed, bytes, cutoff)?)
}

/// Marks entries read (or unread); returns how many changed.
pub(crate) fn mark_read(
    store: &mut Store,
    scope: HistoryScope,
    read: bool,
) -> Result<usize, ApiError> {
    Ok(store.set_read(&scope.into(), read)?)
}

/// Deletes entries; returns how many.
pub(crate) fn delete(store: &mut Store, scope: HistoryScope) -> Result<usize, ApiError> {
    Ok(store.delete_history(&scope.into())?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_blank_search_is_no_search_from_every_client() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&Store::path_in(dir.path())).unwrap();
        let spec = herald_store::FeedSpec {
            name: "Builds".into(),
            url: "http://127.0.0.1:1/".into(),
            ..herald_store::FeedSpec::default()
        };
        let feed = store.add_feed(&spec).unwrap();
        let event = herald_store::Incoming {
            feed_id: feed.id.clone(),
            resume_position: String::new(),
            event_id: None,
            event_type: "message".into(),
            data: "deploy done".into(),
            kept: Some(herald_store::Rendered {
                title: "Deploy".into(),
                body: "deploy done".into(),
                link: None,
                priority: None,
            }),
            received_at: 1,
        };
        store.accept(&event).unwrap();
        for search in [None, Some(""), Some("   "), Some("deploy")] {
            let listing =
                Listing { search: search.map(str::to_owned), limit: 10, ..Listing::default() };
            assert_eq!(list(&store, listing).unwrap().len(), 1, "{search:?}");
        }
        let listing = Listing { search: Some("nothing".into()), limit: 10, ..Listing::default() };
        assert!(list(&store, listing).unwrap().is_empty());
    }
}
