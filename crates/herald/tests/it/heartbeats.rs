//! Heartbeats are not news: django-eventstream opens every stream with `event: stream-open` and
//! sends `event: keep-alive` every 20 s, both with empty data. The real daemon keeps them out of
//! the history (and so out of the unread count and the notifications).

use std::path::Path;

use herald_sse_server::{End, Reply, SseServer};

use crate::daemon::{daemon, herald, wait_for};

fn history(dir: &Path) -> Vec<serde_json::Value> {
    let out = herald(dir).args(["history", "--json"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn django_eventstream_heartbeats_stay_out_of_the_history() {
    let dir = tempfile::tempdir().unwrap();
    // Held open after the event: a reconnect would send another stream-open and, as the event
    // has no id, store it again.
    let server = SseServer::start(|_, _| {
        let body = "event: stream-open\ndata:\n\nevent: keep-alive\ndata:\n\ndata: hello\n\n";
        Reply::stream(vec![body.into()], End::Hold)
    });
    let added = herald(dir.path())
        .args(["feeds", "add", &server.url("/events/"), "--name", "Django"])
        .output()
        .unwrap();
    assert!(added.status.success(), "{}", String::from_utf8_lossy(&added.stderr));
    let _daemon = daemon(dir.path());
    // The heartbeats came first on the same connection, and the writer commits in order: once
    // the real event is in, so is anything before it.
    wait_for("the real event in the history", || {
        history(dir.path()).iter().any(|e| e["data"] == "hello")
    });
    let stored = history(dir.path());
    let types: Vec<_> = stored.iter().map(|e| (e["type"].clone(), e["data"].clone())).collect();
    assert_eq!(types, [(serde_json::json!("message"), serde_json::json!("hello"))]);
}
