//! Changing the history from the windows: marking read and deleting, one entry, one feed's or
//! all. (Reading it is in `views`.)

use herald_store::{Scope, Store};

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

/// Marks entries read (or unread); returns how many changed.
pub fn mark_read(store: &mut Store, scope: HistoryScope, read: bool) -> Result<usize, ApiError> {
    Ok(store.set_read(&scope.into(), read)?)
}

/// Deletes entries; returns how many.
pub fn delete(store: &mut Store, scope: HistoryScope) -> Result<usize, ApiError> {
    Ok(store.delete_history(&scope.into())?)
}
