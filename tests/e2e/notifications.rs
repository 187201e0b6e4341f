//! Events reach the desktop: the real resident (`herald daemon`) against a loopback SSE server,
//! and a real notification service on the private session bus recording every `Notify`.

use std::process::Command;
use std::time::Duration;

use herald_e2e::notifications::Recorder;
use herald_e2e::process::{DataDir, Running};
use herald_e2e::{require_desktop_session, wait};
use herald_sse_server::{End, Reply, SseServer};
use herald_store::{FeedSpec, HistoryQuery, Store};

fn add_feed(data: &DataDir, name: &str, url: String, coalesce: u32) {
    let mut store = Store::open(&Store::path_in(data.path())).unwrap();
    let mut spec = FeedSpec { name: name.into(), url, ..FeedSpec::default() };
    spec.tuning.coalesce_count = Some(coalesce);
    store.add_feed(&spec).unwrap();
}

fn daemon(data: &DataDir) -> Running {
    Running::spawn({
        let mut command = data.command("herald");
        command.arg("daemon");
        command
    })
}

fn stored(data: &DataDir) -> Vec<String> {
    let store = Store::open(&Store::path_in(data.path())).unwrap();
    let query = HistoryQuery { limit: 1_000_000, ..Default::default() };
    let mut ids: Vec<String> =
        store.history(&query).unwrap().into_iter().filter_map(|e| e.event_id).collect();
    ids.reverse();
    ids
}

#[test]
fn an_event_becomes_a_notification_with_its_markup_escaped() {
    require_desktop_session();
    let recorder = Recorder::shared();
    let server = SseServer::start(|_, _| Reply::stream(vec![b": hi\n\n".to_vec()], End::Live));
    let data = DataDir::new();
    add_feed(&data, "Markup feed", server.url("/m"), 5);
    let _resident = daemon(&data);
    wait::until("the feed to connect", wait::STARTUP, || {
        (server.live_connections() == 1).then_some(())
    });
    server.push(
        "id: x1\ndata: {\"title\":\"Markup feed\",\"message\":\"<b>x</b> & <a href=\\\"javascript:alert(1)\\\">click</a>\",\"priority\":5}\n\n",
    );
    recorder
        .wait_for("the notification", wait::STARTUP, |_| !recorder.about("Markup feed").is_empty());
    let shown = &recorder.about("Markup feed")[0];
    assert_eq!(shown.app_name, "Herald");
    assert_eq!(shown.summary, "Markup feed");
    assert_eq!(
        shown.body,
        "&lt;b&gt;x&lt;/b&gt; &amp; &lt;a href=\"javascript:alert(1)\"&gt;click&lt;/a&gt;",
        "a notification server reads the body as markup: it must arrive as text"
    );
    assert_eq!(shown.urgency, Some(2), "priority 5 is critical");
}

#[test]
fn sigkill_in_the_middle_of_a_burst_never_notifies_an_event_twice() {
    require_desktop_session();
    const EVENTS: usize = 3_000;
    let recorder = Recorder::shared();
    // The server replays the whole burst on every connection, ignoring Last-Event-ID.
    let pieces: Vec<Vec<u8>> = (0..EVENTS)
        .collect::<Vec<_>>()
        .chunks(30)
        .map(|c| {
            c.iter()
                .map(|i| format!("id: {i}\ndata: burst event {i}\n\n"))
                .collect::<String>()
                .into_bytes()
        })
        .collect();
    let server = SseServer::start(move |_, _| Reply::Stream {
        content_type: "text/event-stream".into(),
        pieces: pieces.clone(),
        pause: Duration::from_millis(5),
        end: End::Hold,
    });
    let data = DataDir::new();
    // No coalescing: every stored event is its own notification.
    add_feed(&data, "Burst feed", server.url("/burst"), 1_000_000);
    let first = daemon(&data);
    wait::until("part of the burst stored", wait::STARTUP, || {
        (stored(&data).len() >= 500).then_some(())
    });
    Command::new("kill").args(["-KILL", &first.pid().to_string()]).status().unwrap();
    let at_kill = stored(&data).len();
    assert!(at_kill < EVENTS, "the kill landed mid-burst ({at_kill})");
    let _second = daemon(&data);
    wait::until("the whole burst stored", wait::STARTUP, || {
        (stored(&data).len() >= EVENTS).then_some(())
    });
    let expected: Vec<String> = (0..EVENTS).map(|i| i.to_string()).collect();
    assert_eq!(stored(&data), expected, "every event stored exactly once");
    // Everything stored after the restart is notified; give the last one time to arrive.
    recorder.wait_for("the last event's notification", wait::STARTUP, |_| {
        !recorder.about(&format!("burst event {}", EVENTS - 1)).is_empty()
    });
    let mut counts = std::collections::HashMap::<String, usize>::new();
    for n in recorder.about("burst event ") {
        *counts.entry(n.body).or_default() += 1;
    }
    let twice: Vec<_> = counts.iter().filter(|(_, c)| **c > 1).collect();
    assert!(twice.is_empty(), "notified more than once: {twice:?}");
    assert!(counts.len() >= EVENTS - at_kill, "the events stored after the restart were all shown");
}
