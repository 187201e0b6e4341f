//! One feed's failure never takes the others down. A hostile server asks for absurd waits
//! (`retry: 3600001`, `retry: 18446744073709551615`), ends its stream, and then answers every
//! attempt with `503` and `Retry-After: 5`: once this panicked in `clamp` (a floor above the
//! 1 h maximum) and killed the resident with every feed in it. Beside it a well-behaved feed
//! must keep delivering, the hostile feeds must be plainly "retrying", and the daemon must still
//! stop cleanly and at once.

use std::path::Path;
use std::time::Duration;

use herald_sse_server::{End, Reply, SseServer};

use crate::daemon::{KillOnDrop, cli, daemon, signal_and_wait, wait_for, when_requests};

/// A feed's (state, state_detail) from `feeds list --json`.
fn state(dir: &Path, name: &str) -> (String, String) {
    let list = cli(dir, &["feeds", "list", "--json"]);
    let feed: serde_json::Value = list
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .find(|f| f["name"] == name)
        .unwrap_or_else(|| panic!("no feed {name} in {list}"));
    let text = |key: &str| feed[key].as_str().unwrap_or_default().to_owned();
    (text("state"), text("state_detail"))
}

fn good_data(dir: &Path) -> Vec<String> {
    let history = cli(dir, &["history", "--json", "--feed", "Good"]);
    let mut data: Vec<String> = history
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["data"].to_string())
        .collect();
    data.reverse();
    data
}

/// The first connection gets `retry: {retry}` and an ended stream; every later one a 503.
fn hostile(retry: &'static str) -> SseServer {
    SseServer::start(move |_, n| {
        if n == 0 {
            Reply::stream(vec![format!("retry: {retry}\n\n").into_bytes()], End::Close)
        } else {
            Reply::status(503, "Service Unavailable", &[("Retry-After", "5")], "")
        }
    })
}

fn assert_alive(daemon: &mut KillOnDrop, when: &str) {
    let exited = daemon.0.try_wait().unwrap();
    assert!(exited.is_none(), "the daemon died {when}: {exited:?}");
}

#[test]
fn a_hostile_feed_never_takes_the_daemon_or_the_other_feeds_down() {
    let dir = tempfile::tempdir().unwrap();
    let good = SseServer::start(|_, _| {
        Reply::stream(vec![b"id: 1\ndata: good 1\n\n".to_vec()], End::Live)
    });
    let over_an_hour = hostile("3600001");
    let largest = hostile("18446744073709551615");
    cli(dir.path(), &["feeds", "add", &good.url("/good"), "--name", "Good"]);
    cli(dir.path(), &["feeds", "add", &over_an_hour.url("/h"), "--name", "Hour"]);
    cli(dir.path(), &["feeds", "add", &largest.url("/m"), "--name", "Max"]);
    let mut daemon = daemon(dir.path());
    wait_for("the good feed's first event", || good_data(dir.path()).len() == 1);

    // The backoff after the ended stream is minutes long: reconnecting is what makes the
    // hostile feeds meet their 503s now. Two rounds, each waited for by the server's count.
    for (name, server) in [("Hour", &over_an_hour), ("Max", &largest)] {
        wait_for("the hostile stream to be read", || server.requests().len() == 1);
        for round in 1..=2 {
            cli(dir.path(), &["feeds", "reconnect", name]);
            wait_for("the next attempt", || server.requests().len() > round);
            // A supervisor that died on the answer would stay "connecting" for ever.
            wait_for("the feed to wait after the 503", || {
                let (state, detail) = state(dir.path(), name);
                state == "retrying" && detail.contains("503")
            });
            assert_alive(&mut daemon, &format!("after {name}'s 503 number {round}"));
        }
    }

    for n in 2..=4 {
        good.push(format!("id: {n}\ndata: good {n}\n\n"));
    }
    wait_for("every good event", || good_data(dir.path()).len() == 4);
    assert_eq!(good_data(dir.path()), ["\"good 1\"", "\"good 2\"", "\"good 3\"", "\"good 4\""]);
    assert_eq!(state(dir.path(), "Good").0, "live");
    for name in ["Hour", "Max"] {
        assert_eq!(state(dir.path(), name).0, "retrying", "{name}");
    }
    assert_alive(&mut daemon, "at the end");

    stops_within_2_s(daemon);
}

fn stops_within_2_s(mut daemon: KillOnDrop) {
    let (took, code) = signal_and_wait(&mut daemon, "-TERM");
    assert_eq!(code, Some(0), "SIGTERM is a clean stop");
    assert!(took <= Duration::from_secs(2), "the daemon took {took:?} to stop");
}

#[test]
fn templates_that_loop_or_allocate_without_bound_freeze_and_kill_nothing() {
    let server = SseServer::start(|_, _| {
        Reply::stream(vec![b"id: 1\ndata: build 7 passed\n\n".to_vec()], End::Hold)
    });
    let dir = tempfile::tempdir().unwrap();
    let nested =
        "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}x";
    cli(dir.path(), &["feeds", "add", &server.url("/loop"), "--name", "Loop", "--title", nested]);
    let petabyte = "{{ 'a' | indent(1000000000000000) }}";
    cli(
        dir.path(),
        &["feeds", "add", &server.url("/alloc"), "--name", "Alloc", "--title", petabyte],
    );
    cli(dir.path(), &["feeds", "add", &server.url("/good"), "--name", "Good"]);
    let mut resident = daemon(dir.path());
    // Every feed's event is stored (the hostile ones with the preset's title), and the feeds
    // say why their template was not used.
    wait_for("the three events", || cli(dir.path(), &["history", "--json"]).lines().count() == 3);
    assert_alive(&mut resident, "with hostile templates");
    wait_for("the template's trouble in the feed's words", || {
        state(dir.path(), "Loop").1.contains("too much work")
            && state(dir.path(), "Alloc").1.contains("refused")
    });
    stops_within_2_s(resident);
}

#[test]
fn retry_zero_then_retry_after_zero_does_not_make_the_daemon_hammer() {
    // Once 195 requests in 20 s. The first retry may be at once; later ones at least 1 s apart.
    let server = SseServer::start(|_, n| {
        if n == 0 {
            Reply::stream(vec![b"retry: 0\n\n".to_vec()], End::Close)
        } else {
            Reply::status(503, "Service Unavailable", &[("Retry-After", "0")], "")
        }
    });
    let dir = tempfile::tempdir().unwrap();
    cli(dir.path(), &["feeds", "add", &server.url("/storm"), "--name", "Storm"]);
    let resident = daemon(dir.path());
    let (third, fourth) = (when_requests(&server, 3), when_requests(&server, 4));
    // A gap can only grow under load: this cannot flake.
    assert!(fourth - third >= Duration::from_millis(900), "{:?}", fourth - third);
    stops_within_2_s(resident);
}

#[test]
fn an_id_no_header_can_carry_does_not_stop_the_feed_and_it_resumes_at_the_last_good_one() {
    let server = SseServer::start(|_, n| {
        if n == 0 {
            Reply::stream(
                vec![b"retry: 100\nid: good1\ndata: a\n\nid: bad\x01id\ndata: b\n\n".to_vec()],
                End::Close,
            )
        } else {
            Reply::stream(vec![b": hello\n\n".to_vec()], End::Hold)
        }
    });
    let dir = tempfile::tempdir().unwrap();
    cli(dir.path(), &["feeds", "add", &server.url("/ids"), "--name", "Ids"]);
    let resident = daemon(dir.path());
    wait_for("the reconnection", || server.requests().len() >= 2);
    assert_eq!(server.requests()[1].header("last-event-id"), Some("good1"));
    wait_for("the feed live again", || state(dir.path(), "Ids").0 == "live");
    stops_within_2_s(resident);
    // And after a restart, from the store.
    let resident = daemon(dir.path());
    wait_for("the restart's connection", || server.requests().len() >= 3);
    assert_eq!(server.requests()[2].header("last-event-id"), Some("good1"));
    stops_within_2_s(resident);
}
