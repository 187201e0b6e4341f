//! Herald's store: one SQLite file (WAL) that the resident, the windows and the command line
//! share. It holds feeds and settings, each feed's resume position and live state, and the
//! history with a full-text index. Accepting an event is one transaction, so an event is either
//! stored with its resume position or not at all: nothing is lost, nothing is stored twice.

mod accept;
#[cfg(test)]
mod batched_tests;
pub mod changes;
mod error;
mod feeds;
mod history;
mod open;
mod settings;
mod state;
mod time;

pub use history::Scope as HistoryScope;

pub use accept::{Accepted, Incoming, Rendered};
pub use error::StoreError;
pub use feeds::Feed;
/// The store keeps feeds as `herald-model` describes them.
pub use herald_model::{FeedSpec, Filters, Tuning};
pub use herald_model::{NotATimeOfDay, QuietHours, TimeOfDay};
pub use history::{Entry, HIGHLIGHT_END, HIGHLIGHT_START, HistoryQuery, Scope, fts_query};
pub use settings::Settings;
pub use state::{FeedStatus, LiveState, ResidentRequest, ResumeState};
pub use time::{Millis, now_millis, rfc3339};

use std::path::{Path, PathBuf};

/// The schema this build writes. A database with a higher version came from a newer Herald.
pub const SCHEMA_VERSION: i64 = open::MIGRATIONS.len() as i64;

/// One connection to the store. Each process (and each thread that needs one) opens its own;
/// WAL and a busy timeout let them work at once.
#[derive(Debug)]
pub struct Store {
    conn: rusqlite::Connection,
    path: PathBuf,
}

impl Store {
    /// Opens (creating if needed) the database at `path`, checking it and migrating it.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let conn = open::open(path)?;
        Ok(Self { conn, path: path.to_owned() })
    }

    /// The database file for a data dir.
    pub fn path_in(data_dir: &Path) -> PathBuf {
        data_dir.join("herald.db")
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// A counter that changes whenever another connection commits: after a signal from
    /// [`changes::Follower`], whether anything did.
    pub fn data_version(&self) -> Result<i64, StoreError> {
        // Cached, as every statement the tray and the windows run after each signal: parsing
        // SQL again was a tenth of what a busy resident's main thread spent.
        Ok(self.conn.prepare_cached("PRAGMA data_version")?.query_row([], |r| r.get(0))?)
    }

    /// Every transaction that writes takes the write lock at its start. A deferred one that
    /// reads first and writes later cannot wait for another process's writer (SQLite answers
    /// "busy" at once, since its snapshot is stale); an immediate one waits its turn under the
    /// busy timeout like any single statement.
    fn write_transaction(&mut self) -> Result<rusqlite::Transaction<'_>, StoreError> {
        Ok(self.conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?)
    }

    /// A counter that moves whenever feeds or settings change (in any process): cheaper to
    /// check on every signal than re-reading every feed.
    pub fn config_version(&self) -> Result<i64, StoreError> {
        Ok(self
            .conn
            .prepare_cached("SELECT version FROM config_version WHERE id = 1")?
            .query_row([], |r| r.get(0))?)
    }

    /// Caps the database at `pages` pages (of 4 KiB) on this connection: SQLite then fails
    /// writes with the same "disk full" error a full disk gives, which is how tests reach that
    /// path for real.
    #[doc(hidden)]
    pub fn limit_pages_for_tests(&self, pages: u32) {
        let _ = self.conn.query_row(&format!("PRAGMA max_page_count = {pages}"), [], |_| Ok(()));
    }
}

/// A plain SQLite connection, for tests that must build or damage a database file by hand.
pub use rusqlite::Connection as RawConnection;
