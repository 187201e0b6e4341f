//! `herald feeds`, `herald history` and `herald status` on a real database in a temp dir
//! (docs/cli.md: fields, exit codes), including while a resident runs.

use std::path::Path;
use std::process::{Command, Output, Stdio};

use herald_store::{Incoming, Rendered, Store};

pub(crate) fn herald(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_herald"))
        .arg("--data-dir")
        .arg(dir)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

pub(crate) fn ok(dir: &Path, args: &[&str]) -> String {
    let out = herald(dir, args);
    assert_eq!(out.status.code(), Some(0), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

fn json_lines(text: &str) -> Vec<serde_json::Value> {
    text.lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

#[test]
fn feeds_add_list_edit_disable_remove() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    ok(d, &["feeds", "add", "https://ntfy.example.org/alerts/sse", "--preset", "ntfy"]);
    ok(
        d,
        &[
            "feeds",
            "add",
            "http://127.0.0.1:1/ci",
            "--name",
            "CI",
            "-H",
            "X-Team: ops",
            "--where",
            "/priority = 5",
        ],
    );
    let list = json_lines(&ok(d, &["feeds", "list", "--json"]));
    assert_eq!(list.len(), 2);
    let ci = &list[0];
    assert_eq!(ci["name"], "CI");
    assert_eq!(ci["enabled"], true);
    assert_eq!(ci["preset"], "generic");
    assert_eq!(ci["auth"], "none");
    assert_eq!(ci["state"], "connecting");
    assert_eq!(ci["last_event_at"], serde_json::Value::Null);
    assert_eq!(ci["unread"], 0);
    assert_eq!(
        list[1]["name"], "ntfy.example.org/alerts",
        "a name from the URL when none is given"
    );

    ok(d, &["feeds", "edit", "ci", "--url", "http://127.0.0.1:2/ci2", "--name", "Builds"]);
    ok(d, &["feeds", "disable", "builds"]);
    let list = json_lines(&ok(d, &["feeds", "list", "--json"]));
    let builds = list.iter().find(|f| f["name"] == "Builds").unwrap();
    assert_eq!(
        (builds["url"].as_str(), builds["state"].as_str()),
        (Some("http://127.0.0.1:2/ci2"), Some("disabled"))
    );
    let id = builds["id"].as_str().unwrap().to_owned();
    ok(d, &["feeds", "remove", &id]);
    assert_eq!(json_lines(&ok(d, &["feeds", "list", "--json"])).len(), 1, "removed by id");
}

#[test]
fn usage_errors_exit_2_with_words() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    ok(d, &["feeds", "add", "http://127.0.0.1:1/a", "--name", "A"]);
    let cases: &[(&[&str], &str)] = &[
        (&["feeds", "add", "http://127.0.0.1:1/b", "--name", "a"], "already exists"),
        (&["feeds", "add", "ftp://127.0.0.1/x"], "only http and https"),
        (&["feeds", "add", "http://127.0.0.1:1/x", "--preset", "rss"], "unknown preset"),
        (&["feeds", "add", "http://127.0.0.1:1/x", "--title", "{{ x"], "template does not parse"),
        (&["feeds", "add", "http://127.0.0.1:1/x", "--id-source", "json:id"], "not a JSON pointer"),
        (
            &["feeds", "add", "http://127.0.0.1:1/x", "-H", "Authorization: Bearer t"],
            "keeps them in the keyring",
        ),
        (&["feeds", "add", "http://127.0.0.1:1/x", "--min-priority", "9"], "1 to 5"),
        (&["feeds", "enable", "nope"], "no feed"),
        (&["history", "--feed", "nope"], "no feed"),
    ];
    for (args, words) in cases {
        let out = herald(d, args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(words), "{args:?}: {stderr}");
    }
    assert_eq!(
        json_lines(&ok(d, &["feeds", "list", "--json"])).len(),
        1,
        "nothing was added by the failures"
    );
}

#[test]
fn export_and_import_round_trip_without_secrets() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    // A feed that uses credentials (its secret would be in the keyring; the e2e tests cover that).
    let mut store = herald_store::Store::open(&herald_store::Store::path_in(a.path())).unwrap();
    let mut spec = herald_store::FeedSpec {
        name: "X".into(),
        url: "http://127.0.0.1:1/x".into(),
        auth: "bearer".parse().unwrap(),
        ..Default::default()
    };
    spec.filters.include_types = vec!["deploy".into()];
    store.add_feed(&spec).unwrap();
    drop(store);
    let export = ok(a.path(), &["feeds", "export"]);
    let file = a.path().join("feeds.json");
    std::fs::write(&file, &export).unwrap();
    ok(b.path(), &["feeds", "import", file.to_str().unwrap()]);
    let original: serde_json::Value = serde_json::from_str(&export).unwrap();
    let copied: serde_json::Value =
        serde_json::from_str(&ok(b.path(), &["feeds", "export"])).unwrap();
    assert_eq!(copied, original);
    assert_eq!(original["feeds"][0]["auth"], "bearer", "the kind travels, never a secret");
    // Importing again would duplicate names: refused as a whole.
    let again = herald(b.path(), &["feeds", "import", file.to_str().unwrap()]);
    assert_eq!(again.status.code(), Some(2));
}

#[test]
fn without_a_keyring_a_feed_with_credentials_is_refused_with_words_and_not_added() {
    let dir = tempfile::tempdir().unwrap();
    for (args, stdin) in [
        (&["feeds", "add", "http://127.0.0.1:1/x", "--auth", "bearer"][..], "tk_bearer_7\n"),
        (&["feeds", "add", "http://127.0.0.1:1/x?auth=tk_secret_8"][..], ""),
    ] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_herald"))
            .arg("--data-dir")
            .arg(dir.path())
            .args(args)
            // No Secret Service: the session bus is not there.
            .env("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/herald-test-bus")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        std::io::Write::write_all(&mut child.stdin.take().unwrap(), stdin.as_bytes()).unwrap();
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "an operational failure: {stderr}");
        assert!(
            stderr.contains("the keyring is not available") && stderr.contains("GNOME Keyring"),
            "{stderr}"
        );
        assert!(!stderr.contains("tk_"), "a secret is never echoed: {stderr}");
    }
    assert!(ok(dir.path(), &["feeds", "list", "--json"]).is_empty(), "nothing was added");
}

#[test]
fn history_shows_searches_exports_and_marks_read() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    ok(d, &["feeds", "add", "http://127.0.0.1:1/ci", "--name", "CI"]);
    {
        let mut store = Store::open(&Store::path_in(d)).unwrap();
        let feed = store.find_feed("CI").unwrap().id;
        for (i, text) in ["deploy, \"api\" ok", "disk full on db1"].iter().enumerate() {
            store
                .accept(&Incoming {
                    feed_id: feed.clone(),
                    resume_position: i.to_string(),
                    event_id: (i == 0).then(|| "e0".to_owned()),
                    event_type: "message".into(),
                    data: format!("{{\"message\":\"{}\"}}", text.replace('"', "\\\"")),
                    kept: Some(Rendered {
                        title: "CI".into(),
                        body: (*text).into(),
                        link: None,
                        priority: Some(4),
                    }),
                    received_at: 1_700_000_000_000 + i as i64,
                })
                .unwrap();
        }
    }
    let all = json_lines(&ok(d, &["history", "--json"]));
    assert_eq!(all.len(), 2);
    let newest = &all[0];
    for key in [
        "feed",
        "feed_id",
        "event_id",
        "type",
        "data",
        "title",
        "body",
        "link",
        "priority",
        "received_at",
        "read",
    ] {
        assert!(newest.get(key).is_some(), "history --json lacks {key}: {newest}");
    }
    assert_eq!(newest["event_id"], serde_json::Value::Null, "no own id is null");
    assert_eq!(all[1]["event_id"], "e0");
    assert_eq!(newest["received_at"], "2023-11-14T22:13:20.001Z");
    let found = json_lines(&ok(d, &["history", "--json", "--search", "disk"]));
    assert_eq!(found.len(), 1);
    assert_eq!(found[0]["body"], "disk full on db1");
    ok(d, &["history", "mark-read", "--feed", "CI"]);
    assert!(json_lines(&ok(d, &["history", "--json", "--unread"])).is_empty());
    let csv = ok(d, &["history", "export", "--format", "csv"]);
    assert!(csv.contains("\"deploy, \"\"api\"\" ok\""), "CSV quoting: {csv}");
    assert_eq!(ok(d, &["history", "export"]).lines().count(), 2);
    let status = json_lines(&ok(d, &["status", "--json"]))[0].clone();
    assert_eq!(status["resident"]["running"], false);
    assert!(status["feeds"][0]["last_event_at"].is_string());
}

#[test]
fn commands_work_while_a_resident_runs() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mut daemon = Command::new(env!("CARGO_BIN_EXE_herald"))
        .args(["daemon", "--data-dir"])
        .arg(d)
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let pid_file = d.join("resident.lock.pid");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while !pid_file.exists() {
        assert!(std::time::Instant::now() < deadline, "daemon did not start");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    ok(d, &["feeds", "add", "http://127.0.0.1:1/x", "--name", "X"]);
    let status = json_lines(&ok(d, &["status", "--json"]))[0].clone();
    assert_eq!(status["resident"]["running"], true);
    assert_eq!(status["resident"]["pid"], daemon.id());
    daemon.kill().unwrap();
    daemon.wait().unwrap();
}
