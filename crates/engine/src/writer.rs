//! The one thread that writes the store for the engine. Supervisors send shaped events and
//! state changes; the writer takes whatever has queued up and commits it in one transaction
//! (so a burst costs one commit, not thousands), then hands the newly stored events on to be
//! notified. Nothing is notified before it is committed. If a commit fails (a full disk), the
//! same batch is tried again until it succeeds: the bounded queue then fills and supervisors stop
//! reading their sockets, so no event is dropped in between.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use herald_store::{Accepted, Incoming, LiveState, Millis, Rendered, Store};
use tokio::sync::{mpsc, oneshot};

use crate::notify::Alert;

#[derive(Debug)]
pub enum ToWriter {
    Events(Vec<Incoming>),
    Live {
        feed_id: String,
        state: LiveState,
    },
    Connected {
        feed_id: String,
        at: Millis,
    },
    /// Answered once everything sent before it is committed.
    Flush(oneshot::Sender<()>),
}

/// A kept event that is new: the only thing that may notify.
#[derive(Debug, Clone)]
pub struct StoredEvent {
    pub feed_id: String,
    pub history_id: i64,
    pub event_type: String,
    /// The raw data, for what the rendering does not carry (ntfy's action buttons).
    pub data: String,
    pub rendered: Rendered,
}

/// How many messages one transaction takes at most; bounds the latency of a huge backlog.
const MAX_BATCH: usize = 512;

pub fn spawn(
    store: Store,
    inbox: mpsc::Receiver<ToWriter>,
    stored: mpsc::UnboundedSender<Alert>,
    stopping: Arc<AtomicBool>,
) -> std::io::Result<std::thread::JoinHandle<()>> {
    std::thread::Builder::new().name("store-writer".into()).spawn(move || {
        Writer { store, inbox, stored, failing: None, stopping }.run();
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
}

impl Writer {
    fn run(mut self) {
        let mut index_due = false;
        loop {
            let first = match self.inbox.try_recv() {
                Ok(message) => message,
                Err(mpsc::error::TryRecvError::Empty) => {
                    // A quiet moment: bring the full-text index up to date (searches would
                    // index on demand anyway, but then a window's search would wait for it).
                    if index_due {
                        if let Err(e) = self.store.index_pending() {
                            tracing::warn!("cannot update the search index: {e}");
                        }
                        index_due = false;
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
        for message in batch {
            match message {
                ToWriter::Events(mut list) => events.append(&mut list),
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
                    let _ = self.stored.send(Alert::Stored(StoredEvent {
                        feed_id: event.feed_id,
                        history_id,
                        event_type: event.event_type,
                        data: event.data,
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
                _ => Ok(()),
            };
            if let Err(e) = result {
                tracing::debug!("cannot record a feed's state: {e}");
            }
        }
        for done in flushes {
            let _ = done.send(());
        }
        wrote
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
            match self.store.accept_batch(events) {
                Ok(outcomes) => {
                    if self.failing.take().is_some() {
                        tracing::info!("storing events works again");
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
                        self.failing = Some(words);
                    }
                    self.pause(wait);
                    wait = (wait * 2).min(Duration::from_secs(5));
                }
            }
        }
    }
}
