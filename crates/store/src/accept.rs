//! Accepting events: the step that makes "never loses, never repeats" true.
//!
//! One transaction per batch moves each feed's resume position (always, filtered events
//! included, or every reconnect would replay them) and writes the history rows of kept events.
//! A kept event whose own id is already stored for its feed is a duplicate and writes nothing
//! else; an event with no own id is never a duplicate. Nothing is reported accepted before the
//! transaction commits.

use rusqlite::params;

use crate::{Millis, Store, StoreError};

/// What the engine rendered for a kept event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub title: String,
    pub body: String,
    pub link: Option<String>,
    pub priority: Option<u8>,
}

/// One dispatched event on its way into the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Incoming {
    pub feed_id: String,
    /// The spec's last event id after this event: where the feed resumes.
    pub resume_position: String,
    /// The event's own id (from its own block or the feed's id source), if any.
    pub event_id: Option<String>,
    pub event_type: String,
    pub data: String,
    /// `None` when the feed's filters dropped the event.
    pub kept: Option<Rendered>,
    pub received_at: Millis,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Accepted {
    /// Stored as this history row: the only outcome that may notify.
    Stored(i64),
    /// Already stored earlier (same feed, same own id): nothing written but the resume position.
    Duplicate,
    /// Dropped by the feed's filters: only the resume position moved.
    Filtered,
    /// The feed was removed while its events were in flight: nothing written.
    FeedGone,
}

impl Store {
    pub fn accept(&mut self, event: &Incoming) -> Result<Accepted, StoreError> {
        Ok(self.accept_batch(std::slice::from_ref(event))?[0])
    }

    /// Accepts events in one transaction. Either all are committed and their outcomes returned,
    /// or none is (the error says why) and the caller must not acknowledge any of them.
    pub fn accept_batch(&mut self, events: &[Incoming]) -> Result<Vec<Accepted>, StoreError> {
        let tx = self.write_transaction()?;
        let mut outcomes = Vec::with_capacity(events.len());
        {
            let mut insert = tx.prepare_cached(
                "INSERT INTO history (feed_id, event_id, type, data, title, body, link, priority, received_at, size)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
                 ON CONFLICT DO NOTHING",
            )?;
            let mut exists = tx.prepare_cached("SELECT 1 FROM resume_state WHERE feed_id = ?1")?;
            // Per feed in this batch: whether it still exists, and what its resume row gets. The
            // row is written once per feed and batch, with the position of its last event.
            let mut feeds: Vec<(&str, bool, FeedTally)> = Vec::new();
            for event in events {
                let slot = match feeds.iter().position(|(id, ..)| *id == event.feed_id) {
                    Some(slot) => slot,
                    None => {
                        feeds.push((
                            &event.feed_id,
                            exists.exists([&event.feed_id])?,
                            FeedTally::default(),
                        ));
                        feeds.len() - 1
                    }
                };
                let (_, live, tally) = &mut feeds[slot];
                if !*live {
                    outcomes.push(Accepted::FeedGone);
                    continue;
                }
                let outcome = match &event.kept {
                    None => Accepted::Filtered,
                    Some(r) => {
                        let inserted = insert.execute(params![
                            event.feed_id,
                            event.event_id,
                            event.event_type,
                            event.data,
                            r.title,
                            r.body,
                            r.link,
                            r.priority,
                            event.received_at,
                            (event.data.len() + r.title.len() + r.body.len()) as i64
                        ])?;
                        if inserted == 1 {
                            Accepted::Stored(tx.last_insert_rowid())
                        } else {
                            Accepted::Duplicate
                        }
                    }
                };
                tally.count(outcome, event);
                outcomes.push(outcome);
            }
            let mut resume = tx.prepare_cached(
                "UPDATE resume_state SET position = ?2, last_event_at = ?3, accepted = accepted + ?4,
                     duplicates = duplicates + ?5, filtered = filtered + ?6
                 WHERE feed_id = ?1",
            )?;
            for (feed_id, live, tally) in &feeds {
                if *live {
                    resume.execute(params![
                        feed_id,
                        tally.position,
                        tally.last_event_at,
                        tally.accepted,
                        tally.duplicates,
                        tally.filtered
                    ])?;
                }
            }
        }
        tx.commit()?;
        Ok(outcomes)
    }
}

#[derive(Debug, Default)]
struct FeedTally<'a> {
    position: &'a str,
    last_event_at: Millis,
    accepted: i64,
    duplicates: i64,
    filtered: i64,
}

impl<'a> FeedTally<'a> {
    fn count(&mut self, outcome: Accepted, event: &'a Incoming) {
        self.position = &event.resume_position;
        self.last_event_at = event.received_at;
        match outcome {
            Accepted::Stored(_) => self.accepted += 1,
            Accepted::Duplicate => self.duplicates += 1,
            Accepted::Filtered => self.filtered += 1,
            Accepted::FeedGone => {}
        }
    }
}
