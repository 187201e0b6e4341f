//! The engine against real parts: a scripted SSE server on 127.0.0.1 (HTTP/1.1, and HTTP/2 over
//! TLS), a real SQLite store in a temporary directory, and a notifier that records what the
//! engine asked to show (the desktop side is tested with a real notification service in the
//! resident's tests).

mod config;
mod http2;
mod pipeline;
mod probe;
mod scale;
mod watchers;

use std::path::PathBuf;
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use herald_engine::{Engine, EngineOptions, Notification, NotificationKind, Notifier};
use herald_secrets::NoSecrets;
use herald_store::{Feed, FeedSpec, Store};

/// Records every notification and lets a test wait for a condition on them.
#[derive(Default)]
pub struct Recorder {
    seen: Mutex<Vec<Notification>>,
    changed: Condvar,
}

impl Notifier for Recorder {
    fn notify(&self, notification: &Notification) {
        self.seen.lock().unwrap().push(notification.clone());
        self.changed.notify_all();
    }
}

impl Recorder {
    pub fn all(&self) -> Vec<Notification> {
        self.seen.lock().unwrap().clone()
    }

    pub fn events(&self) -> Vec<Notification> {
        self.all()
            .into_iter()
            .filter(|n| matches!(n.kind, NotificationKind::Event { .. }))
            .collect()
    }

    /// Waits until `done` holds for the notifications so far, or fails after `secs`.
    pub fn wait_for(&self, secs: u64, what: &str, done: impl Fn(&[Notification]) -> bool) {
        let deadline = Instant::now() + Duration::from_secs(secs);
        let mut seen = self.seen.lock().unwrap();
        while !done(&seen) {
            let left = deadline.saturating_duration_since(Instant::now());
            assert!(!left.is_zero(), "timed out waiting for {what}; got {:#?}", *seen);
            seen = self.changed.wait_timeout(seen, left).unwrap().0;
        }
    }
}

/// Polls `check` until it returns Some, or fails after `secs`.
pub fn wait_until<T>(secs: u64, what: &str, mut check: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        if let Some(value) = check() {
            return value;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// A data dir with a store, and an engine over it.
pub struct Rig {
    _dir: tempfile::TempDir,
    pub path: PathBuf,
    pub store: Store,
    pub recorder: Arc<Recorder>,
    pub engine: Option<Engine>,
}

impl Rig {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let path = Store::path_in(dir.path());
        let store = Store::open(&path).unwrap();
        Self { _dir: dir, path, store, recorder: Arc::default(), engine: None }
    }

    pub fn options(&self) -> EngineOptions {
        EngineOptions::new(self.path.clone())
    }

    pub fn start(&mut self) -> &Engine {
        self.start_with(self.options())
    }

    pub fn start_with(&mut self, options: EngineOptions) -> &Engine {
        let engine = Engine::start(options, self.recorder.clone(), Arc::new(NoSecrets)).unwrap();
        self.engine.insert(engine)
    }

    pub fn stop(&mut self) {
        if let Some(engine) = self.engine.take() {
            engine.stop();
        }
    }

    /// Adds a feed; `coalesce` events are shown one by one before a summary.
    pub fn feed(&mut self, name: &str, url: &str, tweak: impl FnOnce(&mut FeedSpec)) -> Feed {
        let mut spec = FeedSpec { name: name.into(), url: url.into(), ..FeedSpec::default() };
        spec.tuning.coalesce_count = Some(1000);
        tweak(&mut spec);
        self.store.add_feed(&spec).unwrap()
    }

    pub fn history(&self, feed: &Feed) -> Vec<(Option<String>, String)> {
        let query = herald_store::HistoryQuery {
            feed_id: Some(feed.id.clone()),
            limit: 100_000,
            ..Default::default()
        };
        let mut rows: Vec<_> =
            self.store.history(&query).unwrap().into_iter().map(|e| (e.event_id, e.data)).collect();
        rows.reverse();
        rows
    }

    pub fn state(&self, feed: &Feed) -> Option<String> {
        let engine = self.engine.as_ref()?;
        engine.states().borrow().get(&feed.id).map(|s| s.phase().to_string())
    }

    pub fn wait_state(&self, feed: &Feed, word: &str) {
        wait_until(10, &format!("{} to be {word}", feed.spec.name), || {
            (self.state(feed).as_deref() == Some(word)).then_some(())
        });
    }
}

impl Default for Rig {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for Rig {
    fn drop(&mut self) {
        self.stop();
    }
}
