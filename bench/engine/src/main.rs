//! Engine figures (issue: subscription engine):
//! 1. events/s from one loopback feed into the store, notifications coalesced;
//! 2. latency from the server's write to the notifier call, p50/p99, at 100 events/s;
//! 3. memory per idle feed: PSS of a real `herald daemon` with 1,000 idle feeds, against the
//!    same daemon with none;
//! 4. CPU of `herald daemon` with 10 feeds sending a keepalive every 15 s, over 60 s.
//!
//! Usage: herald-bench-engine PATH/TO/release/herald
//! Everything runs on 127.0.0.1; every loop is bounded.

mod big_events;
mod per_event;

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use herald_engine::{Engine, EngineOptions, Notification, NotificationKind, Notifier};
use herald_secrets::NoSecrets;
use herald_sse_server::{End, Reply, SseServer};
use herald_store::{FeedSpec, Store};

fn wait_until(limit: Duration, what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn add_feed(store: &mut Store, name: &str, url: String, coalesce: u32) -> String {
    let mut spec = FeedSpec { name: name.into(), url, ..FeedSpec::default() };
    spec.tuning.coalesce_count = Some(coalesce);
    store.add_feed(&spec).expect("feed").id
}

#[derive(Default)]
struct Counting {
    shown: Mutex<Vec<(Instant, Notification)>>,
}

impl Notifier for Counting {
    fn notify(&self, n: &Notification) {
        self.shown.lock().unwrap().push((Instant::now(), n.clone()));
    }
}

fn throughput() {
    const EVENTS: u64 = 200_000;
    let body: String = (0..EVENTS)
        .map(|i| format!("id: {i}\nevent: deploy\ndata: {{\"text\":\"build {i} passed on host-{}\",\"priority\":3}}\n\n", i % 97))
        .collect();
    let bytes = body.len();
    let server =
        SseServer::start(move |_, _| Reply::stream(vec![body.clone().into_bytes()], End::Hold));
    let dir = tempfile::tempdir().unwrap();
    let path = Store::path_in(dir.path());
    let mut store = Store::open(&path).unwrap();
    let id = add_feed(&mut store, "burst", server.url("/"), 5);
    let mut settings = store.settings().unwrap();
    settings.retention_per_feed = None;
    store.set_settings(&settings).unwrap();
    let notifier = Arc::new(Counting::default());
    let start = Instant::now();
    let mut options = EngineOptions::new(path.clone());
    if let Some(bytes) = std::env::var("BENCH_IN_FLIGHT").ok().and_then(|b| b.parse().ok()) {
        options.in_flight_bytes = bytes;
    }
    let engine = Engine::start(options, notifier.clone(), Arc::new(NoSecrets)).unwrap();
    wait_until(Duration::from_secs(120), "every event accepted", || {
        store.resume_state(&id).map(|s| s.accepted as u64 >= EVENTS).unwrap_or(false)
    });
    let took = start.elapsed();
    engine.stop();
    let shown = notifier.shown.lock().unwrap().len();
    println!(
        "engine throughput: {EVENTS} events ({:.1} MB) from one loopback feed into the store in {:.2} s = {:.0} events/s ({} notifications after coalescing)",
        bytes as f64 / 1e6,
        took.as_secs_f64(),
        EVENTS as f64 / took.as_secs_f64(),
        shown
    );
}

fn latency() {
    const EVENTS: usize = 1000;
    let server = SseServer::start(|_, _| Reply::stream(vec![b": hi\n\n".to_vec()], End::Live));
    let dir = tempfile::tempdir().unwrap();
    let path = Store::path_in(dir.path());
    let mut store = Store::open(&path).unwrap();
    // Coalescing off: every event is its own notification.
    add_feed(&mut store, "latency", server.url("/"), 0);
    let notifier = Arc::new(Counting::default());
    let engine =
        Engine::start(EngineOptions::new(path.clone()), notifier.clone(), Arc::new(NoSecrets))
            .unwrap();
    wait_until(Duration::from_secs(10), "the feed to connect", || server.live_connections() == 1);
    let base = Instant::now();
    let mut sent = Vec::with_capacity(EVENTS);
    for i in 0..EVENTS {
        // 100 events/s, on a schedule (not sleep-after-send, which would drift).
        let due = base + Duration::from_millis(10 * i as u64);
        std::thread::sleep(due.saturating_duration_since(Instant::now()));
        sent.push(Instant::now());
        server.push(format!("id: {i}\ndata: {i}\n\n"));
    }
    wait_until(Duration::from_secs(10), "every notification", || {
        notifier.shown.lock().unwrap().len() >= EVENTS
    });
    engine.stop();
    let shown = notifier.shown.lock().unwrap();
    let mut latencies: Vec<Duration> = shown
        .iter()
        .filter_map(|(at, n)| match &n.kind {
            NotificationKind::Event { .. } => Some(*at - sent[n.body.parse::<usize>().ok()?]),
            _ => None,
        })
        .collect();
    latencies.sort();
    let p = |q: f64| latencies[((latencies.len() - 1) as f64 * q).round() as usize];
    println!(
        "engine latency: server write -> notifier call at 100 events/s, {} events: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        latencies.len(),
        p(0.5).as_secs_f64() * 1e3,
        p(0.99).as_secs_f64() * 1e3,
        latencies.last().unwrap().as_secs_f64() * 1e3
    );
}

struct Daemon(Child);

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = Command::new("kill").args(["-TERM", &self.0.id().to_string()]).status();
        let _ = self.0.wait();
    }
}

fn daemon(herald: &Path, dir: &Path) -> Daemon {
    Daemon(
        Command::new(herald)
            .args(["--data-dir"])
            .arg(dir)
            .arg("daemon")
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start herald daemon"),
    )
}

fn pss_kib(pid: u32) -> u64 {
    let rollup = std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup")).unwrap_or_default();
    rollup
        .lines()
        .find_map(|l| l.strip_prefix("Pss:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

fn live_feeds(path: &Path) -> usize {
    let store = Store::open(path).unwrap();
    store.feed_statuses().unwrap().iter().filter(|s| s.state().as_str() == "live").count()
}

fn memory_per_idle_feed(herald: &Path) {
    const FEEDS: usize = 1000;
    let server = SseServer::start(|_, _| Reply::stream(vec![b": idle\n\n".to_vec()], End::Hold));
    let empty = tempfile::tempdir().unwrap();
    let base = daemon(herald, empty.path());
    std::thread::sleep(Duration::from_secs(3));
    let base_pss = pss_kib(base.0.id());
    drop(base);

    let dir = tempfile::tempdir().unwrap();
    let path = Store::path_in(dir.path());
    let mut store = Store::open(&path).unwrap();
    for i in 0..FEEDS {
        add_feed(&mut store, &format!("idle {i}"), server.url(&format!("/idle/{i}")), 5);
    }
    let full = daemon(herald, dir.path());
    wait_until(Duration::from_secs(60), "1,000 feeds live", || live_feeds(&path) == FEEDS);
    std::thread::sleep(Duration::from_secs(3));
    let full_pss = pss_kib(full.0.id());
    println!(
        "resident memory: herald daemon PSS {base_pss} KiB with no feed, {full_pss} KiB with {FEEDS} idle live feeds = {:.1} KiB per idle feed",
        (full_pss.saturating_sub(base_pss)) as f64 / FEEDS as f64
    );
}

fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// The resident with its tray and 10 live feeds, then with the history window open (needs a
/// display and a session bus: `make bench` runs this under xvfb-run and dbus-run-session).
fn footprint(herald: &Path) {
    if std::env::var_os("DISPLAY").is_none()
        || std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_none()
    {
        println!("footprint: skipped (needs DISPLAY and a session bus)");
        return;
    }
    const FEEDS: usize = 10;
    let server = SseServer::start(|_, _| Reply::stream(vec![b": hi\n\n".to_vec()], End::Hold));
    let dir = tempfile::tempdir().unwrap();
    let path = Store::path_in(dir.path());
    let mut store = Store::open(&path).unwrap();
    for i in 0..FEEDS {
        add_feed(&mut store, &format!("feed {i}"), server.url(&format!("/f/{i}")), 5);
    }
    let resident = Daemon(
        Command::new(herald)
            .arg("--data-dir")
            .arg(dir.path())
            .arg("--background")
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("herald --background"),
    );
    wait_until(Duration::from_secs(20), "10 feeds live", || live_feeds(&path) == FEEDS);
    std::thread::sleep(Duration::from_secs(5));
    let pid = resident.0.id();
    println!(
        "footprint: resident (tray, {FEEDS} live feeds, no window): PSS {} KiB, RSS {} KiB",
        pss_kib(pid),
        rss_kib(pid)
    );
    let ui = herald.with_file_name("herald-ui");
    let window = Daemon(
        Command::new(&ui)
            .arg("--data-dir")
            .arg(dir.path())
            .args(["--window", "history"])
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("herald-ui"),
    );
    // The window is up when herald-ui holds its lock and has settled.
    wait_until(Duration::from_secs(30), "the window", || dir.path().join("ui.lock.pid").exists());
    std::thread::sleep(Duration::from_secs(5));
    // herald-ui's WebKit runs in child processes; they count too.
    let children = std::fs::read_to_string(format!("/proc/{0}/task/{0}/children", window.0.id()))
        .unwrap_or_default();
    let mut ui_pss = pss_kib(window.0.id());
    let mut ui_rss = rss_kib(window.0.id());
    for child in children.split_whitespace().filter_map(|c| c.parse::<u32>().ok()) {
        ui_pss += pss_kib(child);
        ui_rss += rss_kib(child);
    }
    println!(
        "footprint: with the history window open: resident PSS {} KiB, RSS {} KiB; herald-ui and its WebKit processes PSS {ui_pss} KiB, RSS {ui_rss} KiB",
        pss_kib(pid),
        rss_kib(pid)
    );
}

fn main() {
    let herald =
        std::env::args().nth(1).expect("usage: herald-bench-engine PATH/TO/release/herald");
    let herald = Path::new(&herald);
    // BENCH_ONLY=big_events, small_events, per_event or throughput runs just that one (no display
    // needed).
    match std::env::var("BENCH_ONLY").as_deref() {
        Ok("big_events") => return big_events::big_events(herald),
        Ok("small_events") => return big_events::many_small_events(herald),
        Ok("throughput") => return throughput(),
        Ok("per_event") => return per_event::per_event(),
        _ => {}
    }
    per_event::per_event();
    throughput();
    latency();
    memory_per_idle_feed(herald);
    footprint(herald);
    big_events::big_events(herald);
    big_events::many_small_events(herald);
}
