//! What the resident does for the tray: keep the tray's model in line with the store (feeds,
//! their live states, unread counts, do-not-disturb, written by this process or any other), and
//! carry out the menu's actions through the same API the command line uses.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use herald_api::{Beacon, Follower, Herald, Millis, Stamp, WindowKind, now_millis};
use herald_engine::Engine;
use herald_os::DataDir;

use crate::event_loop::{Request, Requests};
use crate::tray_model::{Action, TrayModel};
use crate::ui_launcher;

/// The least time between two rebuilds of the tray's model after a change of feeds, settings
/// or read marks (from the command line, the windows or the menu): a lone change shows at once,
/// and one that follows another closely still shows well within half a second.
const REBUILD_GAP: Duration = Duration::from_millis(250);

/// The same after commits that changed nothing but events and feeds' live states (unread
/// counts, "retrying"): those come with every event, and a tray that rebuilt for each was
/// most of what a busy resident's main thread did.
const EVENT_GAP: Duration = Duration::from_secs(3);

/// Notices changes in the store cheaply: the model is rebuilt only when another connection
/// committed something, at most every [`REBUILD_GAP`] (or [`EVENT_GAP`] for events alone).
/// While the events' gap runs after a rebuild, commits of events alone do not even wake the
/// resident: it looks at the gap's end in any case (see [`Gate`]).
pub struct TrayFeed {
    herald: Herald,
    seen_version: Option<i64>,
    /// The engine's trouble with the store, which no commit announces (it is what fails).
    trouble: Arc<Mutex<Option<String>>>,
    seen_trouble: Option<String>,
    /// Whether a signal from the store waits in the resident's inbox (so that a burst of
    /// commits queues one request, not one per commit).
    signalled: Arc<AtomicBool>,
    gate: Arc<Gate>,
    /// A follower holds commits back at the gate: after a rebuild, look at the gap's end.
    following: bool,
    held: bool,
    last_build: Option<Instant>,
    /// The configuration beacon at the last rebuild. The beacon, not `config_version`: this is
    /// asked at every commit, and a query after another process's commit re-reads its pages,
    /// where the beacon is one metadata call.
    seen_config: Option<Stamp>,
    /// Set by the follower of the configuration beacon (the stamp alone can miss a ring).
    config_rung: Arc<AtomicBool>,
    /// A change of feeds, settings or the store's trouble came since the last rebuild: it
    /// shows after the short gap.
    urgent: bool,
    /// A change was seen during the gap: rebuild when it ends.
    deferred: bool,
    /// The next moment the model changes by the clock alone (a snooze ends).
    expires: Option<Millis>,
}

impl TrayFeed {
    pub fn new(herald: Herald, trouble: Arc<Mutex<Option<String>>>) -> Self {
        Self {
            herald,
            seen_version: None,
            trouble,
            seen_trouble: None,
            signalled: Arc::default(),
            gate: Arc::new(Gate::new()),
            following: false,
            held: false,
            last_build: None,
            seen_config: None,
            config_rung: Arc::default(),
            urgent: false,
            deferred: false,
            expires: None,
        }
    }

    /// Sends `Request::StoreChanged` after commits to the store (by any process), except
    /// those of events alone while the events' gap runs. Changes of feeds and settings are
    /// followed on their own beacon: a beacon's time can stand still between two rings (file
    /// systems that keep whole seconds), a signal cannot.
    pub fn follow(&mut self, requests: Requests) -> Following {
        self.following = true;
        let config = {
            let (signalled, rung) = (self.signalled.clone(), self.config_rung.clone());
            let requests = requests.clone();
            self.herald.follow(Beacon::Config, move || {
                rung.store(true, Ordering::Release);
                if !signalled.swap(true, Ordering::AcqRel) {
                    requests.send(Request::StoreChanged);
                }
            })
        };
        let (signalled, gate) = (self.signalled.clone(), self.gate.clone());
        let any = self.herald.follow(Beacon::Any, move || {
            if !gate.holds(Instant::now()) && !signalled.swap(true, Ordering::AcqRel) {
                requests.send(Request::StoreChanged);
            }
        });
        Following { _any: any, _config: config }
    }

    /// The resident took the signal: the next commit sends another.
    pub fn heard(&self) {
        self.signalled.store(false, Ordering::Release);
    }

    /// When the resident must look again without being asked: the end of a deferred rebuild
    /// or of a snooze. None: only a request brings a change.
    pub fn next_look(&self) -> Option<Instant> {
        // No rebuild comes before the gap after the last one: a snooze that ended within it
        // is looked at once, at its end (waking at the snooze's end would find the rebuild
        // deferred, and wake again at once, and again, until the gap was over).
        let gap = if self.urgent { REBUILD_GAP } else { EVENT_GAP };
        let deferred = self.deferred.then(|| self.last_build.map(|at| at + gap)).flatten();
        let held = self.held.then(|| self.last_build.map(|at| at + EVENT_GAP)).flatten();
        let deferred = match (deferred, held) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        // The end of a snooze shows as a change of settings would.
        let gap_end = self.last_build.map(|at| at + REBUILD_GAP);
        let expiry = self.expires.map(|at| {
            let left = u64::try_from(at.saturating_sub(now_millis())).unwrap_or(0);
            let due = Instant::now() + Duration::from_millis(left);
            gap_end.map_or(due, |gap_end| due.max(gap_end))
        });
        match (deferred, expiry) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// The model, when something may have changed since the last call.
    pub fn changed_model(&mut self) -> Option<TrayModel> {
        let now = Instant::now();
        let config = self.herald.config_stamp();
        let trouble = self.trouble.lock().ok()?.clone();
        self.urgent |= config != self.seen_config
            || self.config_rung.swap(false, Ordering::AcqRel)
            || trouble != self.seen_trouble;
        let expired = self.expires.is_some_and(|at| at <= now_millis());
        let gap = if self.urgent || expired { REBUILD_GAP } else { EVENT_GAP };
        if self.last_build.is_some_and(|at| now < at + gap) {
            self.deferred = true;
            return None;
        }
        self.deferred = false;
        self.held = false;
        let version = self.herald.data_version().ok()?;
        if self.seen_version == Some(version) && self.seen_trouble == trouble && !expired {
            return None;
        }
        self.seen_version = Some(version);
        self.seen_config = config;
        self.urgent = false;
        self.seen_trouble.clone_from(&trouble);
        self.last_build = Some(now);
        if self.following {
            self.gate.hold_until(now + EVENT_GAP);
            self.held = true;
        }
        // The engine's trouble comes with `trouble` above, not through the file other
        // processes read.
        let statuses = self.herald.stored_statuses().ok()?;
        let dnd = self.herald.settings().ok()?.do_not_disturb;
        let at = now_millis();
        self.expires = statuses
            .iter()
            .filter_map(|s| s.feed.spec.snooze_until)
            .filter(|&until| until > at)
            .min();
        Some(TrayModel::new(&statuses, dnd, at).with_store_trouble(trouble))
    }

    /// Forces a rebuild at the next call (after this connection wrote something itself, which
    /// does not move its own data_version), at once: a click shows its effect.
    pub fn invalidate(&mut self) {
        self.seen_version = None;
        self.last_build = None;
        self.gate.hold_until(Instant::now());
    }

    pub fn perform(&mut self, action: Action, engine: &Engine, data_dir: &DataDir) {
        let result = self.run(action, engine, data_dir);
        if let Err(e) = result {
            tracing::warn!("the tray action failed: {e:#}");
        }
        self.invalidate();
    }

    fn run(&mut self, action: Action, engine: &Engine, data_dir: &DataDir) -> anyhow::Result<()> {
        let herald = &self.herald;
        match action {
            Action::OpenHistory => ui_launcher::open(data_dir, WindowKind::History, None)?,
            Action::OpenSettings => ui_launcher::open(data_dir, WindowKind::Settings, None)?,
            Action::Pause(id) => drop(herald.set_enabled(&id, false)?),
            Action::Resume(id) => drop(herald.set_enabled(&id, true)?),
            Action::MuteFor(id, duration) => {
                herald.snooze(&id, Some(now_millis().saturating_add(millis(duration))))?;
            }
            Action::MuteUntilTomorrow(id) => drop(herald.snooze(&id, Some(tomorrow_morning()))?),
            Action::Unmute(id) => drop(herald.unmute(&id)?),
            Action::Reconnect(id) => engine.reconnect(Some(&id)),
            Action::Run(id) => engine.run(&id),
            Action::PauseAll | Action::ResumeAll => {
                herald.set_all_enabled(action == Action::ResumeAll)?;
            }
            Action::ToggleDoNotDisturb => {
                let on = herald.settings()?.do_not_disturb;
                herald.set_do_not_disturb(!on)?;
            }
            Action::Quit => {}
        }
        Ok(())
    }
}

/// Where the store's follower learns whether the resident waits out the events' gap: until
/// then it does not pass on commits (a change of feeds, settings or read marks comes through
/// the other follower), since the resident looks at the gap's end anyway. A busy resident was
/// woken for every event only to put the rebuild off.
struct Gate {
    base: Instant,
    /// Nanoseconds after `base`.
    until: AtomicU64,
}

impl Gate {
    fn new() -> Self {
        Self { base: Instant::now(), until: AtomicU64::new(0) }
    }

    fn hold_until(&self, until: Instant) {
        let nanos = until.saturating_duration_since(self.base).as_nanos();
        self.until.store(u64::try_from(nanos).unwrap_or(u64::MAX), Ordering::SeqCst);
    }

    fn holds(&self, now: Instant) -> bool {
        let nanos = now.saturating_duration_since(self.base).as_nanos();
        u64::try_from(nanos).unwrap_or(u64::MAX) < self.until.load(Ordering::SeqCst)
    }
}

/// The store's followers of a resident with a tray: dropping it stops them.
pub struct Following {
    _any: Follower,
    _config: Follower,
}

fn millis(d: Duration) -> Millis {
    d.as_millis() as Millis
}

/// 8:00 tomorrow, local time: "until tomorrow" means until the working day starts.
fn tomorrow_morning() -> Millis {
    use chrono::{Duration as Days, Local, NaiveTime};
    let date = Local::now().date_naive() + Days::days(1);
    date.and_time(NaiveTime::from_hms_opt(8, 0, 0).unwrap_or_default())
        .and_local_timezone(Local)
        .earliest()
        .map_or_else(|| now_millis() + 86_400_000, |t| t.timestamp_millis())
}

#[cfg(test)]
#[path = "tray_actions_tests.rs"]
mod tests;
