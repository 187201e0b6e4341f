//! What an engine is started with, and the words its handle and its thread share.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use herald_store::StoreError;

use crate::connector::DEFAULT_STREAMS_PER_CONNECTION;
use crate::watchers::{NetworkProbe, OsNetwork, SystemClock, WallClock};
use crate::writer;

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("cannot start the engine: {0}")]
    Start(String),
}

pub struct EngineOptions {
    pub store_path: PathBuf,
    pub streams_per_connection: usize,
    pub clock: Arc<dyn WallClock>,
    pub network: Arc<dyn NetworkProbe>,
    /// How often the clocks and the network are checked.
    pub watch_period: Duration,
    /// How many shaped-event messages may wait for the writer before supervisors stop reading.
    pub writer_queue: usize,
    /// How many bytes of shaped events may wait for the writer, all feeds together.
    pub in_flight_bytes: usize,
    /// Told when storing events starts failing (with the store's words) and when it works
    /// again (None), so that the trouble shows beyond the log.
    pub on_store_trouble: StoreTrouble,
}

pub use crate::writer::StoreTrouble;

impl EngineOptions {
    pub fn new(store_path: PathBuf) -> Self {
        Self {
            store_path,
            streams_per_connection: DEFAULT_STREAMS_PER_CONNECTION,
            clock: Arc::new(SystemClock),
            network: Arc::new(OsNetwork),
            // Nothing reports a suspend or a new address without asking; asking every 10 s
            // costs one wake-up (both checks run at the same tick).
            watch_period: Duration::from_secs(10),
            writer_queue: 1024,
            in_flight_bytes: writer::IN_FLIGHT_BYTES,
            on_store_trouble: Arc::new(|_| {}),
        }
    }
}

/// How long stopping the engine may take in all. The resident promises to exit within 2 s of
/// being asked, in every state: a store that refuses writes (a full disk, a lock held by another
/// program), a notification service that does not answer, a feed mid-burst. What was not
/// committed by then is simply fetched again: a feed's position moves only with a commit.
pub const STOP_BUDGET: Duration = Duration::from_millis(1200);

/// Requests to a running engine.
#[derive(Debug)]
pub(crate) enum Control {
    Reconnect(Option<String>),
    /// A finished feed runs again (any other reconnects).
    Run(String),
    TryNow,
    Stop,
}
