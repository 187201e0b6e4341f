//! What a hostile server (or an old database) can put into Herald's output: terminal escapes,
//! C1 controls and bidi overrides must reach the terminal only as visible escapes, and feed
//! names must refuse them (docs/cli.md, "Feeds" and "Tail").

use std::path::Path;
use std::process::{Command, Output, Stdio};

use herald_sse_server::{Reply, SseServer};
use herald_store::{FeedSpec, Incoming, LiveState, Rendered, Store};

use crate::daemon::cli as ok;

/// OSC 52 (write the clipboard), clear the screen, a C1 CSI, and a right-to-left override.
const CLIPBOARD: &str = "\x1b]52;c;Y3VybCBldmlsLnNoIHwgc2g=\x07";
const CLEAR: &str = "\x1b[2J";
const C1_CSI: &str = "\u{9b}31m";
const RLO: &str = "\u{202e}";

fn herald(dir: &Path, args: &[&str]) -> Output {
    crate::daemon::herald(dir).args(args).output().unwrap()
}

/// Line breaks and tabs are the only control characters a terminal may receive.
fn assert_nothing_raw(what: &str, text: &str) {
    let raw: Vec<char> = text
        .chars()
        .filter(|&c| {
            (c.is_control() && c != '\n' && c != '\t')
                || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
        })
        .collect();
    assert!(raw.is_empty(), "{what} printed raw {raw:?}: {text:?}");
}

#[test]
fn tail_prints_escapes_from_the_server_visibly_and_json_keeps_them_exact() {
    let event =
        format!("id: 7{RLO}\nevent: x{CLEAR}\ndata: copy{CLIPBOARD}\ndata: {C1_CSI}red\n\n");
    let server = SseServer::start(move |_, _| Reply::events(event.clone()));
    let output = Command::new(env!("CARGO_BIN_EXE_herald"))
        .args(["tail", "--once", &server.url("/")])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert_nothing_raw("tail", &stdout);
    assert_eq!(
        stdout,
        "x\\x1b[2J (id 7\\u{202e})\n  copy\\x1b]52;c;Y3VybCBldmlsLnNoIHwgc2g=\\x07\n  \\u{9b}31mred\n",
        "escaped where they were, the lines of the data kept"
    );

    let json = Command::new(env!("CARGO_BIN_EXE_herald"))
        .args(["tail", "--once", "--json", &server.url("/")])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let line: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(line["data"], format!("copy{CLIPBOARD}\n{C1_CSI}red"), "--json is exact");
}

#[test]
fn feed_names_with_control_characters_are_usage_errors() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for name in ["evil\x1b[2J", "tab\there", "rtl\u{202e}ltr", "c1\u{85}"] {
        let out = herald(d, &["feeds", "add", "http://127.0.0.1:1/x", "--name", name]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{name:?}: {stderr}");
        assert!(stderr.contains("control character"), "{name:?}: {stderr}");
        assert_nothing_raw("the refusal", &stderr);
    }
    ok(d, &["feeds", "add", "http://127.0.0.1:1/x", "--name", "Ünïcode ✓ name"]);
    let out = herald(d, &["feeds", "edit", "Ünïcode ✓ name", "--name", "x\x07"]);
    assert_eq!(out.status.code(), Some(2), "an edit is checked the same way");
}

#[test]
fn an_import_with_such_a_name_is_refused_whole() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("feeds.json");
    let feeds = serde_json::json!({"herald_feeds": 1, "feeds": [
        FeedSpec { name: "fine".into(), url: "http://127.0.0.1:1/a".into(), ..Default::default() },
        FeedSpec { name: format!("bad{CLIPBOARD}"), url: "http://127.0.0.1:1/b".into(), ..Default::default() },
    ]});
    std::fs::write(&file, feeds.to_string()).unwrap();
    let out = herald(dir.path(), &["feeds", "import", file.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("control character"), "{stderr}");
    assert!(ok(dir.path(), &["feeds", "list", "--json"]).is_empty(), "nothing was added");
}

#[test]
fn history_status_and_list_escape_what_the_store_holds() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    {
        // As a database from before names were checked could hold, and as a server can send.
        let mut store = Store::open(&Store::path_in(d)).unwrap();
        let name = format!("old{RLO}name");
        let spec = FeedSpec { name, url: "http://127.0.0.1:1/x".into(), ..Default::default() };
        let feed = store.add_feed(&spec).unwrap().id;
        store
            .accept(&Incoming {
                feed_id: feed.clone(),
                resume_position: "1".into(),
                event_id: Some("1".into()),
                event_type: "message".into(),
                data: "{}".into(),
                kept: Some(Rendered {
                    title: format!("title{CLEAR}\r"),
                    body: format!("line one{CLIPBOARD}\nline two{C1_CSI}"),
                    link: None,
                    priority: None,
                }),
                received_at: 1_700_000_000_000,
            })
            .unwrap();
        let live = LiveState {
            // Stopped: a state that holds while no resident runs (a retry would be history).
            state: "stopped".parse().unwrap(),
            detail: format!("the server answered 500: {CLEAR}"),
            next_retry_at: None,
            last_error: Some(format!("the server answered 500: {CLIPBOARD}")),
            updated_at: 1_700_000_000_000,
        };
        store.set_live_state(&feed, &live).unwrap();
    }
    let history = ok(d, &["history"]);
    assert_nothing_raw("history", &history);
    assert!(
        history.contains("title\\x1b[2J\\x0d")
            && history.contains("line one\\x1b]52;")
            && history.contains("\n    line two\\u{9b}31m"),
        "{history}"
    );
    for args in [&["status"][..], &["feeds", "list"]] {
        let text = ok(d, args);
        assert_nothing_raw(&format!("{args:?}"), &text);
        assert!(text.contains("old\\u{202e}name") && text.contains("500: \\x1b"), "{text}");
    }
}
