//! The resident stops within 2 s of SIGTERM or SIGINT in every state: mid-burst, mid-backoff,
//! and while the store refuses writes (its write lock held by another program, as a full disk
//! would refuse them). Each round asks at a different moment of a busy run and times the exit;
//! across all rounds, no event is stored twice.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use herald_sse_server::{End, Reply, SseServer};

use crate::daemon::{cli as ok, daemon, signal_and_wait, wait_for};

/// The promise, with room for a loaded CI machine to start the signal's delivery.
const EXIT_WITHIN: Duration = Duration::from_secs(2);

#[test]
fn sigterm_and_sigint_stop_a_busy_daemon_within_2_s_even_with_the_store_locked() {
    // A feed that never pauses: every live connection gets an event each millisecond.
    let server = Arc::new(SseServer::start(|_, _| {
        Reply::stream(vec![b"retry: 100\n\n".to_vec()], End::Live)
    }));
    let done = Arc::new(AtomicBool::new(false));
    let pusher = {
        let (server, done) = (server.clone(), done.clone());
        std::thread::spawn(move || {
            let mut n = 0u64;
            // Bounded: stops when the test is done, or after 10 minutes whatever happens.
            let until = Instant::now() + Duration::from_secs(600);
            while !done.load(Ordering::Relaxed) && Instant::now() < until {
                n += 1;
                server.push(format!("id: {n}\ndata: event {n} {}\n\n", "x".repeat(200)));
                std::thread::sleep(Duration::from_millis(1));
            }
        })
    };
    let dir = tempfile::tempdir().unwrap();
    ok(dir.path(), &["feeds", "add", &server.url("/busy"), "--name", "Busy"]);
    let db = dir.path().join("herald.db");

    let mut exits = Vec::new();
    for round in 0..8u64 {
        let mut daemon = daemon(dir.path());
        wait_for("the feed to be live", || server.live_connections() > 0);
        // Odd rounds: another program holds the write lock, so every commit waits and fails
        // and the writer's queue fills up (the state a full disk makes).
        let lock = (round % 2 == 1).then(|| {
            let conn = rusqlite::Connection::open(&db).unwrap();
            conn.execute_batch("BEGIN EXCLUSIVE").unwrap();
            conn
        });
        // A different moment of the run each round: 0 to 1.4 s after it went live.
        std::thread::sleep(Duration::from_millis(round * 200));
        let signal = if round % 4 < 2 { "-TERM" } else { "-INT" };
        let (took, code) = signal_and_wait(&mut daemon, signal);
        exits.push(took);
        assert_eq!(code, Some(0), "round {round}: {signal} is a clean stop");
        assert!(
            took <= EXIT_WITHIN,
            "round {round} ({signal}, locked {}): exit took {took:?}",
            lock.is_some()
        );
        drop(lock);
    }
    done.store(true, Ordering::Relaxed);
    pusher.join().unwrap();

    // Whatever was cut short was fetched again or never committed: never stored twice.
    let history = ok(dir.path(), &["history", "--json", "--limit", "100000"]);
    let mut ids: Vec<String> = history
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["event_id"].to_string())
        .collect();
    let stored = ids.len();
    assert!(stored > 0, "the busy runs stored events");
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), stored, "an event was stored twice");
}

#[test]
fn a_store_that_refuses_writes_shows_in_status_and_feeds_list_until_it_works_again() {
    let server =
        SseServer::start(|_, _| Reply::stream(vec![b"retry: 100\n\n".to_vec()], End::Live));
    let dir = tempfile::tempdir().unwrap();
    ok(dir.path(), &["feeds", "add", &server.url("/busy"), "--name", "Busy"]);
    let _daemon = daemon(dir.path());
    wait_for("the feed to be live", || server.live_connections() > 0);
    // Another program holds the write lock, as a full disk refuses writes: the feed's events
    // cannot be stored, and nothing in the database can say so.
    let lock = rusqlite::Connection::open(dir.path().join("herald.db")).unwrap();
    lock.execute_batch("BEGIN EXCLUSIVE").unwrap();
    server.push("id: 1\ndata: cannot be stored yet\n\n");
    let says = |args: &[&str]| ok(dir.path(), args).contains("events cannot be stored");
    wait_for("status to tell", || says(&["status"]));
    assert!(says(&["status", "--json"]));
    assert!(says(&["feeds", "list", "--json"]));
    drop(lock);
    wait_for("the trouble to clear", || !says(&["status"]));
    wait_for("the event to be stored", || {
        ok(dir.path(), &["history", "--json"]).contains("cannot be stored yet")
    });
}

#[test]
fn sigterm_stops_a_daemon_still_starting_against_a_locked_database_within_2_s() {
    let dir = tempfile::tempdir().unwrap();
    ok(dir.path(), &["feeds", "add", "http://127.0.0.1:9/x", "--name", "Any"]);
    let lock = rusqlite::Connection::open(dir.path().join("herald.db")).unwrap();
    lock.execute_batch("BEGIN EXCLUSIVE").unwrap();
    let mut daemon = daemon(dir.path());
    // Signals are routed before the database is opened: wait until the daemon holds its lock.
    wait_for("the daemon to take its lock", || dir.path().join("resident.lock.pid").exists());
    let (took, code) = signal_and_wait(&mut daemon, "-TERM");
    assert!(code.is_some(), "the daemon did not stop");
    assert!(took <= EXIT_WITHIN, "exit took {took:?}");
    drop(lock);
}
