//! The one thread that writes the store for the engine. Supervisors send shaped events and
//! state changes; the writer takes whatever has queued up and commits it in one transaction
//! (so a burst costs one commit, not thousands), then hands the newly stored events on to be
//! notified. Nothing is notified before it is committed. If a commit fails (a full disk), the
//! same batch is tried again until it succeeds: the bounded queue then fills and supervisors stop
//! reading their sockets, so no event is dropped in between.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use herald_store::{Accepted, Incoming, LiveState, Millis, Store};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc, oneshot};

use crate::notify::{Alert, StoredEvent};

/// Told when storing events starts failing (with the store's words) and when it works again
/// (None): `EngineOptions::on_store_trouble`.
pub type StoreTrouble = Arc<dyn Fn(Option<&str>) + Send + Sync>;

#[derive(Debug)]
pub enum ToWriter {
    /// Shaped events, and the share of the in-flight budget they hold until committed.
    Events(Vec<Incoming>, Reservation),
    Live {
        feed_id: String,
        state: LiveState,
    },
    Connected {
        feed_id: String,
        at: Millis,
    },
    /// The feed finished at `at`, or (None) may run again.
    Finished {
        feed_id: String,
        at: Option<Millis>,
    },
    /// Answered once everything sent before it is committed.
    Flush(oneshot::Sender<()>),
}

/// How many bytes of shaped events may wait between the sockets and the commit, by default.
/// A message count alone let 1,024 events of 8 MiB queue up (gigabytes with a full disk); with
/// this budget a supervisor that would exceed it waits before reading its socket further.
pub const IN_FLIGHT_BYTES: usize = 16 * 1024 * 1024;

/// The in-flight budget, counted in KiB (a semaphore's permits), shared by every supervisor.
#[derive(Debug, Clone)]
pub struct InFlight {
    kib: Arc<Semaphore>,
    total_kib: u32,
}

/// Bytes reserved from the budget; given back when dropped (after the commit).
#[derive(Debug)]
pub struct Reservation(#[allow(dead_code)] Option<OwnedSemaphorePermit>);

impl InFlight {
    pub fn new(bytes: usize) -> Self {
        let total_kib = u32::try_from(bytes.div_ceil(1024)).unwrap_or(u32::MAX).max(1);
        Self { kib: Arc::new(Semaphore::new(total_kib as usize)), total_kib }
    }

    /// Waits until `bytes` fit in the budget. One event larger than the whole budget waits for
    /// all of it, so it still passes, alone.
    pub async fn reserve(&self, bytes: usize) -> Reservation {
        let kib = u32::try_from(bytes.div_ceil(1024)).unwrap_or(u32::MAX).clamp(1, self.total_kib);
        Reservation(self.kib.clone().acquire_many_owned(kib).await.ok())
    }

    #[cfg(test)]
    fn reserved_bytes(&self) -> usize {
        (self.total_kib as usize - self.kib.available_permits()) * 1024
    }
}

/// What a shaped event costs in memory until it is committed.
pub fn weight(event: &Incoming) -> usize {
    let rendered = event
        .kept
        .as_ref()
        .map_or(0, |r| r.title.len() + r.body.len() + r.link.as_ref().map_or(0, String::len));
    // Beside the text: the struct and its eight or so allocations, and the stored event it
    // becomes for the dispatcher. Measured with 1,000,000 tiny events, 128 undercounted them
    // fourfold.
    event.data.len() + rendered + event.event_type.len() + event.resume_position.len() + 512
}

/// Event data larger than this is not handed to the dispatcher: it is only read there for
/// ntfy's action buttons, and an ntfy message is at most 4 KiB.
const NOTIFY_DATA_MAX: usize = 64 * 1024;

/// How many messages one transaction takes at most; bounds the latency of a huge backlog.
const MAX_BATCH: usize = 512;

pub fn spawn(
    store: Store,
    inbox: mpsc::Receiver<ToWriter>,
    stored: mpsc::UnboundedSender<Alert>,
    stopping: Arc<AtomicBool>,
    trouble: StoreTrouble,
) -> std::io::Result<std::thread::JoinHandle<()>> {
    std::thread::Builder::new().name("store-writer".into()).spawn(move || {
        Writer { store, inbox, stored, failing: None, stopping, trouble, since_trim: 0 }.run();
    })
}

struct Writer {
    store: Store,
    inbox: mpsc::Receiver<ToWriter>,
    stored: mpsc::UnboundedSender<Alert>,
    /// The error of the last failed commit, logged once until commits work again.
    failing: Option<String>,
    /// The engine is stopping: a refused commit is not tried again.
    stopping: Arc<AtomicBool>,
    trouble: StoreTrouble,
    /// Bytes stored since feeds were last held to their byte budget.
    since_trim: usize,
}

/// How many bytes may be stored before every feed is held to its byte budget again. The hourly
/// retention alone let a server sending 8 MiB events fill gigabytes in a minute.
const TRIM_EVERY: usize = 16 * 1024 * 1024;

/// The search index is brought up to date at a quiet moment at most this often.
const INDEX_GAP: Duration = Duration::from_secs(10);

impl Writer {
    fn run(mut self) {
        let mut index_due = false;
        let mut indexed_at: Option<Instant> = None;
        loop {
            let first = match self.inbox.try_recv() {
                Ok(message) => message,
                Err(mpsc::error::TryRecvError::Empty) => {
                    // A quiet moment: bring the full-text index up to date (searches index on
                    // demand anyway, but then a window's search would wait for it). At most
                    // every INDEX_GAP: it is a transaction (and a signal to every follower) of
                    // its own, which for a feed sending now and then doubled what each event
                    // cost; rows it leaves for later are indexed with the next ones, or by a
                    // search, or at the stop.
                    if index_due && indexed_at.is_none_or(|at| at.elapsed() >= INDEX_GAP) {
                        if let Err(e) = self.store.index_pending() {
                            tracing::warn!("cannot update the search index: {e}");
                        }
                        index_due = false;
                        indexed_at = Some(Instant::now());
                        continue;
                    }
                    match self.inbox.blocking_recv() {
                        Some(message) => message,
                        None => break,
                    }
                }
                Err(mpsc::error::TryRecvError::Disconnected) => break,
            };
            let mut batch = vec![first];
            while batch.len() < MAX_BATCH {
                match self.inbox.try_recv() {
                    Ok(message) => batch.push(message),
                    Err(_) => break,
                }
            }
            index_due |= self.process(batch);
        }
        let _ = self.store.index_pending();
        tracing::debug!("store writer stopped");
    }

    /// Commits a batch; true when history rows were written.
    fn process(&mut self, batch: Vec<ToWriter>) -> bool {
        let mut events = Vec::new();
        let mut states = Vec::new();
        let mut flushes = Vec::new();
        // Held until the batch is committed: only then is the memory really free to refill.
        let mut reserved = Vec::new();
        for message in batch {
            match message {
                ToWriter::Events(mut list, reservation) => {
                    events.append(&mut list);
                    reserved.push(reservation);
                }
                ToWriter::Flush(done) => flushes.push(done),
                other => states.push(other),
            }
        }
        let mut wrote = false;
        if !events.is_empty() {
            let outcomes = self.commit_events(&events);
            for (event, outcome) in events.into_iter().zip(outcomes) {
                if let (Accepted::Stored(history_id), Some(rendered)) = (outcome, event.kept) {
                    wrote = true;
                    self.since_trim +=
                        event.data.len() + rendered.title.len() + rendered.body.len();
                    let _ = self.stored.send(Alert::Stored(StoredEvent {
                        feed_id: event.feed_id,
                        history_id,
                        event_type: event.event_type,
                        data: if event.data.len() <= NOTIFY_DATA_MAX {
                            event.data
                        } else {
                            String::new()
                        },
                        rendered,
                    }));
                }
            }
        }
        for state in states {
            // Live state is a display: a failure is logged, and the next change overwrites it.
            let result = match &state {
                ToWriter::Live { feed_id, state } => self.store.set_live_state(feed_id, state),
                ToWriter::Connected { feed_id, at } => self.store.set_connected(feed_id, *at),
                ToWriter::Finished { feed_id, at } => self.store.set_finished(feed_id, *at),
                _ => Ok(()),
            };
            if let Err(e) = result {
                tracing::debug!("cannot record a feed's state: {e}");
            }
        }
        drop(reserved);
        if self.since_trim >= TRIM_EVERY {
            self.since_trim = 0;
            self.trim();
        }
        for done in flushes {
            let _ = done.send(());
        }
        wrote
    }

    /// Holds every feed to its byte budget (settings), between the hourly retention runs.
    fn trim(&mut self) {
        let budget = match self.store.settings() {
            Ok(settings) => settings.retention_mib_per_feed,
            Err(e) => return tracing::warn!("cannot read the retention settings: {e}"),
        };
        let Some(mib) = budget else { return };
        match self.store.apply_retention(None, Some(u64::from(mib) * 1024 * 1024), None) {
            Ok(0) => {}
            // Under a steady flood of large events this runs every 16 MiB: not an info line.
            Ok(n) => tracing::debug!(deleted = n, "history held to its size per feed"),
            Err(e) => tracing::warn!("cannot hold the history to its size per feed: {e}"),
        }
    }

    /// Waits `wait` before the next try, in short steps so that a stop is seen at once.
    fn pause(&self, wait: Duration) {
        let until = std::time::Instant::now() + wait;
        while !self.stopping.load(Ordering::Relaxed) && std::time::Instant::now() < until {
            std::thread::sleep(Duration::from_millis(20).min(wait));
        }
    }

    fn commit_events(&mut self, events: &[Incoming]) -> Vec<Accepted> {
        let mut wait = Duration::from_millis(100);
        let mut attempts = 0;
        loop {
            attempts += 1;
            // Stopping while the store refuses writes (a full disk): give up rather than hang
            // the shutdown. Nothing is lost: the resume position did not move, so the server
            // sends these events again on the next start.
            if attempts > 1 && (self.stopping.load(Ordering::Relaxed) || self.inbox.is_closed()) {
                tracing::error!(
                    "stopping with {} events not stored; they will be fetched again",
                    events.len()
                );
                return Vec::new();
            }
            let tried = Instant::now();
            match self.store.accept_batch(events) {
                Ok(outcomes) => {
                    if self.failing.take().is_some() {
                        tracing::info!("storing events works again");
                        (self.trouble)(None);
                    }
                    return outcomes;
                }
                Err(e) => {
                    let words = e.to_string();
                    if self.failing.as_deref() != Some(&words) {
                        tracing::error!(
                            "cannot store {} events, trying again until it works: {words}",
                            events.len()
                        );
                        (self.trouble)(Some(&words));
                        self.failing = Some(words);
                    }
                    if !waited_for_the_lock(&e, tried.elapsed()) {
                        self.pause(wait);
                        wait = (wait * 2).min(Duration::from_secs(5));
                    }
                }
            }
        }
    }
}

/// Whether a refused commit already waited for the store's lock (SQLite's busy wait, up to
/// 5 s, which takes the lock the moment another process lets go): then it is tried again at
/// once. A pause on top, doubling to 5 s, held every feed's events back up to 5 s after a long
/// write of another process had ended. A refusal that came at once (a full disk; a lock SQLite
/// would not wait for) waits before the next try, so the writer does not spin.
fn waited_for_the_lock(error: &herald_store::StoreError, took: Duration) -> bool {
    matches!(error, herald_store::StoreError::Busy) && took >= Duration::from_secs(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_refusal_that_waited_for_the_lock_is_tried_again_at_once() {
        use herald_store::StoreError;
        let waited = Duration::from_secs(5);
        assert!(waited_for_the_lock(&StoreError::Busy, waited));
        assert!(!waited_for_the_lock(&StoreError::Busy, Duration::from_millis(3)), "would spin");
        assert!(!waited_for_the_lock(&StoreError::DiskFull("full".into()), waited));
    }

    #[tokio::test(start_paused = true)]
    async fn the_budget_holds_senders_back_until_commits_give_it_back() {
        let budget = InFlight::new(10 * 1024);
        let first = budget.reserve(6 * 1024).await;
        assert_eq!(budget.reserved_bytes(), 6 * 1024);
        let waiting = tokio::spawn({
            let budget = budget.clone();
            async move { budget.reserve(6 * 1024).await }
        });
        tokio::time::sleep(std::time::Duration::from_secs(60)).await;
        assert!(!waiting.is_finished(), "12 KiB cannot be in flight under a 10 KiB budget");
        drop(first);
        let second = waiting.await.unwrap();
        assert_eq!(budget.reserved_bytes(), 6 * 1024);
        drop(second);
        // One event larger than the whole budget still passes, alone.
        let huge = budget.reserve(8 * 1024 * 1024).await;
        assert_eq!(budget.reserved_bytes(), 10 * 1024);
        drop(huge);
        assert_eq!(budget.reserved_bytes(), 0);
    }
}
