//! A feed's settings as text, through every door: the command line, a feed file, and a stored
//! row edited by hand (docs/cli.md, "Feeds").

use std::path::Path;

use crate::data::{herald, ok};

fn refused(dir: &Path, args: &[&str], words: &str) {
    let out = herald(dir, args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
    assert!(stderr.contains(words), "{args:?}: {stderr}");
}

fn exported(dir: &Path) -> serde_json::Value {
    serde_json::from_str(&ok(dir, &["feeds", "export"])).unwrap()
}

/// A row edited into nonsense never has its default written over it unseen: the feed shows
/// as stopped with the reason, refuses edits and exports until that setting is given again.
#[test]
fn a_feed_whose_stored_setting_does_not_read_changes_only_when_it_is_given_again() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    ok(d, &["feeds", "add", "http://127.0.0.1:1/a", "--name", "A", "--preset", "ntfy"]);
    ok(d, &["feeds", "add", "http://127.0.0.1:1/b", "--name", "B"]);
    let db = herald_store::RawConnection::open(herald_store::Store::path_in(d)).unwrap();
    db.execute("UPDATE feeds SET resume = 'cookie' WHERE name = 'A'", []).unwrap();

    let list: Vec<serde_json::Value> = ok(d, &["feeds", "list", "--json"])
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(list[0]["state"], "stopped", "{list:?}");
    assert!(list[0]["state_detail"].as_str().unwrap().contains("its stored resume does not read"));
    assert_eq!(list[1]["state"], "connecting", "the other feed is untouched");
    refused(d, &["feeds", "edit", "A", "--title", "T"], "cannot change: its stored resume");
    refused(d, &["feeds", "export"], "the feed \"A\" cannot be exported");
    ok(d, &["feeds", "edit", "B", "--title", "T"]);

    ok(d, &["feeds", "edit", "A", "--resume", "query:since"]);
    let export = exported(d);
    assert_eq!(export["feeds"][0]["resume"], "query:since");
    assert_eq!(export["feeds"][0]["id_source"], "json:/id", "the rest as it was");
}

/// A hand-written file that names a preset gets the settings it brings, as `feeds add --preset`
/// does; one it sets itself stays; a bad feed is named in the error.
#[test]
fn an_imported_preset_brings_its_settings_and_a_bad_feed_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let file = d.join("feeds.json");
    let write = |feeds: serde_json::Value| {
        std::fs::write(&file, serde_json::json!({"herald_feeds": 1, "feeds": feeds}).to_string())
            .unwrap();
    };
    write(serde_json::json!([
        {"name": "N", "url": "http://127.0.0.1:1/n", "preset": "ntfy"},
        {"name": "M", "url": "http://127.0.0.1:1/m", "preset": "ntfy", "resume": "header"},
    ]));
    ok(d, &["feeds", "import", file.to_str().unwrap()]);
    let export = exported(d);
    let feeds = export["feeds"].as_array().unwrap();
    let named = |name: &str| feeds.iter().find(|f| f["name"] == name).unwrap();
    let (n, m) = (named("N"), named("M"));
    assert_eq!(
        (&n["resume"], &n["id_source"], &n["idle_timeout_s"]),
        (&"query:since".into(), &"json:/id".into(), &90.into())
    );
    assert_eq!(m["resume"], "header", "chosen in the file");

    let other = tempfile::tempdir().unwrap();
    write(serde_json::json!([
        {"name": "Fine", "url": "http://127.0.0.1:1/f"},
        {"name": "Bad", "url": "http://127.0.0.1:1/b", "headers": [["X A", "b"]]},
    ]));
    refused(other.path(), &["feeds", "import", file.to_str().unwrap()], "the feed \"Bad\"");
    // Also when the feed does not even read as a feed.
    write(serde_json::json!([
        {"name": "Fine", "url": "http://127.0.0.1:1/f"},
        {"name": "Worse", "url": "http://127.0.0.1:1/w", "method": "PUT"},
    ]));
    refused(
        other.path(),
        &["feeds", "import", file.to_str().unwrap()],
        "the feed \"Worse\": the method must be GET or POST",
    );
    std::fs::write(&file, r#"{"herald_feeds": 2, "feeds": []}"#).unwrap();
    refused(other.path(), &["feeds", "import", file.to_str().unwrap()], "version 2");
    assert_eq!(ok(other.path(), &["feeds", "list"]).lines().count(), 1, "nothing was added");
}

/// The kind of a setting is read in any case; what cannot be sent is refused at the door.
#[test]
fn kinds_in_any_case_and_no_control_characters_in_names() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    ok(
        d,
        &[
            "feeds",
            "add",
            "http://127.0.0.1:1/a",
            "--name",
            "A",
            "--resume",
            "Query:since",
            "--id-source",
            "JSON:/id",
            "--preset",
            "NTFY",
            "--on-end",
            "Finish",
            "--method",
            "post",
        ],
    );
    let feed = &exported(d)["feeds"][0];
    assert_eq!(
        (&feed["resume"], &feed["id_source"], &feed["preset"], &feed["method"]),
        (&"query:since".into(), &"json:/id".into(), &"ntfy".into(), &"POST".into())
    );
    assert_eq!(feed["tuning"]["on_end"], "finish");
    refused(d, &["feeds", "edit", "A", "--resume", "query:a\u{1b}[31m"], "control characters");
    refused(d, &["feeds", "edit", "A", "--on-end", "sometimes"], "reconnect, finish or default");
    // What was typed is quoted in a usage error, escaped.
    let out = herald(d, &["feeds", "edit", "A", "--method", "\u{1b}]0;x\u{7}\u{9b}"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("the method must be GET or POST"), "{stderr}");
    assert!(!stderr.contains(['\u{1b}', '\u{7}', '\u{9b}']), "{stderr:?}");
}

/// A key Herald does not know in a feed file (a typo) is named, not dropped without a word.
#[test]
fn an_imported_key_herald_does_not_know_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("feeds.json");
    for (feed, words) in [
        (
            serde_json::json!({"name": "A", "url": "http://127.0.0.1:1/a", "idle_timeout": 60}),
            "knows no setting \"idle_timeout\"",
        ),
        (
            serde_json::json!({"name": "A", "url": "http://127.0.0.1:1/a", "filters": {"min_prio": 3}}),
            "knows no setting \"filters.min_prio\"",
        ),
        (serde_json::json!({"name": "", "url": "http://127.0.0.1:1/a", "x": 1}), "feed number 1"),
    ] {
        std::fs::write(&file, serde_json::json!({"herald_feeds": 1, "feeds": [feed]}).to_string())
            .unwrap();
        refused(dir.path(), &["feeds", "import", file.to_str().unwrap()], words);
    }
}

/// What a resident that has stopped last wrote of a connection is not the feed's state.
#[test]
fn without_a_resident_a_feed_is_not_shown_live() {
    use herald_sse_server::{End, Reply, SseServer};
    let server = SseServer::start(|_, _| Reply::stream(vec![b": hi\n\n".to_vec()], End::Live));
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    ok(d, &["feeds", "add", &server.url("/a"), "--name", "A", "--mute"]);
    let state = || -> serde_json::Value {
        let list = ok(d, &["feeds", "list", "--json"]);
        serde_json::from_str(list.lines().next().unwrap()).unwrap()
    };
    let mut resident = crate::daemon::daemon(d);
    crate::daemon::wait_for("the feed live", || state()["state"] == "live");
    assert_eq!(state()["muted"], true);
    let (_, code) = crate::daemon::signal_and_wait(&mut resident, "-TERM");
    assert_eq!(code, Some(0));
    let after = state();
    assert_eq!(after["state"], "connecting", "{after}");
    assert!(after["state_detail"].as_str().unwrap().contains("waiting for the Herald resident"));
}
