//! The engine's inside, on its own thread: the supervisors it runs, the writer, dispatcher and
//! watchers it started, and the loop that follows the store's configuration and starts,
//! restarts or stops only the feeds that changed. [`crate::Engine`] is the handle outside.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use herald_secrets::SecretStore;
use herald_store::changes::{Beacon, Follower};
use herald_store::{Feed, Millis, Store};
use tokio::sync::{Notify, mpsc, oneshot, watch};
use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::connector::Connector;
use crate::log_fold::LogFold;
use crate::notify::{Dispatcher, Notification, Notifier, Policies};
use crate::options::{Control, EngineError, EngineOptions, STOP_BUDGET};
use crate::plan::{self, FeedPlan, NotifyPolicy};
use crate::state::{FeedState, FeedStates, StopReason};
use crate::supervisor::{Command, Shared, Supervisor};
use crate::watchers::{watch_clock, watch_network};
use crate::writer::{self, ToWriter};

/// The least time between two looks at the configuration: a burst of commits (the writer's own
/// among them) costs at most ten cheap checks a second, and a change still takes effect at once
/// when the store was quiet.
const RECHECK_GAP: Duration = Duration::from_millis(100);

/// A look at the configuration or the requests that failed (the store busy with another
/// process's long write, say) is tried again after this: the next change, which would bring
/// another look, may never come. Each failure in a row doubles it, up to [`LOOK_AGAIN_MAX`]:
/// a store that stays unreadable is not asked (and its trouble logged) every second.
const LOOK_AGAIN: Duration = Duration::from_secs(1);
const LOOK_AGAIN_MAX: Duration = Duration::from_secs(60);

/// A notification that took this long means the desktop's notification service did not
/// answer (it is the desktop notifier's own wait): what queued meanwhile is dropped (see
/// `notify::show_all`). A service that is only slow (started on demand at login, which takes
/// a few seconds) answers within it, and nothing is dropped.
const SLOW_NOTIFIER: Duration = Duration::from_secs(5);

/// How a look at the configuration and the requests went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Look {
    Done,
    /// The requests could not be taken while another process holds the store's write lock.
    Busy,
    /// The store could not be read: tried again after a while.
    Failed,
}

struct Running {
    plan: watch::Sender<Arc<FeedPlan>>,
    commands: mpsc::UnboundedSender<Command>,
    task: JoinHandle<()>,
    updated_at: Millis,
}

pub(crate) struct Core<C: Connector> {
    options: EngineOptions,
    shared: Arc<Shared<C>>,
    config: Store,
    config_version: Option<i64>,
    /// Taking the requests found the store busy (said once until it works again).
    requests_busy: bool,
    running: HashMap<String, Running>,
    policies: watch::Sender<Arc<Policies>>,
    writer: std::thread::JoinHandle<()>,
    /// Set on the way out: the writer stops retrying a commit the store refuses.
    stopping: Arc<AtomicBool>,
    dispatcher: JoinHandle<()>,
    desktop: std::thread::JoinHandle<()>,
    watchers: Vec<JoinHandle<()>>,
}

/// What the engine talks to outside itself: the network, the desktop's notifications and the
/// keyring. Tests pass their own.
pub(crate) struct World<C: Connector> {
    pub(crate) connector: C,
    pub(crate) notifier: Arc<dyn Notifier>,
    pub(crate) secrets: Arc<dyn SecretStore>,
}

/// The engine's two connections to the store, opened before its thread starts (so that a store
/// that cannot be opened is the caller's error).
pub(crate) struct Stores {
    /// Follows the configuration.
    pub(crate) config: Store,
    pub(crate) writer: Store,
}

/// How the core and the [`crate::Engine`] handle talk: feed states go out, control comes in
/// (the clock and network watchers send it too).
pub(crate) struct Link {
    pub(crate) states: watch::Sender<FeedStates>,
    pub(crate) control: mpsc::UnboundedSender<Control>,
}

impl<C: Connector> Core<C> {
    pub(crate) fn new(
        options: EngineOptions,
        world: World<C>,
        stores: Stores,
        link: Link,
    ) -> Result<Self, EngineError> {
        let World { connector, notifier, secrets } = world;
        let Stores { mut config, writer: writer_store } = stores;
        let Link { states, control } = link;
        // Live states describe this engine's connections; none exist yet.
        config.clear_live_states()?;
        let (writer_tx, writer_rx) = mpsc::channel(options.writer_queue.max(1));
        let (alerts_tx, alerts_rx) = mpsc::unbounded_channel();
        let stopping = Arc::new(AtomicBool::new(false));
        let trouble = options.on_store_trouble.clone();
        let writer =
            writer::spawn(writer_store, writer_rx, alerts_tx.clone(), stopping.clone(), trouble)
                .map_err(|e| EngineError::Start(e.to_string()))?;
        let (policies, policies_rx) = watch::channel(Arc::new(Policies::default()));
        let (out, desktop_rx) = std::sync::mpsc::channel::<Notification>();
        let desktop = std::thread::Builder::new()
            .name("notifications".into())
            .spawn(move || crate::notify::show_all(&desktop_rx, &*notifier, SLOW_NOTIFIER))
            .map_err(|e| EngineError::Start(e.to_string()))?;
        let dispatcher = tokio::spawn(
            Dispatcher::new(alerts_rx, policies_rx, states.subscribe(), out, options.clock.clone())
                .run(),
        );
        let shared = Arc::new(Shared {
            connector: Arc::new(connector),
            writer: writer_tx,
            states,
            secrets,
            alerts: alerts_tx,
            in_flight: writer::InFlight::new(options.in_flight_bytes),
            random: Arc::new(fastrand::f64),
        });
        let (clock, network, period) =
            (options.clock.clone(), options.network.clone(), options.watch_period);
        let jump = control.clone();
        let watchers = vec![
            tokio::spawn(async move {
                watch_clock(&*clock, period, || {
                    let _ = jump.send(Control::Reconnect(None));
                })
                .await;
            }),
            tokio::spawn(async move {
                watch_network(&*network, period, || {
                    let _ = control.send(Control::TryNow);
                })
                .await;
            }),
        ];
        Ok(Self {
            options,
            shared,
            config,
            config_version: None,
            requests_busy: false,
            running: HashMap::new(),
            policies,
            writer,
            stopping,
            dispatcher,
            desktop,
            watchers,
        })
    }

    pub(crate) async fn run(
        mut self,
        mut control: mpsc::UnboundedReceiver<Control>,
        stop: Arc<Notify>,
    ) {
        let changed = Arc::new(Notify::new());
        let signal = changed.clone();
        // Signals that come while a look is under way leave one permit: one more look.
        let _follower =
            Follower::start(&self.options.store_path, Beacon::Config, move || signal.notify_one());
        changed.notify_one();
        let mut not_before = Instant::now();
        let mut look_again: Option<Instant> = None;
        let mut failed_looks = 0u32;
        loop {
            tokio::select! {
                () = changed.notified() => {
                    // Starting a feed first waits for the writer, which waits for a store that
                    // refuses writes: that must not keep the engine from hearing Stop.
                    let looked = tokio::select! {
                        looked = async {
                            tokio::time::sleep_until(not_before).await;
                            self.reconcile().await
                        } => looked,
                        () = stop.notified() => break,
                    };
                    not_before = Instant::now() + RECHECK_GAP;
                    failed_looks = match looked {
                        Look::Failed => failed_looks.saturating_add(1),
                        Look::Done | Look::Busy => 0,
                    };
                    look_again = match looked {
                        Look::Done => None,
                        // The next try waits for the lock itself (on its own thread): taken
                        // as soon as the other process lets go, not up to a minute later.
                        Look::Busy => Some(Instant::now()),
                        Look::Failed => {
                            let doubled =
                                LOOK_AGAIN.saturating_mul(1 << (failed_looks - 1).min(6));
                            Some(Instant::now() + doubled.min(LOOK_AGAIN_MAX))
                        }
                    };
                }
                () = async {
                    if let Some(at) = look_again {
                        tokio::time::sleep_until(at).await;
                    }
                }, if look_again.is_some() => {
                    look_again = None;
                    changed.notify_one();
                }
                message = control.recv() => match message {
                    None | Some(Control::Stop) => break,
                    Some(Control::Reconnect(None)) => self.broadcast(Command::ReconnectNow),
                    Some(Control::Reconnect(Some(id))) => {
                        if let Some(r) = self.running.get(&id) {
                            let _ = r.commands.send(Command::ReconnectNow);
                        }
                    }
                    Some(Control::Run(id)) => {
                        if let Some(r) = self.running.get(&id) {
                            let _ = r.commands.send(Command::Run);
                        }
                    }
                    Some(Control::TryNow) => self.broadcast(Command::TryNowIfWaiting),
                },
            }
        }
        self.shutdown().await;
    }

    fn broadcast(&self, command: Command) {
        for running in self.running.values() {
            let _ = running.commands.send(command);
        }
    }

    /// Stops feeds, then the writer, the dispatcher and the notification thread, each after
    /// finishing its queue, all within [`STOP_BUDGET`]: whatever is still waiting then (a commit
    /// on a full disk, a notification the service does not take) is left behind.
    async fn shutdown(mut self) {
        let start = Instant::now();
        let deadline = start + STOP_BUDGET;
        self.stopping.store(true, Ordering::Relaxed);
        for watcher in &self.watchers {
            watcher.abort();
        }
        for r in self.running.values() {
            let _ = r.commands.send(Command::Stop);
        }
        // A supervisor stops at its next await; one blocked on a full writer queue is cancelled:
        // its events were not committed, so its position did not move.
        let supervisors_by = start + STOP_BUDGET / 4;
        for (id, mut r) in self.running.drain() {
            if tokio::time::timeout_at(supervisors_by, &mut r.task).await.is_err() {
                tracing::debug!(feed = %id, "cancelling a feed that did not stop in time");
                r.task.abort();
            }
        }
        if tokio::time::timeout_at(start + STOP_BUDGET / 2, self.flush()).await.is_err() {
            tracing::warn!(
                "stopping before everything received was stored; it will be fetched again"
            );
        }
        let Self { shared, writer, dispatcher, desktop, policies, .. } = self;
        drop(shared);
        let writer_done = tokio::task::spawn_blocking(move || writer.join());
        let _ = tokio::time::timeout_at(deadline, writer_done).await;
        let _ = tokio::time::timeout_at(deadline, dispatcher).await;
        drop(policies);
        let desktop_done = tokio::task::spawn_blocking(move || desktop.join());
        if tokio::time::timeout_at(deadline, desktop_done).await.is_err() {
            tracing::warn!("the notification service did not take the last notifications in time");
        }
        tracing::info!("engine stopped");
    }

    /// Waits until the writer has committed everything sent so far.
    async fn flush(&self) {
        let (done, flushed) = oneshot::channel();
        if self.shared.writer.send(ToWriter::Flush(done)).await.is_ok() {
            let _ = flushed.await;
        }
    }

    /// Brings the running feeds in line with the stored configuration and takes the requests
    /// to the resident; says whether the look must be tried again.
    async fn reconcile(&mut self) -> Look {
        // A version that does not read (edited by hand; the next change writes a number again)
        // means "look": the feeds are read at every signal until then, never not at all.
        let version = self.config.config_version().map_err(|e| {
            tracing::warn!("cannot read the configuration's version: {e}");
        });
        let version = version.ok();
        if version.is_some() && self.config_version == version {
            return Look::Done;
        }
        let (feeds, settings) = match (self.config.feeds(), self.config.settings()) {
            (Ok(f), Ok(s)) => (f, s),
            (Err(e), _) | (_, Err(e)) => {
                tracing::warn!("cannot read the configuration: {e}");
                return Look::Failed;
            }
        };
        // Recorded once the requests are taken too: a version seen with requests left behind
        // would make the next look stop short of them.
        let mut looked = Look::Done;
        match self.take_requests().await {
            Ok(requests) => {
                if std::mem::take(&mut self.requests_busy) {
                    tracing::info!("requests to the resident can be read again");
                }
                for request in requests {
                    let (id, command) = match request {
                        herald_store::ResidentRequest::Reconnect(id) => (id, Command::ReconnectNow),
                        herald_store::ResidentRequest::Run(id) => (id, Command::Run),
                    };
                    if let Some(r) = self.running.get(&id) {
                        tracing::info!(feed = %id, "reconnecting, as asked");
                        let _ = r.commands.send(command);
                    }
                }
            }
            // Another process holds the write lock: said once, tried until it lets go.
            Err(herald_store::StoreError::Busy) => {
                if !std::mem::replace(&mut self.requests_busy, true) {
                    tracing::warn!(
                        "cannot read requests to the resident yet: {}; waiting",
                        herald_store::StoreError::Busy
                    );
                }
                looked = Look::Busy;
            }
            Err(e) => {
                tracing::warn!("cannot read requests to the resident: {e}");
                looked = Look::Failed;
            }
        }
        if looked == Look::Done {
            self.config_version = version;
        }
        let policies = Policies {
            settings,
            feeds: feeds.iter().map(|f| (f.id.clone(), NotifyPolicy::of(f))).collect(),
        };
        self.policies.send_if_modified(|current| {
            let changed = **current != policies;
            if changed {
                *current = Arc::new(policies);
            }
            changed
        });
        let wanted: HashMap<&str, &Feed> = feeds.iter().map(|f| (f.id.as_str(), f)).collect();
        let gone: Vec<String> =
            self.running.keys().filter(|id| !wanted.contains_key(id.as_str())).cloned().collect();
        for id in gone {
            self.stop_feed(&id).await;
            self.shared.states.send_modify(|s| {
                s.remove(&id);
            });
        }
        for feed in &feeds {
            self.apply(feed).await;
        }
        // Disabled or removed feeds: nothing of theirs may linger in the in-process states.
        self.shared.states.send_if_modified(|s| {
            let before = s.len();
            s.retain(|id, _| wanted.contains_key(id.as_str()));
            before != s.len()
        });
        looked
    }

    /// Takes the requests to the resident. Taking them is a write, which waits while another
    /// process holds the store's write lock (up to the store's 5 s busy wait): on a thread of
    /// the blocking pool, with a connection of its own, so that the engine's thread, which
    /// reads every feed's socket, goes on meanwhile and hears a stop. Whether there are any is
    /// a read, which never waits: most looks end there.
    async fn take_requests(
        &self,
    ) -> Result<Vec<herald_store::ResidentRequest>, herald_store::StoreError> {
        if !self.config.has_requests()? {
            return Ok(Vec::new());
        }
        let path = self.options.store_path.clone();
        tokio::task::spawn_blocking(move || Store::open(&path)?.take_requests())
            .await
            .unwrap_or_else(|e| Err(herald_store::StoreError::Sqlite(e.to_string())))
    }

    /// Brings one feed in line with its stored configuration.
    async fn apply(&mut self, feed: &Feed) {
        let id = feed.id.clone();
        if !feed.spec.enabled {
            self.stop_feed(&id).await;
            self.set_state(
                &id,
                FeedState::Stopped { reason: StopReason::Disabled, error: String::new() },
            )
            .await;
            return;
        }
        let plan = match FeedPlan::compile(feed) {
            Ok(plan) => Arc::new(plan),
            Err(plan::PlanError(error)) => {
                self.stop_feed(&id).await;
                let state = FeedState::Stopped { reason: StopReason::InvalidConfiguration, error };
                self.set_state(&id, state).await;
                return;
            }
        };
        if let Some(running) = self.running.get_mut(&id) {
            if running.updated_at == feed.updated_at {
                return;
            }
            if running.plan.borrow().connection == plan.connection {
                // Same connection: mapping, filters or mute changed, or the credentials did
                // (a feed stopped on rejected credentials tries again).
                running.updated_at = feed.updated_at;
                running.plan.send_replace(plan);
                let _ = running.commands.send(Command::TryNowIfWaiting);
                if matches!(self.shared.states.borrow().get(&id), Some(FeedState::Stopped { .. })) {
                    let _ = running.commands.send(Command::ReconnectNow);
                }
                return;
            }
            self.stop_feed(&id).await;
        }
        self.start_feed(plan, feed.updated_at).await;
    }

    async fn start_feed(&mut self, plan: Arc<FeedPlan>, updated_at: Millis) {
        // The store is the truth about where a feed resumes: whatever an earlier supervisor of
        // this feed sent is committed first.
        self.flush().await;
        let (position, finished_at) = match self.config.resume_state(&plan.id) {
            Ok(state) => (state.position, state.finished_at),
            Err(e) => {
                tracing::warn!(feed = %plan.id, "cannot read where the feed resumes: {e}");
                (String::new(), None)
            }
        };
        let recent_ids =
            self.config.recent_event_ids(&plan.id, crate::shaper::RECENT_IDS).unwrap_or_else(|e| {
                tracing::warn!(feed = %plan.id, "cannot read the feed's recent events: {e}");
                Vec::new()
            });
        let id = plan.id.clone();
        let (plan_tx, plan_rx) = watch::channel(plan);
        let (commands, commands_rx) = mpsc::unbounded_channel();
        let supervisor = Supervisor {
            shared: self.shared.clone(),
            plan: plan_rx,
            commands: commands_rx,
            position,
            recent_ids,
            finished_at,
            log: LogFold::default(),
        };
        let task = tokio::spawn(supervisor.run());
        self.running.insert(id, Running { plan: plan_tx, commands, task, updated_at });
    }

    async fn stop_feed(&mut self, id: &str) {
        if let Some(running) = self.running.remove(id) {
            let _ = running.commands.send(Command::Stop);
            let _ = running.task.await;
        }
    }

    async fn set_state(&self, id: &str, state: FeedState) {
        let changed = self.shared.states.send_if_modified(|s| {
            if s.get(id) == Some(&state) {
                false
            } else {
                s.insert(id.to_owned(), state.clone());
                true
            }
        });
        if changed && !matches!(state, FeedState::Stopped { reason: StopReason::Disabled, .. }) {
            let message = ToWriter::Live { feed_id: id.to_owned(), state: state.to_live_state() };
            let _ = self.shared.writer.send(message).await;
        }
    }
}
