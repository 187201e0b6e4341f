//! The everyday flaky server, against the real daemon: proxies that cut connections after a few
//! events (often mid-event), a server that sometimes ignores `Last-Event-ID` and replays from
//! the start, and a resident that is SIGKILLed and started again. Every event must be stored
//! exactly once, soon after it exists; and the daemon must still stop at once when asked.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use herald_sse_server::{End, Reply, SseServer};

use crate::daemon::{daemon, herald, signal_and_wait};

const EVENTS: u64 = 120;
const EVERY: Duration = Duration::from_millis(40);

fn event(n: u64) -> String {
    format!("id: {n}\ndata: event {n}\n\n")
}

/// A small deterministic generator: the same cuts on every run.
fn next(state: &AtomicU64) -> u64 {
    let mut x = state.load(Ordering::Relaxed);
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    state.store(x, Ordering::Relaxed);
    x
}

/// Events 1..=120, one every 40 ms from `start`. Each connection gets those after its
/// Last-Event-ID (one in five replays from 1), the backlog at once and then each as it comes,
/// and is cut after 3 to 25 events, every other time in the middle of the next one.
fn flaky_server(start: Instant) -> SseServer {
    let random = AtomicU64::new(0x9E37_79B9_7F4A_7C15);
    SseServer::start(move |req, n| {
        let last: u64 = req.header("last-event-id").and_then(|v| v.parse().ok()).unwrap_or(0);
        let from = if n % 5 == 4 { 1 } else { last + 1 };
        let available = (start.elapsed().as_millis() / EVERY.as_millis()) as u64;
        let available = available.min(EVENTS);
        let cut_after = 3 + next(&random) % 23;
        let mid_event = next(&random).is_multiple_of(2);
        let mut first = "retry: 50\n\n".to_owned();
        let mut pieces = Vec::new();
        let mut sent = 0;
        let mut m = from;
        while m <= available && sent < cut_after {
            first.push_str(&event(m));
            (m, sent) = (m + 1, sent + 1);
        }
        pieces.push(first.into_bytes());
        while m <= EVENTS && sent < cut_after {
            pieces.push(event(m).into_bytes());
            (m, sent) = (m + 1, sent + 1);
        }
        if m > EVENTS {
            // Everything sent: a healthy, idle stream.
            return Reply::Stream {
                content_type: "text/event-stream".into(),
                pieces,
                pause: EVERY,
                end: End::Hold,
            };
        }
        if mid_event {
            pieces.push(format!("id: {m}\ndata: event {m} (cut he").into_bytes());
        }
        Reply::Stream {
            content_type: "text/event-stream".into(),
            pieces,
            pause: EVERY,
            end: End::Close,
        }
    })
}

/// The event ids in the history, in the order they are listed.
fn stored_ids(dir: &std::path::Path) -> Vec<String> {
    let out = herald(dir).args(["history", "--json", "--limit", "10000"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["event_id"].to_string())
        .collect()
}

#[test]
fn a_flaky_server_and_a_killed_daemon_still_give_every_event_once_and_in_time() {
    let dir = tempfile::tempdir().unwrap();
    let start = Instant::now();
    let server = flaky_server(start);
    let added = herald(dir.path())
        .args(["feeds", "add", &server.url("/events"), "--name", "Flaky"])
        .output()
        .unwrap();
    assert!(added.status.success(), "{}", String::from_utf8_lossy(&added.stderr));

    let mut first = daemon(dir.path());
    // History is read every second meanwhile, as a window would.
    let mut reads = 0;
    while start.elapsed() < Duration::from_secs(2) {
        std::thread::sleep(Duration::from_millis(500));
        stored_ids(dir.path());
        reads += 1;
    }
    first.0.kill().unwrap();
    first.0.wait().unwrap();
    let mut second = daemon(dir.path());

    // The last event exists at 4.8 s; every event must be stored within 5 s of that.
    let deadline = start + EVERY * EVENTS as u32 + Duration::from_secs(5);
    let mut ids = stored_ids(dir.path());
    while ids.len() < EVENTS as usize && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(200));
        ids = stored_ids(dir.path());
        reads += 1;
    }
    let mut unique = ids.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(
        (ids.len(), unique.len()),
        (EVENTS as usize, EVENTS as usize),
        "{:.1} s after the start ({} connections, {reads} reads) in {}, stored: {ids:?}",
        start.elapsed().as_secs_f64(),
        server
            .requests()
            .iter()
            .map(|r| r.header("last-event-id").unwrap_or("-").to_owned())
            .collect::<Vec<_>>()
            .join(" "),
        server.requests().len()
    );

    // And it stops at once when asked, in the middle of all this.
    let (took, code) = signal_and_wait(&mut second, "-TERM");
    assert_eq!(code, Some(0));
    assert!(took <= Duration::from_secs(2), "exit took {took:?}");
    // Nothing was stored twice afterwards either.
    let after = stored_ids(dir.path());
    assert_eq!(after.len(), EVENTS as usize, "{after:?}");
}
