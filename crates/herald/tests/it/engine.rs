//! The engine inside `herald daemon`: feeds added from another process connect, their events
//! land in the history, and a SIGKILL in the middle of a burst loses and repeats nothing.

use std::path::Path;
use std::process::{Command, Stdio};

use herald_sse_server::{End, Reply, SseServer};

use crate::daemon::{KillOnDrop, herald, wait_for};

fn cli(dir: &Path, args: &[&str]) -> String {
    let out = herald(dir).args(args).output().unwrap();
    assert!(out.status.success(), "herald {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

fn feed_state(dir: &Path) -> String {
    let status: serde_json::Value = serde_json::from_str(&cli(dir, &["status", "--json"])).unwrap();
    status["feeds"][0]["state"].as_str().unwrap_or_default().to_owned()
}

fn stored_ids(dir: &Path) -> Vec<String> {
    let store = herald_store::Store::open(&herald_store::Store::path_in(dir)).unwrap();
    let query = herald_store::HistoryQuery { limit: 1_000_000, ..Default::default() };
    let mut ids: Vec<String> =
        store.history(&query).unwrap().into_iter().filter_map(|e| e.event_id).collect();
    ids.reverse();
    ids
}

#[test]
fn a_feed_added_from_the_command_line_goes_live_and_fills_the_history() {
    let dir = tempfile::tempdir().unwrap();
    let server = SseServer::start(|_, _| Reply::stream(vec![b": hello\n\n".to_vec()], End::Live));
    let _daemon =
        KillOnDrop(herald(dir.path()).arg("daemon").stderr(Stdio::null()).spawn().unwrap());
    cli(dir.path(), &["feeds", "add", &server.url("/deploys"), "--name", "Deploys"]);
    wait_for("the feed to go live", || feed_state(dir.path()) == "live");
    server.push("id: d1\nevent: deploy\ndata: {\"text\":\"api v42 is out\"}\n\n");
    wait_for("the event in the history", || !stored_ids(dir.path()).is_empty());
    let line = cli(dir.path(), &["history", "--json"]);
    let entry: serde_json::Value = serde_json::from_str(line.lines().next().unwrap()).unwrap();
    assert_eq!(entry["event_id"], "d1");
    assert_eq!(entry["type"], "deploy");
    assert_eq!(entry["title"], "deploy");
    assert_eq!(entry["body"], "api v42 is out");
    cli(dir.path(), &["feeds", "disable", "Deploys"]);
    wait_for("the feed to be disabled", || feed_state(dir.path()) == "disabled");
}

#[test]
fn sigkill_during_a_burst_then_a_restart_stores_every_event_exactly_once() {
    // Under the default retention (10,000 per feed), so every event stays.
    const EVENTS: usize = 8_000;
    let dir = tempfile::tempdir().unwrap();
    // The whole burst in small pieces with pauses, so the kill lands in the middle of it; the
    // server ignores Last-Event-ID and replays everything on every connection.
    let pieces: Vec<Vec<u8>> = (0..EVENTS)
        .collect::<Vec<_>>()
        .chunks(80)
        .map(|c| {
            c.iter()
                .map(|i| format!("id: {i}\ndata: event {i}\n\n"))
                .collect::<String>()
                .into_bytes()
        })
        .collect();
    let server = SseServer::start(move |_, _| Reply::Stream {
        content_type: "text/event-stream".into(),
        pieces: pieces.clone(),
        pause: std::time::Duration::from_millis(5),
        end: End::Hold,
    });
    cli(dir.path(), &["feeds", "add", &server.url("/burst"), "--name", "Burst"]);
    let mut daemon =
        KillOnDrop(herald(dir.path()).arg("daemon").stderr(Stdio::null()).spawn().unwrap());
    wait_for("part of the burst to be stored", || stored_ids(dir.path()).len() >= 1_000);
    let status = Command::new("kill").args(["-KILL", &daemon.0.id().to_string()]).status().unwrap();
    assert!(status.success());
    let _ = daemon.0.wait();
    let at_kill = stored_ids(dir.path()).len();
    assert!(at_kill < EVENTS, "the kill landed before the end of the burst ({at_kill})");

    let _again =
        KillOnDrop(herald(dir.path()).arg("daemon").stderr(Stdio::null()).spawn().unwrap());
    wait_for("the whole burst to be stored", || stored_ids(dir.path()).len() >= EVENTS);
    let ids = stored_ids(dir.path());
    let expected: Vec<String> = (0..EVENTS).map(|i| i.to_string()).collect();
    assert_eq!(ids, expected, "every event exactly once, in order");
    let resumed = &server.requests()[1];
    let sent: usize = resumed.header("last-event-id").unwrap().parse().unwrap();
    assert!(sent + 1 >= at_kill, "resumed from what was committed ({sent} vs {at_kill} stored)");
}
