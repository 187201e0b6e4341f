//! The engine: a supervisor per enabled feed, the store writer, the notification dispatcher and
//! the watchers, on one thread with a single-threaded runtime (1,000 idle feeds need no more).
//! It follows the store: when any connection commits (in this process or another, announced by
//! the store's `changes::Follower`, not polled) it checks whether feeds or settings changed and
//! starts, restarts or stops only the feeds that changed. This file is the handle; its options
//! are in `options.rs`, and what runs on the engine's thread is in `core.rs`.

use std::sync::Arc;
use std::time::Duration;

use herald_secrets::SecretStore;
use herald_store::Store;
use tokio::sync::{Notify, mpsc, watch};

use crate::connector::{Connector, HttpConnector};
use crate::core::{Core, Link, Stores, World};
use crate::notify::Notifier;
use crate::options::{Control, EngineError, EngineOptions, STOP_BUDGET};
use crate::state::FeedStates;

/// A running engine. Dropping it stops it (after flushing), as [`Engine::stop`] does.
pub struct Engine {
    control: mpsc::UnboundedSender<Control>,
    /// Wakes the engine out of a reconciliation that waits on the store.
    stop: Arc<Notify>,
    states: watch::Receiver<FeedStates>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine").finish_non_exhaustive()
    }
}

impl Engine {
    /// Opens the store, starts every enabled feed and returns once they are starting.
    pub fn start(
        options: EngineOptions,
        notifier: Arc<dyn Notifier>,
        secrets: Arc<dyn SecretStore>,
    ) -> Result<Self, EngineError> {
        let connector = HttpConnector::new(options.streams_per_connection);
        Self::start_with(options, connector, notifier, secrets)
    }

    pub fn start_with<C: Connector>(
        options: EngineOptions,
        connector: C,
        notifier: Arc<dyn Notifier>,
        secrets: Arc<dyn SecretStore>,
    ) -> Result<Self, EngineError> {
        // Each feed holds a socket; the usual soft limit of 1,024 descriptors would cap a
        // resident at about a thousand feeds, so the soft limit goes up to the hard one.
        match rlimit::increase_nofile_limit(u64::MAX) {
            Ok(limit) => tracing::debug!(limit, "open file limit"),
            Err(e) => tracing::debug!("cannot raise the open file limit: {e}"),
        }
        // Two connections: the writer's, and the one that watches the configuration.
        let config = Store::open(&options.store_path)?;
        let writer_store = Store::open(&options.store_path)?;
        let (control, control_rx) = mpsc::unbounded_channel();
        let (states_tx, states) = watch::channel(FeedStates::new());
        let (started_tx, started) = std::sync::mpsc::channel();
        let control_for_watchers = control.clone();
        let stop = Arc::new(Notify::new());
        let stop_for_core = stop.clone();
        let thread = std::thread::Builder::new()
            .name("engine".into())
            .spawn(move || {
                let runtime =
                    match tokio::runtime::Builder::new_current_thread().enable_all().build() {
                        Ok(rt) => rt,
                        Err(e) => {
                            let _ = started_tx.send(Err(e.to_string()));
                            return;
                        }
                    };
                runtime.block_on(async move {
                    let core = Core::new(
                        options,
                        World { connector, notifier, secrets },
                        Stores { config, writer: writer_store },
                        Link { states: states_tx, control: control_for_watchers },
                    );
                    match core {
                        Ok(core) => {
                            let _ = started_tx.send(Ok(()));
                            core.run(control_rx, stop_for_core).await;
                        }
                        Err(e) => {
                            let _ = started_tx.send(Err(e.to_string()));
                        }
                    }
                });
                // Not the runtime's drop, which would wait for every blocking task (a keyring
                // call, a join that timed out) however long it takes.
                runtime.shutdown_background();
            })
            .map_err(|e| EngineError::Start(e.to_string()))?;
        match started.recv() {
            Ok(Ok(())) => Ok(Self { control, stop, states, thread: Some(thread) }),
            Ok(Err(e)) => Err(EngineError::Start(e)),
            Err(_) => Err(EngineError::Start("the engine thread ended".into())),
        }
    }

    /// Every feed's state, updated live (for the tray).
    pub fn states(&self) -> watch::Receiver<FeedStates> {
        self.states.clone()
    }

    /// Reconnect one feed now, or all (after a sleep, or when the user asks).
    pub fn reconnect(&self, feed_id: Option<&str>) {
        let _ = self.control.send(Control::Reconnect(feed_id.map(str::to_owned)));
    }

    /// Runs a finished feed again (the tray's "Run again"); any other feed reconnects.
    pub fn run(&self, feed_id: &str) {
        let _ = self.control.send(Control::Run(feed_id.to_owned()));
    }

    /// Feeds waiting out their backoff try now (the network came back).
    pub fn try_now(&self) {
        let _ = self.control.send(Control::TryNow);
    }

    /// Stops every feed, commits what was received and returns when all is flushed, or after
    /// [`STOP_BUDGET`] and a little more, whatever the store and the notification service do.
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        self.stop.notify_one();
        let _ = self.control.send(Control::Stop);
        if let Some(thread) = self.thread.take()
            && !join_within(thread, STOP_BUDGET + Duration::from_millis(300))
        {
            tracing::warn!("the engine did not stop in time; leaving it behind");
        }
    }
}

/// Joins `thread` unless it is still running after `within`; true when it ended. A thread left
/// behind ends with the process.
pub fn join_within(thread: std::thread::JoinHandle<()>, within: Duration) -> bool {
    let deadline = std::time::Instant::now() + within;
    // Only on the way out, so a short poll costs nothing that matters; std has no timed join.
    while !thread.is_finished() {
        if std::time::Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let _ = thread.join();
    true
}

impl Drop for Engine {
    fn drop(&mut self) {
        self.shutdown();
    }
}
