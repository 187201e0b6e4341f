//! Coalescing, health and suppression, with paused time: exact instants, no waiting.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use herald_store::{Rendered, Settings};
use tokio::sync::{mpsc, watch};
use tokio::time::{Instant, sleep};

use super::{Alert, Dispatcher, Notification, NotificationKind, Policies};
use crate::notify::StoredEvent;
use crate::plan::NotifyPolicy;
use crate::state::{FeedState, FeedStates};
use crate::watchers::WallClock;

/// Noon, local time, on 2026-06-01 (UTC noon; the time of day is fixed whatever the zone).
struct Noon;

impl WallClock for Noon {
    fn now(&self) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(1_780_315_200)
    }

    fn local_minute_of_day(&self) -> u32 {
        12 * 60
    }
}

struct Rig {
    alerts: mpsc::UnboundedSender<Alert>,
    policies: watch::Sender<Arc<Policies>>,
    states: watch::Sender<FeedStates>,
    out: std::sync::mpsc::Receiver<Notification>,
    start: Instant,
    seen: Vec<(f64, Notification)>,
}

fn policy(name: &str) -> NotifyPolicy {
    NotifyPolicy {
        feed_name: name.into(),
        preset: herald_model::presets::Preset::Generic,
        muted: false,
        snooze_until: None,
        coalesce_count: None,
        coalesce_window: None,
        silence_alert: None,
    }
}

impl Rig {
    fn start(settings: Settings) -> Self {
        let (alerts, alerts_rx) = mpsc::unbounded_channel();
        let feeds = [("a".to_owned(), policy("Alpha")), ("b".to_owned(), policy("Beta"))].into();
        let (policies, policies_rx) = watch::channel(Arc::new(Policies { settings, feeds }));
        let (states, states_rx) = watch::channel(FeedStates::new());
        let (out_tx, out) = std::sync::mpsc::channel();
        let dispatcher = Dispatcher::new(alerts_rx, policies_rx, states_rx, out_tx, Arc::new(Noon));
        tokio::spawn(dispatcher.run());
        Rig { alerts, policies, states, out, start: Instant::now(), seen: Vec::new() }
    }

    fn event(&self, feed: &str, n: i64) {
        let rendered =
            Rendered { title: format!("t{n}"), body: format!("b{n}"), link: None, priority: None };
        let event = StoredEvent {
            feed_id: feed.into(),
            history_id: n,
            event_type: "message".into(),
            data: String::new(),
            rendered,
        };
        self.alerts.send(Alert::Stored(event)).unwrap();
    }

    fn set_state(&self, feed: &str, state: FeedState) {
        self.states.send_modify(|s| {
            s.insert(feed.into(), state);
        });
    }

    /// Lets the dispatcher run until `secs` after the start, collecting what it shows.
    async fn until(&mut self, secs: f64) -> &[(f64, Notification)] {
        let at = self.start + Duration::from_secs_f64(secs);
        loop {
            tokio::task::yield_now().await;
            while let Ok(n) = self.out.try_recv() {
                self.seen.push(((Instant::now() - self.start).as_secs_f64(), n));
            }
            if Instant::now() >= at {
                return &self.seen;
            }
            sleep((at - Instant::now()).min(Duration::from_millis(100))).await;
        }
    }
}

fn kinds(seen: &[(f64, Notification)]) -> Vec<(f64, NotificationKind)> {
    seen.iter().map(|(t, n)| (*t, n.kind.clone())).collect()
}

#[tokio::test(start_paused = true)]
async fn a_burst_shows_the_first_five_and_then_one_summary_at_the_end_of_the_window() {
    let mut rig = Rig::start(Settings::default());
    for n in 0..12 {
        rig.event("a", n);
    }
    rig.event("b", 100);
    let seen = rig.until(11.0).await.to_vec();
    let alpha: Vec<_> = seen.iter().filter(|(_, n)| n.feed_id == "a").collect();
    assert_eq!(alpha.len(), 6);
    assert!(
        alpha[..5]
            .iter()
            .all(|(t, n)| *t == 0.0 && matches!(n.kind, NotificationKind::Event { .. }))
    );
    assert_eq!((alpha[5].0, &alpha[5].1.kind), (10.0, &NotificationKind::Summary { count: 7 }));
    assert_eq!(alpha[5].1.body, "7 new events from Alpha");
    assert_eq!(seen.iter().filter(|(_, n)| n.feed_id == "b").count(), 1, "feeds coalesce apart");
    // Once the burst is over, the next event shows on its own again.
    sleep(Duration::from_secs(20)).await;
    rig.event("a", 50);
    let later = rig.until(32.0).await;
    assert!(matches!(later.last().unwrap().1.kind, NotificationKind::Event { history_id: 50, .. }));
}

#[tokio::test(start_paused = true)]
async fn a_feed_down_for_ten_minutes_says_so_once_and_again_when_it_is_back() {
    let mut rig = Rig::start(Settings::default());
    rig.set_state(
        "a",
        FeedState::Retrying { attempt: 1, at: 0, error: "connection refused".into() },
    );
    rig.set_state("b", FeedState::Live { since: 0, warning: None });
    rig.until(599.0).await;
    assert!(rig.seen.is_empty());
    rig.set_state(
        "a",
        FeedState::Retrying { attempt: 5, at: 0, error: "connection refused".into() },
    );
    let seen = kinds(rig.until(1200.0).await);
    assert_eq!(seen, [(600.0, NotificationKind::FeedDown)], "exactly at 10 min, once");
    assert!(rig.seen[0].1.body.contains("connection refused"));
    rig.set_state("a", FeedState::Live { since: 0, warning: None });
    let seen = kinds(rig.until(1201.0).await);
    assert_eq!(seen[1].1, NotificationKind::FeedBack);
    assert_eq!(rig.seen[1].1.title, "Alpha is back");
}

#[tokio::test(start_paused = true)]
async fn do_not_disturb_and_mute_suppress_everything() {
    let mut rig = Rig::start(Settings { do_not_disturb: true, ..Settings::default() });
    rig.event("a", 1);
    assert!(rig.until(1.0).await.is_empty());
    let mut policies = (**rig.policies.borrow()).clone();
    policies.settings.do_not_disturb = false;
    policies.feeds.get_mut("a").unwrap().muted = true;
    policies.feeds.get_mut("b").unwrap().snooze_until = Some(i64::MAX);
    rig.policies.send_replace(Arc::new(policies.clone()));
    rig.event("a", 2);
    rig.event("b", 3);
    assert!(rig.until(2.0).await.is_empty());
    policies.settings.quiet_from = "11:00".parse().ok();
    policies.settings.quiet_to = "13:00".parse().ok();
    policies.feeds.get_mut("a").unwrap().muted = false;
    rig.policies.send_replace(Arc::new(policies));
    rig.event("a", 4);
    assert!(rig.until(3.0).await.is_empty(), "quiet hours (it is noon)");
}

/// Found from the outside: every shutdown said "0 new events from X" for each feed that had
/// shown events. A stop flushes only bursts that hold events.
#[tokio::test(start_paused = true)]
async fn stopping_says_nothing_for_a_feed_whose_events_were_all_shown() {
    let mut rig = Rig::start(Settings::default());
    rig.event("a", 1);
    rig.until(1.0).await;
    // Closing the alerts ends the dispatcher, as the engine's shutdown does.
    let (dead, _) = mpsc::unbounded_channel();
    drop(std::mem::replace(&mut rig.alerts, dead));
    let seen = rig.until(2.0).await;
    let kinds: Vec<&NotificationKind> = seen.iter().map(|(_, n)| &n.kind).collect();
    assert_eq!(kinds.len(), 1, "only the event itself: {kinds:?}");
    assert!(matches!(kinds[0], NotificationKind::Event { history_id: 1, .. }), "{kinds:?}");
}

/// Records what it is asked to show.
#[derive(Default)]
struct Shown(std::sync::Mutex<Vec<String>>);

impl super::Notifier for Shown {
    fn notify(&self, notification: &Notification) {
        self.0.lock().unwrap().push(notification.title.clone());
    }
}

fn titled(title: &str) -> Notification {
    Notification {
        feed_id: "a".into(),
        feed_name: "Alpha".into(),
        kind: NotificationKind::Event { history_id: 1, event_type: "message".into() },
        title: title.into(),
        body: String::new(),
        link: None,
        priority: None,
        buttons: Vec::new(),
    }
}

/// Notifications queued while one took the "slow" time to show are old news: dropped, not
/// shown all at once later; with a quick notifier every one is shown, in order.
#[test]
fn what_queued_behind_a_slow_notification_is_dropped_and_the_rest_shown() {
    let queue = |titles: &[&str]| {
        let (tx, rx) = std::sync::mpsc::channel();
        for title in titles {
            tx.send(titled(title)).unwrap();
        }
        rx
    };
    let shown = Shown::default();
    super::show_all(&queue(&["1", "2", "3"]), &shown, Duration::from_secs(3600));
    assert_eq!(*shown.0.lock().unwrap(), ["1", "2", "3"]);
    let shown = Shown::default();
    // Every call counts as slow: the first is shown, what queued behind it is not.
    super::show_all(&queue(&["1", "2", "3"]), &shown, Duration::ZERO);
    assert_eq!(*shown.0.lock().unwrap(), ["1"]);
}
