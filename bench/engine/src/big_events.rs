//! Memory under huge events (issue: hostile servers, item 3): 40 events of ~7.5 MiB sent as
//! fast as the loopback allows to a real `herald daemon`. Figures: the daemon's peak RSS
//! (the kernel's high-water mark, VmHWM, so no sampling can miss the peak), the time to store
//! them, and the bytes the database holds per event byte (each event stored once: ~1.0).
//! Target: peak RSS <= 256 MB.
//!
//! And the other end (issue: idle resident): 1,000,000 tiny events as fast as possible, peak
//! RSS (target <= 64 MB) and every one stored once.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use herald_sse_server::{End, Reply, SseServer};
use herald_store::{FeedSpec, Store};

use crate::{Daemon, wait_until};

const EVENTS: usize = 40;
const EVENT_BYTES: usize = 7_500_000;

fn status_kib(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

pub fn big_events(herald: &Path) {
    // Text-like data (not one repeated byte, which would compress in the page cache the same).
    let line: String = (0..100).map(|i| char::from(b'a' + (i % 26) as u8)).collect();
    let mut body = Vec::with_capacity(EVENTS * (EVENT_BYTES + 64));
    for n in 0..EVENTS {
        body.extend_from_slice(format!("id: {n}\nevent: big\n").as_bytes());
        let mut written = 0;
        while written < EVENT_BYTES {
            body.extend_from_slice(b"data: ");
            body.extend_from_slice(line.as_bytes());
            body.push(b'\n');
            written += line.len() + 1;
        }
        body.push(b'\n');
    }
    let sent = body.len();
    let server = SseServer::start(move |_, _| Reply::stream(vec![body.clone()], End::Hold));
    let dir = tempfile::tempdir().unwrap();
    let spec = FeedSpec { name: "big".into(), url: server.url("/big"), ..FeedSpec::default() };
    // No byte budget here, so the database size shows how many times each event is stored
    // (the budget would delete the oldest as they come).
    let (id, took, peak, store) =
        run(herald, dir.path(), spec, EVENTS, |s| s.retention_mib_per_feed = None);
    let state = store.resume_state(&id).unwrap();
    let db_bytes: u64 = ["herald.db", "herald.db-wal"]
        .iter()
        .filter_map(|f| std::fs::metadata(dir.path().join(f)).ok())
        .map(|m| m.len())
        .sum();
    println!(
        "big events: {EVENTS} events of {:.1} MiB ({:.0} MB) into a real daemon in {:.1} s: peak RSS {} MB (target <= 256 MB); {} accepted, {} duplicates, database {:.0} MB = {:.2} bytes per event byte",
        EVENT_BYTES as f64 / 1_048_576.0,
        sent as f64 / 1e6,
        took.as_secs_f64(),
        peak / 1024,
        state.accepted,
        state.duplicates,
        db_bytes as f64 / 1e6,
        db_bytes as f64 / sent as f64
    );
}

pub fn many_small_events(herald: &Path) {
    const COUNT: usize = 1_000_000;
    let mut body = Vec::with_capacity(COUNT * 40);
    for n in 0..COUNT {
        body.extend_from_slice(format!("id: {n}\ndata: build {n} passed\n\n").as_bytes());
    }
    let sent = body.len();
    let server = SseServer::start(move |_, _| Reply::stream(vec![body.clone()], End::Hold));
    let dir = tempfile::tempdir().unwrap();
    let spec = FeedSpec { name: "many".into(), url: server.url("/many"), ..FeedSpec::default() };
    let (id, took, peak, store) = run(herald, dir.path(), spec, COUNT, |s| {
        (s.retention_per_feed, s.retention_mib_per_feed) = (None, None);
    });
    let state = store.resume_state(&id).unwrap();
    println!(
        "small events: {COUNT} events ({:.0} MB) into a real daemon in {:.1} s: peak RSS {} MB (target <= 64 MB); {} accepted, {} duplicates",
        sent as f64 / 1e6,
        took.as_secs_f64(),
        peak / 1024,
        state.accepted,
        state.duplicates
    );
}

/// Adds `spec` (with `settings` changed), runs a real daemon until it accepted `count` events,
/// and stops it: the feed's id, how long it took, the daemon's peak RSS in KiB, and the store.
fn run(
    herald: &Path,
    dir: &Path,
    spec: FeedSpec,
    count: usize,
    settings: impl FnOnce(&mut herald_store::Settings),
) -> (String, Duration, u64, Store) {
    let path = Store::path_in(dir);
    let mut store = Store::open(&path).unwrap();
    let id = store.add_feed(&spec).unwrap().id;
    let mut changed = store.settings().unwrap();
    settings(&mut changed);
    store.set_settings(&changed).unwrap();
    let start = Instant::now();
    let daemon = Daemon(
        Command::new(herald)
            .arg("--data-dir")
            .arg(dir)
            .arg("daemon")
            .env("RUST_LOG", "warn")
            .env("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/herald-bench-bus")
            .stdin(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("herald daemon"),
    );
    let pid = daemon.0.id();
    wait_until(Duration::from_secs(600), "every event accepted", || {
        store.resume_state(&id).map(|s| s.accepted as usize >= count).unwrap_or(false)
    });
    let took = start.elapsed();
    let peak = status_kib(pid, "VmHWM:");
    drop(daemon);
    (id, took, peak, store)
}
