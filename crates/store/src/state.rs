//! Per-feed state: where it resumes (moved only by accepting events) and what it is doing now
//! (written by the resident, read by the windows, the tray and `herald status`).

use herald_model::Phase;
use rusqlite::{OptionalExtension, params};

use crate::{Feed, Millis, Store, StoreError};

#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct ResumeState {
    pub position: String,
    pub last_connected_at: Option<Millis>,
    pub last_event_at: Option<Millis>,
    pub accepted: i64,
    pub duplicates: i64,
    pub filtered: i64,
    /// When the feed's stream ended for good (feeds that finish instead of reconnecting).
    pub finished_at: Option<Millis>,
}

/// `connecting`, `live`, `retrying` or `stopped` (a disabled feed has none: it is `disabled`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct LiveState {
    pub state: Phase,
    /// Plain words: "live since 10:02", "retrying in 12 s: connection refused".
    pub detail: String,
    pub next_retry_at: Option<Millis>,
    pub last_error: Option<String>,
    pub updated_at: Millis,
}

/// Everything the feed list shows about one feed.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FeedStatus {
    pub feed: Feed,
    pub live: Option<LiveState>,
    pub resume: ResumeState,
    pub unread: i64,
}

impl FeedStatus {
    /// The state word of docs/cli.md: disabled feeds say so whatever the resident last wrote;
    /// an enabled feed nothing was written for yet is `connecting`.
    pub fn state(&self) -> Phase {
        if !self.feed.spec.enabled {
            Phase::Disabled
        } else if !self.feed.spec.unreadable.is_empty() {
            Phase::Stopped
        } else {
            self.live.as_ref().map_or(Phase::Connecting, |l| l.state)
        }
    }

    pub fn state_detail(&self) -> String {
        if !self.feed.spec.enabled {
            return "disabled".into();
        }
        if let Some(unreadable) = self.feed.spec.unreadable.first() {
            return format!("stopped: {unreadable}");
        }
        match &self.live {
            Some(live) if !live.detail.is_empty() => live.detail.clone(),
            Some(live) => live.state.to_string(),
            None => "waiting for the Herald resident to connect".into(),
        }
    }
}

impl Store {
    pub fn resume_state(&self, feed_id: &str) -> Result<ResumeState, StoreError> {
        self.conn
            .prepare_cached(
                "SELECT position, last_connected_at, last_event_at, accepted, duplicates, filtered,
                        finished_at
                 FROM resume_state WHERE feed_id = ?1",
            )?
            .query_row([feed_id], |r| {
                // Only Herald writes these; a value edited by hand into something else reads as
                // the safe choice, not as an error that would hide every feed.
                Ok(ResumeState {
                    // From the start: the server sends again what the store already has, and
                    // the store keeps each event once.
                    position: r.get(0).unwrap_or_default(),
                    last_connected_at: r.get(1).unwrap_or_default(),
                    last_event_at: r.get(2).unwrap_or_default(),
                    accepted: r.get(3).unwrap_or_default(),
                    duplicates: r.get(4).unwrap_or_default(),
                    filtered: r.get(5).unwrap_or_default(),
                    // Finished, at a time unknown: a job's stream is not sent again unasked.
                    finished_at: r.get(6).unwrap_or(Some(0)),
                })
            })
            .optional()?
            .ok_or_else(|| StoreError::UnknownFeed(feed_id.to_owned()))
    }

    /// Records that the feed finished (or, with None, that it may run again).
    pub fn set_finished(&mut self, feed_id: &str, at: Option<Millis>) -> Result<(), StoreError> {
        self.conn
            .prepare_cached("UPDATE resume_state SET finished_at = ?2 WHERE feed_id = ?1")?
            .execute(params![feed_id, at])?;
        Ok(())
    }

    pub fn set_connected(&mut self, feed_id: &str, at: Millis) -> Result<(), StoreError> {
        self.conn
            .prepare_cached("UPDATE resume_state SET last_connected_at = ?2 WHERE feed_id = ?1")?
            .execute(params![feed_id, at])?;
        Ok(())
    }

    pub fn set_live_state(&mut self, feed_id: &str, live: &LiveState) -> Result<(), StoreError> {
        self.conn.prepare_cached(
            "INSERT INTO live_state (feed_id, state, detail, next_retry_at, last_error, updated_at)
             SELECT ?1, ?2, ?3, ?4, ?5, ?6 WHERE EXISTS (SELECT 1 FROM feeds WHERE id = ?1 AND removed_at IS NULL)
             ON CONFLICT (feed_id) DO UPDATE SET state = excluded.state, detail = excluded.detail,
                 next_retry_at = excluded.next_retry_at, last_error = excluded.last_error,
                 updated_at = excluded.updated_at",
        )?.execute(params![feed_id, live.state.as_str(), live.detail, live.next_retry_at, live.last_error, live.updated_at])?;
        Ok(())
    }

    /// Forgets every live state: the resident does this when it starts and stops, so a state
    /// nobody maintains any more is never shown as current.
    pub fn clear_live_states(&mut self) -> Result<(), StoreError> {
        self.conn.execute("DELETE FROM live_state", [])?;
        Ok(())
    }

    /// Every feed with its state, resume counters and unread count, by name.
    pub fn feed_statuses(&self) -> Result<Vec<FeedStatus>, StoreError> {
        let unread: std::collections::HashMap<String, i64> =
            self.unread_counts()?.into_iter().collect();
        let mut live_stmt = self.conn.prepare_cached(
            "SELECT state, detail, next_retry_at, last_error, updated_at FROM live_state WHERE feed_id = ?1",
        )?;
        let mut statuses = Vec::new();
        for feed in self.feeds()? {
            let live = live_stmt
                .query_row([&feed.id], |r| {
                    // Only the engine writes it; a row that does not read (edited by hand) is
                    // no state rather than no list.
                    let state = r.get::<_, String>(0).ok().and_then(|s| s.parse().ok());
                    Ok(LiveState {
                        state: state.unwrap_or(Phase::Connecting),
                        detail: r.get(1).unwrap_or_default(),
                        next_retry_at: r.get(2).unwrap_or_default(),
                        last_error: r.get(3).unwrap_or_default(),
                        updated_at: r.get(4).unwrap_or_default(),
                    })
                })
                .optional()?;
            // A row that does not read (edited by hand) is shown as nothing yet, not as no list.
            let resume = self.resume_state(&feed.id).unwrap_or_else(|e| {
                tracing::warn!(feed = %feed.id, "its resume state does not read: {e}");
                ResumeState::default()
            });
            let unread = unread.get(&feed.id).copied().unwrap_or(0);
            statuses.push(FeedStatus { feed, live, resume, unread });
        }
        Ok(statuses)
    }
}

/// Something only the resident can do, asked for from another process.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResidentRequest {
    /// Drop the feed's connection (or its wait) and connect now; a finished feed stays so.
    Reconnect(String),
    /// A finished feed runs again; any other reconnects.
    Run(String),
}

impl Store {
    pub fn request(&mut self, request: &ResidentRequest) -> Result<(), StoreError> {
        let (feed_id, kind) = match request {
            ResidentRequest::Reconnect(feed_id) => (feed_id, "reconnect"),
            ResidentRequest::Run(feed_id) => (feed_id, "run"),
        };
        self.feed(feed_id)?;
        self.conn.execute(
            "INSERT INTO requests (feed_id, kind, created_at) VALUES (?1, ?2, ?3)",
            params![feed_id, kind, crate::now_millis()],
        )?;
        Ok(())
    }

    /// Runs a finished feed again: it may run from now on (also when no resident is running,
    /// which will then start it), and a running resident is asked to start it at once.
    pub fn run_again(&mut self, feed_id: &str) -> Result<(), StoreError> {
        self.set_finished(feed_id, None)?;
        self.request(&ResidentRequest::Run(feed_id.to_owned()))
    }

    /// Whether any request waits for the resident: a read, which never waits for a writer.
    pub fn has_requests(&self) -> Result<bool, StoreError> {
        Ok(self
            .conn
            .prepare_cached("SELECT EXISTS (SELECT 1 FROM requests)")?
            .query_row([], |r| r.get(0))?)
    }

    /// Takes every pending request (the resident, which then carries them out). Takes the
    /// write lock only when there is one.
    pub fn take_requests(&mut self) -> Result<Vec<ResidentRequest>, StoreError> {
        if !self.has_requests()? {
            return Ok(Vec::new());
        }
        let tx = self.write_transaction()?;
        let requests = {
            let mut stmt = tx.prepare("SELECT kind, feed_id FROM requests ORDER BY id")?;
            stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, Option<String>>(1)?)))?
                .filter_map(|row| match row {
                    Ok((kind, Some(feed))) if kind == "reconnect" => {
                        Some(Ok(ResidentRequest::Reconnect(feed)))
                    }
                    Ok((kind, Some(feed))) if kind == "run" => Some(Ok(ResidentRequest::Run(feed))),
                    Ok(_) => None,
                    Err(e) => Some(Err(e)),
                })
                .collect::<Result<Vec<_>, _>>()?
        };
        tx.execute("DELETE FROM requests", [])?;
        tx.commit()?;
        Ok(requests)
    }
}
