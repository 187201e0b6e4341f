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
    let mut first = daemon(&data);
    wait::until("part of the burst stored", wait::STARTUP, || {
        (stored(&data).len() >= 500).then_some(())
    });
    Command::new("kill").args(["-KILL", &first.pid().to_string()]).status().unwrap();
    // Until the killed process is gone its lock is held, and a second daemon would refuse to
    // start (it did, more often once the resident had more threads to end).
    first.wait_exit(wait::STARTUP);
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

/// A stand-in for `xdg-open` that writes down what it was asked to open.
fn opener_recorder() -> (tempfile::TempDir, std::path::PathBuf) {
    use std::os::unix::fs::PermissionsExt;
    let bin = tempfile::tempdir().unwrap();
    let log = bin.path().join("opened.log");
    let script = bin.path().join("xdg-open");
    std::fs::write(&script, format!("#!/bin/sh\necho \"$@\" >> '{}'\n", log.display())).unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    (bin, log)
}

#[test]
fn clicks_open_web_links_through_the_os_and_mark_read_and_never_open_other_links() {
    require_desktop_session();
    let recorder = Recorder::shared();
    let (bin, opened) = opener_recorder();
    let server = SseServer::start(|_, _| Reply::stream(vec![b": hi\n\n".to_vec()], End::Live));
    let data = DataDir::new();
    add_feed(&data, "Clicky", server.url("/c"), 5);
    let _resident = Running::spawn({
        let mut command = data.command("herald");
        let path = format!("{}:{}", bin.path().display(), std::env::var("PATH").unwrap());
        command.arg("daemon").env("PATH", path);
        command
    });
    wait::until("the feed to connect", wait::STARTUP, || {
        (server.live_connections() == 1).then_some(())
    });
    server.push("id: ok\ndata: {\"text\":\"Clicky build passed\",\"url\":\"https://ci.example/build/7\"}\n\n");
    server.push(
        "id: evil\ndata: {\"text\":\"Clicky evil link\",\"url\":\"javascript:alert(1)\"}\n\n",
    );
    server
        .push("id: file\ndata: {\"text\":\"Clicky file link\",\"url\":\"file:///etc/passwd\"}\n\n");
    recorder
        .wait_for("three notifications", wait::STARTUP, |_| recorder.about("Clicky ").len() >= 3);
    let shown = recorder.about("Clicky ");
    let (good, evil, file) = (&shown[0], &shown[1], &shown[2]);
    assert_eq!(good.action_keys(), ["default", "open", "read"]);
    for bad in [evil, file] {
        assert!(!bad.action_keys().contains(&"open"), "no Open for {}", bad.body);
    }
    // Clicking the bad ones' "open" does nothing; the good one's opens through the OS.
    recorder.invoke(evil.id, "open");
    recorder.invoke(file.id, "open");
    recorder.invoke(good.id, "open");
    wait::until("the link to be opened", wait::STARTUP, || {
        std::fs::read_to_string(&opened).ok().filter(|s| !s.is_empty())
    });
    assert_eq!(std::fs::read_to_string(&opened).unwrap(), "https://ci.example/build/7\n");
    // Clicks are handled in order: had "open" on a link-less notification done anything (say,
    // started a window), it would have happened by now.
    let dir = data.path().display().to_string();
    assert!(herald_e2e::process::pids_with_args(&["herald-ui", &dir]).is_empty());

    recorder.invoke(evil.id, "read");
    wait::until("the event to be marked read", wait::STARTUP, || {
        let store = Store::open(&Store::path_in(data.path())).unwrap();
        let query = HistoryQuery { limit: 10, ..Default::default() };
        let rows = store.history(&query).unwrap();
        rows.iter().any(|e| e.event_id.as_deref() == Some("evil") && e.read).then_some(())
    });
    assert_eq!(
        std::fs::read_to_string(&opened).unwrap().lines().count(),
        1,
        "nothing else was ever opened"
    );
}

#[test]
fn each_preset_renders_its_servers_events() {
    require_desktop_session();
    let recorder = Recorder::shared();
    let server = SseServer::start(|req, _| {
        let body: &[u8] = match req.target.split('?').next().unwrap() {
            "/ntfy/sse" => br#"event: open
data: {"id":"o1","time":1,"event":"open","topic":"ops"}

event: keepalive
data: {"id":"k1","time":2,"event":"keepalive","topic":"ops"}

event: message
data: {"id":"n1","time":3,"event":"message","topic":"ops","title":"Preset ntfy disk","message":"db1 is 95% full","priority":5,"tags":["warning"],"click":"https://grafana.example/d","actions":[{"action":"view","label":"Runbook","url":"https://wiki.example/disk"}]}

"#,
            "/mercure" => b"id: urn:1\ndata: {\"title\":\"Preset mercure order\",\"message\":\"order 42 shipped\"}\n\n",
            "/wiki" => b": ok\n\nevent: message\nid: [{\"topic\":\"rc\",\"offset\":1}]\ndata: {\"user\":\"Ada\",\"title\":\"Preset wiki page\",\"wiki\":\"enwiki\",\"comment\":\"fix typo\",\"notify_url\":\"https://en.wikipedia.org/w/index.php?diff=1\"}\n\n",
            _ => b"id: g1\nevent: deploy\ndata: Preset generic api v42 is out\n\n",
        };
        Reply::stream(vec![body.to_vec()], End::Hold)
    });
    let data = DataDir::new();
    let herald = |args: &[&str]| {
        let out = data.command("herald").args(args).output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    };
    herald(&["feeds", "add", &server.url("/ntfy/sse"), "--name", "ntfy feed", "--preset", "ntfy"]);
    herald(&["feeds", "add", &server.url("/mercure"), "--name", "Shop", "--preset", "mercure"]);
    herald(&["feeds", "add", &server.url("/wiki"), "--name", "Wiki", "--preset", "wikimedia"]);
    herald(&["feeds", "add", &server.url("/generic"), "--name", "Deploys"]);
    let _resident = daemon(&data);
    recorder.wait_for("one notification per preset", wait::STARTUP, |_| {
        recorder.about("Preset ").len() >= 4
    });
    let one = |text: &str| {
        let found = recorder.about(text);
        assert_eq!(found.len(), 1, "{text}: {found:#?}");
        found.into_iter().next().unwrap()
    };
    let ntfy = one("Preset ntfy");
    assert_eq!(
        (ntfy.summary.as_str(), ntfy.body.as_str()),
        ("⚠️ Preset ntfy disk", "db1 is 95% full")
    );
    assert_eq!(ntfy.urgency, Some(2));
    assert_eq!(ntfy.action_keys(), ["default", "open", "view:0", "read"]);
    assert!(ntfy.actions.contains(&"Runbook".to_owned()));
    let shop = one("Preset mercure");
    assert_eq!(
        (shop.summary.as_str(), shop.body.as_str()),
        ("Preset mercure order", "order 42 shipped")
    );
    let wiki = one("Preset wiki");
    assert_eq!(wiki.summary, "Ada edited Preset wiki page on enwiki");
    assert_eq!(wiki.body, "fix typo");
    assert!(wiki.action_keys().contains(&"open"));
    let generic = one("Preset generic");
    assert_eq!((generic.summary.as_str(), generic.urgency), ("deploy", Some(1)));
    assert_eq!(generic.action_keys(), ["default", "read"]);
}

#[test]
fn do_not_disturb_and_mute_from_the_command_line_keep_events_quiet_but_stored() {
    require_desktop_session();
    let recorder = Recorder::shared();
    let server = SseServer::start(|_, _| Reply::stream(vec![b": hi\n\n".to_vec()], End::Live));
    let data = DataDir::new();
    let herald = |args: &[&str]| {
        let out = data.command("herald").args(args).output().unwrap();
        assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    };
    let live = |name: &str| {
        let status: serde_json::Value =
            serde_json::from_str(&herald(&["status", "--json"])).unwrap();
        status["feeds"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["name"] == name && f["state"] == "live")
    };
    // The resident applies a change at its next look at the store; a feed added after the
    // change going live proves it has looked. (On a server of their own: pushes go to every
    // live connection of `server`.)
    let probe_server =
        SseServer::start(|_, _| Reply::stream(vec![b": hi\n\n".to_vec()], End::Hold));
    let mut probes = 0;
    let mut applied = || {
        probes += 1;
        let name = format!("probe {probes}");
        herald(&["feeds", "add", &probe_server.url(&format!("/probe/{probes}")), "--name", &name]);
        wait::until("the probe feed live", wait::STARTUP, || live(&name).then_some(()));
    };
    herald(&["feeds", "add", &server.url("/quiet"), "--name", "Quiet feed"]);
    let _resident = daemon(&data);
    wait::until("the feed live", wait::STARTUP, || live("Quiet feed").then_some(()));
    let stored_count =
        |text: &str| herald(&["history", "--json", "--search", text]).lines().count();

    assert_eq!(herald(&["dnd", "on"]), "do not disturb is on\n");
    applied();
    server.push("data: quietword during dnd\n\n");
    wait::until("the dnd event stored", wait::STARTUP, || {
        (stored_count("during") >= 1).then_some(())
    });
    assert_eq!(herald(&["dnd", "off"]), "do not disturb is off\n");
    herald(&["feeds", "edit", "Quiet feed", "--mute"]);
    applied();
    server.push("data: quietword while muted\n\n");
    wait::until("the muted event stored", wait::STARTUP, || {
        (stored_count("muted") >= 1).then_some(())
    });
    herald(&["feeds", "edit", "Quiet feed", "--unmute"]);
    applied();
    server.push("data: quietword audible again\n\n");
    recorder.wait_for("the audible event", wait::STARTUP, |_| {
        !recorder.about("audible again").is_empty()
    });
    assert!(recorder.about("during dnd").is_empty(), "nothing shown during do not disturb");
    assert!(recorder.about("while muted").is_empty(), "nothing shown while muted");
    assert_eq!(herald(&["quiet-hours", "22:00", "7:00"]), "quiet hours: 22:00 to 07:00\n");
    assert_eq!(herald(&["quiet-hours", "off"]), "no quiet hours\n");
    let bad = data.command("herald").args(["quiet-hours", "25:00", "07:00"]).output().unwrap();
    assert_eq!(bad.status.code(), Some(2), "a bad time is a usage error");
}

#[test]
fn without_a_tray_host_the_resident_says_how_to_reach_it() {
    require_desktop_session();
    let recorder = Recorder::shared();
    // The test session has no StatusNotifierWatcher, like GNOME without the AppIndicator
    // extension.
    let data = DataDir::new();
    let _resident = Running::spawn({
        let mut command = data.command("herald");
        command.arg("--background");
        command
    });
    recorder.wait_for("the no-tray notice", wait::STARTUP, |_| {
        !recorder.about("without a tray icon").is_empty()
    });
    let notice = &recorder.about("without a tray icon")[0];
    assert!(
        notice.body.contains("AppIndicator") && notice.body.contains("run `herald`"),
        "{}",
        notice.body
    );
}
