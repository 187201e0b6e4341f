//! Step 6 of "From bytes to a notification" (ARCHITECTURE.md): what reaches the desktop. Only
//! newly stored, kept events arrive here (the writer sends them after the commit).
//! Do-not-disturb, quiet hours, per-feed mute and snooze suppress notifications (the history has
//! the events anyway); bursts coalesce into one summary; and feeds that stay down, come back, or
//! go quiet say so once.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use herald_store::{Millis, Rendered, Settings};
use tokio::sync::{mpsc, watch};
use tokio::time::{Instant, sleep_until};

use crate::plan::NotifyPolicy;
use crate::state::{FeedState, FeedStates, StopReason};
use crate::watchers::WallClock;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotificationKind {
    Event {
        history_id: i64,
        event_type: String,
    },
    /// "N new events from <feed>": a burst, coalesced.
    Summary {
        count: u32,
    },
    /// The feed has not been live for longer than the health threshold.
    FeedDown,
    FeedBack,
    /// A live feed delivered no event for its silence-alert time.
    FeedSilent,
}

/// One desktop notification, fully rendered. Text is plain: the notifier escapes it for its
/// platform's markup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notification {
    pub feed_id: String,
    pub feed_name: String,
    pub kind: NotificationKind,
    pub title: String,
    pub body: String,
    pub link: Option<String>,
    pub priority: Option<u8>,
    /// Extra buttons that open a link (ntfy's `view` actions): label and http(s) URL.
    pub buttons: Vec<(String, String)>,
}

/// Shows notifications. Called on a thread of its own, so it may block (D-Bus, COM).
pub trait Notifier: Send + Sync + 'static {
    fn notify(&self, notification: &Notification);
}

/// Shows each notification that reaches `queue`, in turn, until its senders are gone. A call
/// that took `slow` or longer (a notification service that hangs holds each call for the
/// notifier's whole wait, which `slow` should be) leaves what queued meanwhile unshown: old news by then (the events
/// are in the history), which would otherwise pile up without bound and pop up all at once
/// when the service answers again.
pub fn show_all(
    queue: &std::sync::mpsc::Receiver<Notification>,
    notifier: &dyn Notifier,
    slow: Duration,
) {
    while let Ok(notification) = queue.recv() {
        let started = std::time::Instant::now();
        notifier.notify(&notification);
        if started.elapsed() >= slow {
            let skipped = queue.try_iter().count();
            if skipped > 0 {
                tracing::warn!(
                    "{skipped} notifications not shown: the notification service did not answer \
                     for {} s (their events are in the history)",
                    started.elapsed().as_secs()
                );
            }
        }
    }
}

/// A kept event that is new, as the writer stored it: the only thing that may notify.
#[derive(Debug, Clone)]
pub struct StoredEvent {
    pub feed_id: String,
    pub history_id: i64,
    pub event_type: String,
    /// The raw data, for what the rendering does not carry (ntfy's action buttons); empty when
    /// larger than the writer hands on (an ntfy message is at most 4 KiB).
    pub data: String,
    pub rendered: Rendered,
}

/// What reaches the dispatcher.
#[derive(Debug, Clone)]
pub enum Alert {
    Stored(StoredEvent),
    Silent { feed_id: String, quiet_for: Duration },
}

/// What decides whether and how to notify: app-wide settings and each feed's policy.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Policies {
    pub settings: Settings,
    pub feeds: HashMap<String, NotifyPolicy>,
}

impl Policies {
    fn suppressed(&self, feed: &NotifyPolicy, now: Millis, minute_of_day: u32) -> bool {
        self.settings.do_not_disturb
            || feed.muted
            || herald_model::snoozed(feed.snooze_until, now)
            || self.settings.quiet_hours().is_some_and(|quiet| quiet.contains(minute_of_day))
    }
}

/// One feed's current coalescing window.
#[derive(Debug)]
struct Burst {
    started: Instant,
    shown: u32,
    held: u32,
    flush_at: Option<Instant>,
}

#[derive(Debug, Default)]
struct Health {
    down_since: Option<Instant>,
    alerted: bool,
    last_error: String,
}

pub struct Dispatcher {
    pub alerts: mpsc::UnboundedReceiver<Alert>,
    pub policies: watch::Receiver<Arc<Policies>>,
    pub states: watch::Receiver<FeedStates>,
    pub out: std::sync::mpsc::Sender<Notification>,
    /// For snoozes and quiet hours.
    pub clock: Arc<dyn WallClock>,
}

impl Dispatcher {
    pub fn new(
        alerts: mpsc::UnboundedReceiver<Alert>,
        policies: watch::Receiver<Arc<Policies>>,
        states: watch::Receiver<FeedStates>,
        out: std::sync::mpsc::Sender<Notification>,
        clock: Arc<dyn WallClock>,
    ) -> Self {
        Self { alerts, policies, states, out, clock }
    }

    /// Whether `feed` is quiet now (do not disturb, mute, snooze, quiet hours).
    fn suppressed(&self, policies: &Policies, feed: &NotifyPolicy) -> bool {
        policies.suppressed(feed, self.clock.now_millis(), self.clock.local_minute_of_day())
    }

    pub async fn run(mut self) {
        let mut bursts: HashMap<String, Burst> = HashMap::new();
        let mut health: HashMap<String, Health> = HashMap::new();
        self.states.mark_changed();
        loop {
            let next_flush = bursts.values().filter_map(|b| b.flush_at).min();
            let next_health = self.next_health_deadline(&health);
            let wake = [next_flush, next_health].into_iter().flatten().min();
            tokio::select! {
                alert = self.alerts.recv() => match alert {
                    Some(alert) => self.on_alert(alert, &mut bursts),
                    None => break,
                },
                changed = self.states.changed() => {
                    if changed.is_err() {
                        break;
                    }
                    self.on_states(&mut health);
                }
                () = sleep_or_never(wake) => {
                    self.flush_due(&mut bursts);
                    self.alert_down(&mut health);
                }
            }
        }
        // Whatever a burst still holds is said before the engine stops.
        // Only bursts that hold something: a feed that merely had events says nothing more (it
        // used to say "0 new events from X" for every such feed at every shutdown).
        for burst in bursts.values_mut().filter(|b| b.held > 0) {
            burst.flush_at = Some(Instant::now());
        }
        self.flush_due(&mut bursts);
    }

    fn policy(&self, feed_id: &str) -> Option<NotifyPolicy> {
        self.policies.borrow().feeds.get(feed_id).cloned()
    }

    fn send(&self, n: Notification) {
        let _ = self.out.send(n);
    }

    fn on_alert(&mut self, alert: Alert, bursts: &mut HashMap<String, Burst>) {
        let policies = self.policies.borrow().clone();
        match alert {
            Alert::Stored(event) => {
                let Some(feed) = policies.feeds.get(&event.feed_id) else { return };
                if self.suppressed(&policies, feed) {
                    return;
                }
                let count = feed.coalesce_count.unwrap_or(policies.settings.coalesce_count);
                let window = feed
                    .coalesce_window
                    .unwrap_or(Duration::from_secs(u64::from(policies.settings.coalesce_window_s)));
                let now = Instant::now();
                let burst = bursts.entry(event.feed_id.clone()).or_insert(Burst {
                    started: now,
                    shown: 0,
                    held: 0,
                    flush_at: None,
                });
                if now >= burst.started + window && burst.held == 0 {
                    *burst = Burst { started: now, shown: 0, held: 0, flush_at: None };
                }
                if count == 0 || burst.shown < count {
                    burst.shown += 1;
                    let r = event.rendered;
                    self.send(Notification {
                        feed_id: event.feed_id,
                        feed_name: feed.feed_name.clone(),
                        kind: NotificationKind::Event {
                            history_id: event.history_id,
                            event_type: event.event_type,
                        },
                        buttons: crate::mapping::link_buttons(feed.preset, &event.data),
                        title: r.title,
                        body: r.body,
                        link: r.link,
                        priority: r.priority,
                    });
                } else {
                    burst.held += 1;
                    burst.flush_at.get_or_insert(burst.started + window);
                }
            }
            Alert::Silent { feed_id, quiet_for } => {
                let Some(feed) = policies.feeds.get(&feed_id) else { return };
                if self.suppressed(&policies, feed) {
                    return;
                }
                self.send(Notification {
                    feed_name: feed.feed_name.clone(),
                    kind: NotificationKind::FeedSilent,
                    title: format!("{} is quiet", feed.feed_name),
                    body: format!("No event for {}.", human(quiet_for)),
                    feed_id,
                    link: None,
                    priority: None,
                    buttons: Vec::new(),
                });
            }
        }
    }

    fn flush_due(&self, bursts: &mut HashMap<String, Burst>) {
        let now = Instant::now();
        for (feed_id, burst) in bursts.iter_mut() {
            if burst.flush_at.is_some_and(|at| at <= now) {
                let count = std::mem::take(&mut burst.held);
                burst.flush_at = None;
                // The next event starts a new window.
                burst.started = now;
                burst.shown = u32::MAX;
                let Some(feed) = self.policy(feed_id) else { continue };
                self.send(Notification {
                    feed_id: feed_id.clone(),
                    feed_name: feed.feed_name.clone(),
                    kind: NotificationKind::Summary { count },
                    title: feed.feed_name.clone(),
                    body: format!(
                        "{count} new {} from {}",
                        if count == 1 { "event" } else { "events" },
                        feed.feed_name
                    ),
                    link: None,
                    priority: None,
                    buttons: Vec::new(),
                });
            }
        }
    }

    fn down_after(&self) -> Option<Duration> {
        let s = self.policies.borrow().settings.health_down_after_s;
        (s > 0).then(|| Duration::from_secs(u64::from(s)))
    }

    fn next_health_deadline(&self, health: &HashMap<String, Health>) -> Option<Instant> {
        let after = self.down_after()?;
        health.values().filter(|h| !h.alerted).filter_map(|h| h.down_since).map(|s| s + after).min()
    }

    fn on_states(&mut self, health: &mut HashMap<String, Health>) {
        let states = self.states.borrow_and_update().clone();
        let now = Instant::now();
        health.retain(|id, _| states.contains_key(id));
        for (id, state) in &states {
            let h = health.entry(id.clone()).or_default();
            match state {
                FeedState::Live { .. } => {
                    if h.alerted {
                        self.health_notice(id, NotificationKind::FeedBack, String::new());
                    }
                    *h = Health::default();
                }
                // A finished feed is done, not down.
                FeedState::Stopped { reason: StopReason::Disabled, .. }
                | FeedState::Finished { .. } => *h = Health::default(),
                FeedState::Retrying { error, .. } | FeedState::Stopped { error, .. } => {
                    h.down_since.get_or_insert(now);
                    h.last_error.clone_from(error);
                }
                FeedState::Connecting { .. } => {
                    h.down_since.get_or_insert(now);
                }
            }
        }
        self.alert_down(health);
    }

    fn alert_down(&self, health: &mut HashMap<String, Health>) {
        let Some(after) = self.down_after() else { return };
        let now = Instant::now();
        for (id, h) in health.iter_mut() {
            if !h.alerted && h.down_since.is_some_and(|since| now >= since + after) {
                h.alerted = true;
                self.health_notice(id, NotificationKind::FeedDown, h.last_error.clone());
            }
        }
    }

    fn health_notice(&self, feed_id: &str, kind: NotificationKind, error: String) {
        let policies = self.policies.borrow().clone();
        let Some(feed) = policies.feeds.get(feed_id) else { return };
        if self.suppressed(&policies, feed) {
            return;
        }
        let (title, body) = match kind {
            NotificationKind::FeedBack => {
                (format!("{} is back", feed.feed_name), "Connected again.".to_owned())
            }
            _ => (
                format!("{} is down", feed.feed_name),
                format!(
                    "Not connected for {}{}",
                    human(self.down_after().unwrap_or_default()),
                    if error.is_empty() { ".".to_owned() } else { format!(": {error}") }
                ),
            ),
        };
        self.send(Notification {
            feed_id: feed_id.to_owned(),
            feed_name: feed.feed_name.clone(),
            kind,
            title,
            body,
            link: None,
            priority: None,
            buttons: Vec::new(),
        });
    }
}

fn human(d: Duration) -> String {
    let s = d.as_secs();
    match s {
        0..120 => format!("{s} seconds"),
        120..7200 => format!("{} minutes", s / 60),
        _ => format!("{} hours", s / 3600),
    }
}

async fn sleep_or_never(at: Option<Instant>) {
    match at {
        Some(at) => sleep_until(at).await,
        None => std::future::pending().await,
    }
}

#[cfg(test)]
#[path = "notify_tests.rs"]
mod dispatcher_tests;
