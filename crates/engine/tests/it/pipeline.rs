//! From the server's bytes to the store and the notifier: exactly once, whatever the server does.

use herald_engine::NotificationKind;
use herald_sse_server::{End, Reply, SseServer};

use crate::{Rig, wait_until};

fn ids(from: u32, to: u32) -> String {
    (from..=to).map(|i| format!("id: {i}\ndata: event {i}\n\n")).collect()
}

#[test]
fn a_server_that_restarts_and_replays_never_causes_a_duplicate() {
    // First connection: events 1-5, then the server goes away. Second: the server ignores
    // Last-Event-ID and replays 1-8 (many do), then stays open.
    let server = SseServer::start(|_, n| match n {
        0 => Reply::stream(vec![format!("retry: 100\n\n{}", ids(1, 5)).into_bytes()], End::Close),
        _ => Reply::stream(vec![format!("retry: 100\n\n{}", ids(1, 8)).into_bytes()], End::Hold),
    });
    let mut rig = Rig::new();
    let feed = rig.feed("Replay", &server.url("/events"), |_| {});
    rig.start();
    rig.recorder.wait_for(10, "8 notifications", |n| n.len() >= 8);
    let rows = rig.history(&feed);
    let expected: Vec<_> = (1..=8).map(|i| (Some(i.to_string()), format!("event {i}"))).collect();
    assert_eq!(rows, expected, "each event stored once, in order");
    let titles: Vec<String> = rig.recorder.events().into_iter().map(|n| n.body).collect();
    assert_eq!(titles, (1..=8).map(|i| format!("event {i}")).collect::<Vec<_>>());
    assert_eq!(server.requests()[1].header("last-event-id"), Some("5"));
    rig.stop();
    assert_eq!(rig.recorder.events().len(), 8, "nothing notified twice, even at shutdown");
}

#[test]
fn an_event_cut_off_by_the_server_is_never_stored() {
    let server = SseServer::start(|_, n| match n {
        0 => Reply::events("retry: 100\n\nid: 1\ndata: whole\n\nid: 2\ndata: half of it"),
        _ => Reply::stream(vec![b"id: 3\ndata: next\n\n".to_vec()], End::Hold),
    });
    let mut rig = Rig::new();
    let feed = rig.feed("Cut", &server.url("/"), |_| {});
    rig.start();
    rig.recorder.wait_for(10, "two events", |n| n.len() >= 2);
    assert_eq!(
        rig.history(&feed),
        [(Some("1".into()), "whole".into()), (Some("3".into()), "next".into())]
    );
    assert_eq!(server.requests()[1].header("last-event-id"), Some("1"));
}

/// The spec's lastEventId moves at every dispatch, not only with events: a block with only an
/// `id:`, an empty `id:` (which clears it, so no header is sent) and an event too large to keep.
#[test]
fn a_reconnect_resumes_from_the_last_dispatch_not_the_last_event() {
    let big = "x".repeat(8 * 1024 * 1024 + 1);
    let server = SseServer::start(move |_, n| match n {
        // Each followed, in the same chunk, by a heartbeat that carries the id over.
        0 => Reply::events("retry: 100\n\nid: 1\ndata: a\n\nid: 9\n\nevent: ping\ndata:\n\n"),
        1 => Reply::events("id: 10\ndata: b\n\nid:\n\nevent: ping\ndata:\n\n"),
        2 => Reply::events(format!("id: 11\ndata: c\n\nid: big\ndata: {big}\n\n")),
        _ => Reply::stream(vec![b"id: 12\ndata: d\n\n".to_vec()], End::Hold),
    });
    let mut rig = Rig::new();
    let feed = rig.feed("Ids", &server.url("/"), |_| {});
    rig.start();
    rig.recorder.wait_for(20, "four events", |n| n.len() >= 4);
    let sent: Vec<Option<String>> =
        server.requests().iter().map(|r| r.header("last-event-id").map(str::to_owned)).collect();
    assert_eq!(sent, [None, Some("9".into()), None, Some("big".into())]);
    let data: Vec<String> = rig.history(&feed).into_iter().map(|(_, d)| d).collect();
    assert_eq!(data, ["a", "b", "c", "d"]);
}

#[test]
fn invalid_utf8_is_stored_with_replacement_characters() {
    let server = SseServer::start(|_, _| {
        Reply::stream(vec![b"data: caf\xC3\n\ndata: ok \xF0\x9F\x94\x94\n\n".to_vec()], End::Hold)
    });
    let mut rig = Rig::new();
    let feed = rig.feed("Bytes", &server.url("/"), |_| {});
    rig.start();
    rig.recorder.wait_for(10, "two events", |n| n.len() >= 2);
    let data: Vec<String> = rig.history(&feed).into_iter().map(|(_, d)| d).collect();
    assert_eq!(data, ["caf\u{FFFD}", "ok 🔔"]);
}

#[test]
fn stops_and_errors_are_shown_in_words() {
    let wrong_type = SseServer::start(|_, _| Reply::Stream {
        content_type: "text/html".into(),
        pieces: vec![b"<html>".to_vec()],
        pause: std::time::Duration::ZERO,
        end: End::Close,
    });
    let stop = SseServer::start(|_, _| Reply::status(204, "No Content", &[], ""));
    let denied = SseServer::start(|_, _| Reply::status(401, "Unauthorized", &[], "bad token"));
    let mut rig = Rig::new();
    let html = rig.feed("Html", &wrong_type.url("/"), |_| {});
    let stopped = rig.feed("Stop", &stop.url("/"), |_| {});
    let rejected = rig.feed("Denied", &denied.url("/"), |_| {});
    rig.start();
    rig.wait_state(&html, "retrying");
    rig.wait_state(&stopped, "stopped");
    rig.wait_state(&rejected, "stopped");
    // What the windows and `herald status` read, from the store.
    let detail = |feed: &herald_store::Feed| {
        wait_until(10, "the live state in the store", || {
            let statuses = rig.store.feed_statuses().unwrap();
            let s = statuses.into_iter().find(|s| s.feed.id == feed.id)?;
            s.live.filter(|l| l.state != herald_model::Phase::Connecting).map(|l| l.detail)
        })
    };
    assert!(detail(&html).contains("did not send an event stream (Content-Type: text/html)"));
    assert!(detail(&stopped).contains("the server said to stop (204)"));
    let words = detail(&rejected);
    assert!(words.contains("credentials rejected") && words.contains("401"), "{words}");
    assert_eq!(stop.requests().len(), 1);
    assert_eq!(denied.requests().len(), 1);
}

#[test]
fn a_blackhole_is_dropped_by_the_watchdog_and_reconnected() {
    // Accepts, answers with headers, then never sends a byte.
    let server =
        SseServer::start(|_, _| Reply::stream(vec![b"retry: 100\n\n".to_vec()], End::Hold));
    let mut rig = Rig::new();
    rig.feed("Hole", &server.url("/"), |s| s.idle_timeout_s = Some(1));
    rig.start();
    wait_until(10, "a reconnect after the idle timeout", || {
        (server.requests().len() >= 2).then_some(())
    });
}

#[test]
fn bursts_coalesce_and_mute_and_do_not_disturb_still_store() {
    let burst: String = ids(1, 40);
    let server = SseServer::start(move |req, _| match req.target.as_str() {
        "/burst" => Reply::stream(vec![burst.clone().into_bytes()], End::Hold),
        _ => Reply::stream(vec![ids(1, 3).into_bytes()], End::Hold),
    });
    let mut rig = Rig::new();
    let bursty = rig.feed("Bursty", &server.url("/burst"), |s| {
        s.tuning.coalesce_count = Some(5);
        s.tuning.coalesce_window_s = Some(1);
    });
    let muted = rig.feed("Muted", &server.url("/muted"), |s| s.muted = true);
    rig.start();
    rig.recorder.wait_for(10, "5 events and a summary", |n| {
        n.iter().any(|n| matches!(n.kind, NotificationKind::Summary { .. }))
    });
    let from_burst: Vec<_> =
        rig.recorder.all().into_iter().filter(|n| n.feed_id == bursty.id).collect();
    assert_eq!(from_burst.len(), 6, "{from_burst:#?}");
    assert_eq!(from_burst[5].kind, NotificationKind::Summary { count: 35 });
    assert_eq!(from_burst[5].body, "35 new events from Bursty");
    wait_until(10, "the muted feed's history", || (rig.history(&muted).len() == 3).then_some(()));
    assert_eq!(rig.history(&bursty).len(), 40);
    assert!(rig.recorder.all().iter().all(|n| n.feed_id != muted.id), "muted: nothing shown");
    // Do not disturb: stored, not shown.
    let mut settings = rig.store.settings().unwrap();
    settings.do_not_disturb = true;
    rig.store.set_settings(&settings).unwrap();
    let quiet = rig.feed("Quiet", &server.url("/quiet"), |_| {});
    wait_until(10, "the quiet feed's history", || (rig.history(&quiet).len() == 3).then_some(()));
    rig.stop();
    assert!(rig.recorder.all().iter().all(|n| n.feed_id != quiet.id), "do not disturb");
}

#[test]
fn ntfy_feeds_resume_with_since_skip_control_events_and_survive_a_cache_replay() {
    let message = |id: &str, text: &str| {
        format!(
            "event: message\ndata: {{\"id\":\"{id}\",\"time\":1,\"event\":\"message\",\"topic\":\"alerts\",\"message\":\"{text}\"}}\n\n"
        )
    };
    // ntfy's exact /sse framing: an `open` event first, `keepalive` events, then messages.
    let open =
        "event: open\ndata: {\"id\":\"o1\",\"time\":1,\"event\":\"open\",\"topic\":\"alerts\"}\n\n";
    let keepalive = "event: keepalive\ndata: {\"id\":\"k1\",\"time\":2,\"event\":\"keepalive\",\"topic\":\"alerts\"}\n\n";
    let (m1, m2, m3) = (message("m1", "one"), message("m2", "two"), message("m3", "three"));
    let server = SseServer::start(move |_, n| {
        // (retry only speeds the test up; ntfy sends none.)
        let body = match n {
            0 => format!("retry: 100\n\n{open}{keepalive}{m1}"),
            // A known `since`: only what is newer.
            1 => format!("retry: 100\n\n{open}{m2}{keepalive}"),
            // An id it no longer knows: ntfy replays its whole cache.
            _ => format!("retry: 100\n\n{open}{m1}{m2}{m3}"),
        };
        Reply::stream(vec![body.into_bytes()], if n < 2 { End::Close } else { End::Hold })
    });
    let mut rig = Rig::new();
    let feed = rig.feed("ntfy", &server.url("/alerts/sse"), |s| {
        s.preset = "ntfy".parse().unwrap();
        s.resume = "query:since".parse().unwrap();
        s.id_source = "json:/id".parse().unwrap();
    });
    rig.start();
    wait_until(15, "three messages stored", || (rig.history(&feed).len() == 3).then_some(()));
    let rows: Vec<_> = rig.history(&feed).into_iter().map(|(id, _)| id.unwrap()).collect();
    assert_eq!(rows, ["m1", "m2", "m3"], "open and keepalive events are not news");
    let requests = server.requests();
    assert_eq!(requests[0].query("since"), None);
    assert_eq!(requests[1].query("since"), Some("m1"));
    assert_eq!(requests[2].query("since"), Some("m2"));
    rig.stop();
    let shown: Vec<String> = rig.recorder.events().into_iter().map(|n| n.body).collect();
    assert_eq!(shown, ["one", "two", "three"], "the replay notified nothing twice");
    assert_eq!(rig.recorder.events()[0].title, "alerts");
}

#[test]
fn a_template_that_fails_keeps_the_event_and_the_feed_says_why() {
    let server = SseServer::start(|_, _| {
        Reply::stream(vec![b"id: 1\ndata: {\"text\":\"kept anyway\"}\n\n".to_vec()], End::Hold)
    });
    let mut rig = Rig::new();
    let feed = rig.feed("Templated", &server.url("/"), |s| {
        s.body_template = Some("{{ data | nosuchfilter }}".into());
    });
    rig.start();
    rig.recorder.wait_for(10, "the notification", |n| !n.is_empty());
    assert_eq!(rig.recorder.events()[0].body, "kept anyway", "the default rendering");
    assert_eq!(rig.history(&feed), [(Some("1".into()), "{\"text\":\"kept anyway\"}".into())]);
    let detail = wait_until(10, "the warning in the feed's state", || {
        let statuses = rig.store.feed_statuses().unwrap();
        statuses
            .into_iter()
            .find_map(|s| s.live.map(|l| l.detail).filter(|d| d.contains("template")))
    });
    assert!(
        detail.starts_with("live since") && detail.contains("the body template failed"),
        "{detail}"
    );
}

#[test]
fn a_feed_is_held_to_its_byte_budget_as_it_stores_not_only_hourly() {
    // 40 events of 1 MiB against a 10 MiB budget: without trimming as it goes, all 40 MiB
    // would stay until the hourly retention.
    let chunk = "x".repeat(1024 * 1024);
    let body: String = (0..40).map(|i| format!("id: {i}\ndata: {chunk}\n\n")).collect();
    let server =
        SseServer::start(move |_, _| Reply::stream(vec![body.clone().into_bytes()], End::Hold));
    let mut rig = Rig::new();
    let mut settings = rig.store.settings().unwrap();
    settings.retention_mib_per_feed = Some(10);
    rig.store.set_settings(&settings).unwrap();
    let feed = rig.feed("big", &server.url("/"), |_| {});
    rig.start();
    wait_until(60, "every event accepted", || {
        (rig.store.resume_state(&feed.id).unwrap().accepted >= 40).then_some(())
    });
    rig.stop();
    let rows = rig.history(&feed);
    let bytes: usize = rows.iter().map(|(_, data)| data.len()).sum();
    // The budget, plus what may be stored between two trims (16 MiB).
    assert!(bytes <= (10 + 16) * 1024 * 1024, "{} MiB kept", bytes / (1024 * 1024));
    assert_eq!(rows.last().unwrap().0.as_deref(), Some("39"), "the newest entries stay");
}
