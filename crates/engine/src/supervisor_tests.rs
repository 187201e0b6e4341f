//! The reconnection rules, with paused time: a scripted connector (a fake of our own trait, for
//! the logic above it; the real connector is tested against loopback servers in tests/it) and
//! exact instants for every attempt.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use herald_secrets::NoSecrets;
use herald_sse::{ConnectError, Request, StreamError};
use herald_store::{Feed, FeedSpec};
use tokio::sync::{mpsc, watch};
use tokio::time::Instant;

use super::{Command, Shared, Supervisor};
use crate::connector::{ByteStream, Connector};
use crate::log_fold::LogFold;
use crate::plan::{Connection, FeedPlan};
use crate::state::{FeedState, FeedStates, StopReason};
use crate::writer::ToWriter;

enum Outcome {
    Fail(ConnectError),
    /// A stream fed by the test; it ends when the sender is dropped.
    Stream(mpsc::UnboundedReceiver<Bytes>),
}

#[derive(Default)]
struct Script {
    outcomes: Mutex<VecDeque<Outcome>>,
    attempts: Mutex<Vec<(Instant, Request)>>,
}

struct Scripted(Arc<Script>);

struct FakeStream(mpsc::UnboundedReceiver<Bytes>);

impl ByteStream for FakeStream {
    async fn chunk(&mut self) -> Result<Option<Bytes>, StreamError> {
        Ok(self.0.recv().await)
    }
}

impl Connector for Scripted {
    type Stream = FakeStream;
    type Lease = ();

    fn lease(&self, _feed: &Connection, _fresh: bool) -> Result<(), ConnectError> {
        Ok(())
    }

    async fn connect(&self, _lease: &(), request: Request) -> Result<FakeStream, ConnectError> {
        self.0.attempts.lock().unwrap().push((Instant::now(), request));
        let next = self.0.outcomes.lock().unwrap().pop_front();
        match next {
            Some(Outcome::Fail(e)) => Err(e),
            Some(Outcome::Stream(rx)) => Ok(FakeStream(rx)),
            // Out of script: a server that never answers.
            None => std::future::pending().await,
        }
    }
}

fn status(code: u16) -> ConnectError {
    ConnectError::Status {
        status: code,
        status_text: String::new(),
        excerpt: String::new(),
        retry_after: None,
    }
}

struct Harness {
    script: Arc<Script>,
    commands: mpsc::UnboundedSender<Command>,
    states: watch::Receiver<FeedStates>,
    writer: mpsc::Receiver<ToWriter>,
    alerts: mpsc::UnboundedReceiver<crate::notify::Alert>,
    start: Instant,
}

impl Harness {
    fn start(outcomes: Vec<Outcome>, unit: f64, spec: FeedSpec) -> Self {
        Self::start_with_secrets(outcomes, unit, spec, Arc::new(NoSecrets))
    }

    fn start_with_secrets(
        outcomes: Vec<Outcome>,
        unit: f64,
        spec: FeedSpec,
        secrets: Arc<dyn herald_secrets::SecretStore>,
    ) -> Self {
        Self::start_full(outcomes, unit, spec, secrets, None)
    }

    fn start_full(
        outcomes: Vec<Outcome>,
        unit: f64,
        spec: FeedSpec,
        secrets: Arc<dyn herald_secrets::SecretStore>,
        finished_at: Option<herald_store::Millis>,
    ) -> Self {
        let script =
            Arc::new(Script { outcomes: Mutex::new(outcomes.into()), ..Script::default() });
        let (writer_tx, writer) = mpsc::channel(1024);
        let (states_tx, states) = watch::channel(FeedStates::new());
        let (alerts, alerts_rx) = mpsc::unbounded_channel();
        let shared = Arc::new(Shared {
            connector: Arc::new(Scripted(script.clone())),
            writer: writer_tx,
            states: states_tx,
            secrets,
            alerts,
            in_flight: crate::writer::InFlight::new(crate::writer::IN_FLIGHT_BYTES),
            random: Arc::new(move || unit),
        });
        let feed = Feed {
            id: "f".into(),
            spec: FeedSpec { name: "F".into(), url: "http://127.0.0.1:9/".into(), ..spec },
            created_at: 0,
            updated_at: 0,
        };
        let (_plan_tx, plan) = watch::channel(Arc::new(FeedPlan::compile(&feed).unwrap()));
        let (commands, commands_rx) = mpsc::unbounded_channel();
        // The plan sender may go: supervisors only read the latest plan.
        std::mem::forget(_plan_tx);
        tokio::spawn(
            Supervisor {
                shared,
                plan,
                commands: commands_rx,
                position: String::new(),
                recent_ids: Vec::new(),
                finished_at,
                log: LogFold::default(),
            }
            .run(),
        );
        Harness { script, commands, states, writer, alerts: alerts_rx, start: Instant::now() }
    }

    /// Seconds after the start at which each attempt was made.
    fn attempt_times(&self) -> Vec<f64> {
        let attempts = self.script.attempts.lock().unwrap();
        attempts.iter().map(|(at, _)| (*at - self.start).as_secs_f64()).collect()
    }

    fn state(&self) -> FeedState {
        self.states.borrow().get("f").cloned().expect("a state")
    }
}

async fn run_for(secs: u64) {
    tokio::time::sleep(Duration::from_secs(secs)).await;
}

fn fails(n: usize, code: u16) -> Vec<Outcome> {
    (0..n).map(|_| Outcome::Fail(status(code))).collect()
}

#[tokio::test(start_paused = true)]
async fn a_5xx_storm_waits_between_the_floor_and_a_doubling_ceiling_up_to_the_cap() {
    let ceiling = Harness::start(fails(10, 500), 1.0, FeedSpec::default());
    let floor = Harness::start(fails(10, 503), 0.0, FeedSpec::default());
    run_for(2000).await;
    // unit 1.0 waits the ceiling: retry and its jitter, then 6, 12 ... capped at 300 s.
    let gaps: Vec<f64> = ceiling.attempt_times().windows(2).map(|w| w[1] - w[0]).collect();
    assert_eq!(gaps[..9], [3.75, 6.0, 12.0, 24.0, 48.0, 96.0, 192.0, 300.0, 300.0]);
    // unit 0.0 waits the floor: half the ceiling, so even the shortest waits grow.
    let gaps: Vec<f64> = floor.attempt_times().windows(2).map(|w| w[1] - w[0]).collect();
    assert_eq!(gaps[..10], [3.0, 3.0, 6.0, 12.0, 24.0, 48.0, 96.0, 150.0, 150.0, 150.0]);
    // Out of script, the server stops answering: the attempt gives up after the idle timeout
    // (90 s) and waits its backoff (150 s).
    assert_eq!(gaps[10], 240.0);
    assert!(matches!(ceiling.state(), FeedState::Connecting { .. } | FeedState::Retrying { .. }));
}

#[tokio::test(start_paused = true)]
async fn retry_after_is_honoured_on_429_and_503() {
    let busy = ConnectError::Status {
        status: 429,
        status_text: "Too Many Requests".into(),
        excerpt: String::new(),
        retry_after: Some(Duration::from_secs(120)),
    };
    let h = Harness::start(vec![Outcome::Fail(busy)], 0.0, FeedSpec::default());
    run_for(200).await;
    assert_eq!(h.attempt_times(), [0.0, 120.0]);
}

#[tokio::test(start_paused = true)]
async fn rejected_credentials_and_204_stop_without_hammering_until_told() {
    let rejected = Harness::start(fails(1, 401), 0.0, FeedSpec::default());
    let stop = Harness::start(vec![Outcome::Fail(ConnectError::Stop)], 0.0, FeedSpec::default());
    run_for(3600).await;
    assert_eq!(rejected.attempt_times().len(), 1, "one attempt in an hour");
    assert!(matches!(
        rejected.state(),
        FeedState::Stopped { reason: StopReason::CredentialsRejected, .. }
    ));
    assert_eq!(stop.attempt_times().len(), 1);
    assert!(matches!(stop.state(), FeedState::Stopped { reason: StopReason::ServerSaidStop, .. }));
    // Credentials changed: the engine says reconnect.
    rejected.commands.send(Command::ReconnectNow).unwrap();
    run_for(1).await;
    assert_eq!(rejected.attempt_times(), [0.0, 3600.0]);
}

#[tokio::test(start_paused = true)]
async fn not_found_keeps_trying_at_the_cap_with_the_error_shown() {
    let h = Harness::start(fails(5, 404), 0.0, FeedSpec::default());
    run_for(650).await;
    assert_eq!(h.attempt_times(), [0.0, 300.0, 600.0]);
    match h.state() {
        FeedState::Retrying { error, .. } => assert!(error.contains("404"), "{error}"),
        other => panic!("{other:?}"),
    }
}

#[tokio::test(start_paused = true)]
async fn the_watchdog_drops_a_silent_connection_and_comments_count_as_life() {
    let (silent_tx, silent) = mpsc::unbounded_channel();
    let (chatty_tx, chatty) = mpsc::unbounded_channel();
    let spec = FeedSpec { idle_timeout_s: Some(90), ..FeedSpec::default() };
    let blackhole = Harness::start(vec![Outcome::Stream(silent)], 0.0, spec.clone());
    let keepalive = Harness::start(vec![Outcome::Stream(chatty)], 0.0, spec);
    for _ in 0..10 {
        run_for(60).await;
        chatty_tx.send(Bytes::from_static(b": keepalive\n")).unwrap();
    }
    // Silent: dropped at 90 s, reconnected after the 3 s floor; then the script runs out and
    // the next attempt hangs until the watchdog gives up on it too (90 s) and waits again.
    assert_eq!(blackhole.attempt_times()[..3], [0.0, 93.0, 186.0]);
    assert_eq!(keepalive.attempt_times(), [0.0], "a comment every 60 s keeps it up");
    assert!(keepalive.state().is_live());
    drop(silent_tx);
}

#[tokio::test(start_paused = true)]
async fn a_stable_connection_resets_the_backoff_and_retry_sets_the_floor() {
    let (tx, rx) = mpsc::unbounded_channel();
    let mut outcomes = fails(3, 500);
    outcomes.push(Outcome::Stream(rx));
    let h = Harness::start(outcomes, 1.0, FeedSpec::default());
    run_for(30).await; // attempts at 0, 3.75, 9.75, 21.75 (connected at 21.75)
    tx.send(Bytes::from_static(b"retry: 10000\n\n")).unwrap();
    run_for(40).await;
    drop(tx); // ends at 70 s, after 49 s connected: stable, so the count starts over
    run_for(30).await;
    let times = h.attempt_times();
    assert_eq!(times[..4], [0.0, 3.75, 9.75, 21.75]);
    assert_eq!(times[4], 82.5, "the new floor is 10 s and the count was reset: {times:?}");
}

#[tokio::test(start_paused = true)]
async fn events_go_to_the_writer_and_the_last_event_id_is_sent_on_reconnect() {
    let (tx, rx) = mpsc::unbounded_channel();
    let outcomes = vec![Outcome::Stream(rx), Outcome::Fail(status(500))];
    let mut h = Harness::start(outcomes, 0.0, FeedSpec::default());
    run_for(1).await;
    tx.send(Bytes::from_static(b"id: 7\ndata: one\n\ndata: partial")).unwrap();
    drop(tx);
    run_for(10).await;
    let mut events = Vec::new();
    while let Ok(message) = h.writer.try_recv() {
        if let ToWriter::Events(list, _) = message {
            events.extend(list);
        }
    }
    assert_eq!(events.len(), 1, "the partial event is never stored");
    assert_eq!((events[0].data.as_str(), events[0].event_id.as_deref()), ("one", Some("7")));
    let attempts = h.script.attempts.lock().unwrap();
    assert_eq!(attempts[1].1.last_event_id, "7");
}

#[tokio::test(start_paused = true)]
async fn the_network_coming_back_cuts_a_long_wait_short() {
    let h = Harness::start(fails(9, 500), 1.0, FeedSpec::default());
    run_for(100).await; // attempts at 0, 3.75, 9.75, 21.75, 45.75, 93.75; then at 189.75
    h.commands.send(Command::TryNowIfWaiting).unwrap();
    run_for(1).await;
    assert_eq!(h.attempt_times(), [0.0, 3.75, 9.75, 21.75, 45.75, 93.75, 100.0]);
}

#[tokio::test(start_paused = true)]
async fn a_live_feed_that_goes_quiet_raises_one_alert_per_silence() {
    let (tx, rx) = mpsc::unbounded_channel();
    let mut spec = FeedSpec::default();
    spec.tuning.silence_alert_s = Some(60);
    let mut h = Harness::start(vec![Outcome::Stream(rx)], 0.0, spec);
    let start = h.start;
    // Alerts are timed where they arrive, at the virtual instant they are sent.
    let mut alerts = std::mem::replace(&mut h.alerts, mpsc::unbounded_channel().1);
    let timed = tokio::spawn(async move {
        let mut at = Vec::new();
        while let Some(alert) = alerts.recv().await {
            assert!(matches!(alert, crate::notify::Alert::Silent { .. }));
            at.push((Instant::now() - start).as_secs_f64());
        }
        at
    });
    run_for(1).await;
    tx.send(Bytes::from_static(b"data: x\n\n")).unwrap();
    for second in 2..=215 {
        run_for(1).await;
        if second % 30 == 0 {
            // Keepalives keep the connection up but are not events.
            tx.send(Bytes::from_static(b": keepalive\n")).unwrap();
        }
        if second == 150 {
            tx.send(Bytes::from_static(b"data: y\n\n")).unwrap();
        }
    }
    h.commands.send(Command::Stop).unwrap();
    run_for(1).await;
    drop(h);
    let at = timed.await.unwrap();
    assert_eq!(at, [61.0, 210.0], "once after the first event, once after the second");
}

/// A keyring that is locked until the test unlocks it.
struct LockedUntil(Mutex<bool>);

impl herald_secrets::SecretStore for LockedUntil {
    fn get(
        &self,
        _: &str,
    ) -> Result<Option<herald_secrets::Sensitive<String>>, herald_secrets::SecretError> {
        if *self.0.lock().unwrap() {
            Ok(Some(herald_secrets::Sensitive::new("tok".into())))
        } else {
            Err(herald_secrets::SecretError::Unavailable("the keyring is locked".into()))
        }
    }
    fn set(
        &self,
        _: &str,
        _: &herald_secrets::Sensitive<String>,
    ) -> Result<(), herald_secrets::SecretError> {
        Ok(())
    }
    fn delete(&self, _: &str) -> Result<(), herald_secrets::SecretError> {
        Ok(())
    }
}

#[tokio::test(start_paused = true)]
async fn a_locked_keyring_makes_the_feed_wait_and_retry_without_connecting() {
    let keyring = Arc::new(LockedUntil(Mutex::new(false)));
    let spec = FeedSpec { auth: "bearer".parse().unwrap(), ..FeedSpec::default() };
    let h = Harness::start_with_secrets(fails(3, 500), 0.0, spec, keyring.clone());
    run_for(45).await;
    assert!(h.attempt_times().is_empty(), "no request without the credentials");
    match h.state() {
        FeedState::Stopped { reason: StopReason::CredentialsUnavailable, error } => {
            assert!(error.contains("locked"), "{error}");
        }
        other => panic!("{other:?}"),
    }
    *keyring.0.lock().unwrap() = true;
    run_for(20).await;
    // Tried again at 30 s (still locked) and at 60 s (unlocked): connects with the secret.
    assert_eq!(h.attempt_times()[0], 60.0);
    let attempts = h.script.attempts.lock().unwrap();
    assert_eq!(attempts[0].1.headers["authorization"], "Bearer tok");
}

/// The remote crash: a floor above the Retry-After maximum made `clamp` panic, and with
/// `panic = "abort"` the resident died with every feed. Now the floor is held to the cap and
/// the server's Retry-After is taken within [floor, 1 h].
#[tokio::test(start_paused = true)]
async fn a_huge_retry_then_retry_after_neither_panics_nor_stalls_the_feed() {
    for retry in ["3600001", "9223372036854775807", "18446744073709551615"] {
        let (tx, rx) = mpsc::unbounded_channel();
        let busy = ConnectError::Status {
            status: 503,
            status_text: "Service Unavailable".into(),
            excerpt: String::new(),
            retry_after: Some(Duration::from_secs(5)),
        };
        let outcomes = vec![Outcome::Stream(rx), Outcome::Fail(busy)];
        let h = Harness::start(outcomes, 0.0, FeedSpec::default());
        run_for(1).await;
        tx.send(Bytes::from(format!("retry: {retry}\n\n"))).unwrap();
        run_for(1).await;
        drop(tx); // the stream ends at 2 s; the floor is now the cap (300 s)
        run_for(1_000).await;
        let times = h.attempt_times();
        assert!(times.len() >= 3, "retry {retry}: the feed stalled: {times:?}");
        assert_eq!(times[..3], [0.0, 302.0, 602.0], "retry {retry}: waits held to the cap");
        assert!(matches!(h.state(), FeedState::Retrying { .. } | FeedState::Connecting { .. }));
    }
}

#[tokio::test(start_paused = true)]
async fn connections_that_deliver_events_reconnect_after_retry_however_short() {
    // A proxy cutting every connection after a few events: each was progress, so each
    // reconnect waits only the server's retry (with unit 1.0, its full jitter), never more.
    let mut senders = Vec::new();
    let mut outcomes = Vec::new();
    for _ in 0..12 {
        let (tx, rx) = mpsc::unbounded_channel();
        senders.push(tx);
        outcomes.push(Outcome::Stream(rx));
    }
    let h = Harness::start(outcomes, 1.0, FeedSpec::default());
    for (n, tx) in senders.into_iter().enumerate() {
        wait_for_attempts(&h, n + 1).await;
        tx.send(Bytes::from(format!("retry: 200\nid: {n}\ndata: event {n}\n\n"))).unwrap();
        tokio::task::yield_now().await;
        drop(tx);
    }
    wait_for_attempts(&h, 13).await;
    let gaps: Vec<f64> = h.attempt_times().windows(2).map(|w| w[1] - w[0]).collect();
    // 250 ms at most, plus the 1 ms this test takes to notice the attempt.
    assert!(gaps.iter().all(|g| *g <= 0.252), "backoff grew while events flowed: {gaps:?}");
}

#[tokio::test(start_paused = true)]
async fn retry_zero_then_retry_after_zero_cannot_make_a_storm() {
    // The reported storm: 195 requests in 20 s. Now the first retry is at once, then at least
    // 1 s, growing.
    let (tx, rx) = mpsc::unbounded_channel();
    let busy = || ConnectError::Status {
        status: 503,
        status_text: "Service Unavailable".into(),
        excerpt: String::new(),
        retry_after: Some(Duration::ZERO),
    };
    let mut outcomes = vec![Outcome::Stream(rx)];
    outcomes.extend((0..200).map(|_| Outcome::Fail(busy())));
    let h = Harness::start(outcomes, 0.0, FeedSpec::default());
    tx.send(Bytes::from_static(b"retry: 0\n\n")).unwrap();
    tokio::task::yield_now().await;
    drop(tx);
    run_for(20).await;
    let times = h.attempt_times();
    assert!(times.len() <= 6, "{} attempts in 20 s: {times:?}", times.len());
    let gaps: Vec<f64> = times.windows(2).map(|w| w[1] - w[0]).collect();
    assert!(gaps[2..].iter().all(|g| *g >= 1.0), "{gaps:?}");
}

/// Waits (in paused time) until the feed has made `n` attempts, failing after a long while.
async fn wait_for_attempts(h: &Harness, n: usize) {
    for _ in 0..100_000 {
        if h.attempt_times().len() >= n {
            return;
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    panic!("only {} attempts", h.attempt_times().len());
}

#[tokio::test(start_paused = true)]
async fn an_id_that_cannot_be_sent_back_leaves_the_feed_resuming_at_the_last_one_that_can() {
    let (tx, rx) = mpsc::unbounded_channel();
    let (_tx2, rx2) = mpsc::unbounded_channel();
    let h =
        Harness::start(vec![Outcome::Stream(rx), Outcome::Stream(rx2)], 0.0, FeedSpec::default());
    run_for(1).await;
    tx.send(Bytes::from_static(b"id: 7\ndata: a\n\nid: bad\x01id\ndata: b\n\n")).unwrap();
    run_for(1).await;
    match h.state() {
        FeedState::Live { warning: Some(w), .. } => {
            assert!(w.contains("cannot be sent back"), "{w}")
        }
        other => panic!("the feed's state does not say so: {other:?}"),
    }
    drop(tx);
    run_for(10).await;
    let attempts = h.script.attempts.lock().unwrap();
    assert_eq!(attempts.len(), 2);
    assert_eq!(attempts[1].1.last_event_id, "7");
}

#[tokio::test(start_paused = true)]
async fn connections_that_bring_only_heartbeats_or_repeats_back_off() {
    let mut senders = Vec::new();
    let mut outcomes = Vec::new();
    for _ in 0..8 {
        let (tx, rx) = mpsc::unbounded_channel();
        senders.push(tx);
        outcomes.push(Outcome::Stream(rx));
    }
    let h = Harness::start(outcomes, 0.0, FeedSpec::default());
    for (n, tx) in senders.into_iter().enumerate() {
        wait_for_attempts(&h, n + 1).await;
        // Only a heartbeat, and the same old event again and again.
        tx.send(Bytes::from_static(b"retry: 100\nevent: ping\ndata:\n\nid: 1\ndata: old\n\n"))
            .unwrap();
        tokio::task::yield_now().await;
        drop(tx);
    }
    wait_for_attempts(&h, 8).await;
    let gaps: Vec<f64> = h.attempt_times().windows(2).map(|w| w[1] - w[0]).collect();
    // The first brought a new event (id 1); the second only a repeat (forgiven once); from
    // the third on they are failures, at least 1 s apart and growing.
    assert!(gaps[0] < 0.2 && gaps[1] < 0.2, "{gaps:?}");
    assert!(gaps[2..].iter().all(|g| *g >= 1.0), "{gaps:?}");
    assert!(gaps[gaps.len() - 1] > gaps[2], "{gaps:?}");
}

#[path = "supervisor_finish_tests.rs"]
mod finish;
