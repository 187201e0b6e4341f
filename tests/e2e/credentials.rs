//! Credentials in the OS keyring, for real: a private gnome-keyring per test, checked from outside
//! with `secret-tool`, and a loopback server that demands each kind of credentials.

use std::io::Write;
use std::process::{Command, Output, Stdio};

use herald_e2e::keyring::{Keyring, KeyringSession};
use herald_e2e::process::{DataDir, Running};
use herald_e2e::{require_desktop_session, wait};
use herald_sse_server::{End, Reply, SseServer};

/// Runs `herald ARGS` in the keyring's session, with `stdin` as its input.
fn herald(session: &KeyringSession, data: &DataDir, args: &[&str], stdin: &str) -> Output {
    let mut command = Command::new("timeout");
    command.arg("30").arg(herald_e2e::process::binary("herald")).arg("--data-dir").arg(data.path());
    command.args(args).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
    session.apply(&mut command);
    let mut child = command.spawn().unwrap();
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

fn ok(session: &KeyringSession, data: &DataDir, args: &[&str], stdin: &str) -> String {
    let out = herald(session, data, args, stdin);
    assert!(out.status.success(), "herald {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

fn feed(session: &KeyringSession, data: &DataDir, name: &str) -> serde_json::Value {
    let list = ok(session, data, &["feeds", "list", "--json"], "");
    list.lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .find(|f| f["name"] == name)
        .unwrap_or_else(|| panic!("no feed {name} in {list}"))
}

#[test]
fn secrets_are_set_changed_and_deleted_in_the_keyring_and_nowhere_else() {
    require_desktop_session();
    let session = KeyringSession::start(Keyring::Unlocked);
    let data = DataDir::new();
    ok(
        &session,
        &data,
        &["feeds", "add", "http://127.0.0.1:9/x", "--name", "Secure", "--auth", "bearer"],
        "tok-one-5c1d\n",
    );
    let id = feed(&session, &data, "Secure")["id"].as_str().unwrap().to_owned();
    assert_eq!(feed(&session, &data, "Secure")["auth"], "bearer");
    session.wait_lookup(&id, Some("tok-one-5c1d"));

    ok(&session, &data, &["feeds", "auth", "Secure", "--auth", "bearer"], "tok-two-9e2f\n");
    session.wait_lookup(&id, Some("tok-two-9e2f"));
    ok(&session, &data, &["feeds", "auth", "Secure", "--auth", "none"], "");
    session.wait_lookup(&id, None);
    assert_eq!(feed(&session, &data, "Secure")["auth"], "none");
    ok(&session, &data, &["feeds", "auth", "Secure", "--auth", "basic"], "alice:pw-3b7a\n");
    session.wait_lookup(&id, Some("alice:pw-3b7a"));

    // A token written into the URL goes to the keyring; the URL is stored without it.
    ok(
        &session,
        &data,
        &["feeds", "add", "http://127.0.0.1:9/t/sse?auth=tk-url-81c4&x=1", "--name", "Split"],
        "",
    );
    let split = feed(&session, &data, "Split");
    assert_eq!(split["url"], "http://127.0.0.1:9/t/sse?x=1");
    assert_eq!(split["auth"], "query:auth");
    session.wait_lookup(split["id"].as_str().unwrap(), Some("tk-url-81c4"));

    // Exports and the database never hold a secret.
    let export = ok(&session, &data, &["feeds", "export"], "");
    for secret in ["tok-one-5c1d", "tok-two-9e2f", "pw-3b7a", "tk-url-81c4"] {
        assert!(!export.contains(secret), "the export holds {secret}");
        assert!(!files_contain(data.path(), secret), "the data dir holds {secret}");
    }

    ok(&session, &data, &["feeds", "remove", "Secure"], "");
    session.wait_lookup(&id, None);
}

/// `herald daemon` in the keyring's session.
fn resident(session: &KeyringSession, data: &DataDir) -> Running {
    Running::spawn({
        let mut command = data.command("herald");
        command.arg("daemon").stderr(Stdio::null());
        session.apply(&mut command);
        command
    })
}

/// Whether any file under `dir` (database, WAL, logs) contains `needle`.
fn files_contain(dir: &std::path::Path, needle: &str) -> bool {
    let Ok(entries) = std::fs::read_dir(dir) else { return false };
    entries.flatten().any(|e| {
        let path = e.path();
        if path.is_dir() {
            files_contain(&path, needle)
        } else {
            std::fs::read(&path)
                .is_ok_and(|bytes| bytes.windows(needle.len()).any(|w| w == needle.as_bytes()))
        }
    })
}

#[test]
fn each_kind_of_credentials_connects_and_a_rejected_one_stops_until_it_changes() {
    require_desktop_session();
    let server = SseServer::start(|req, _| {
        let path = req.target.split('?').next().unwrap_or("");
        let allowed = match path {
            "/bearer" => req.header("authorization") == Some("Bearer right-token-4d2e"),
            // alice:pw-basic-77 in base64
            "/basic" => req.header("authorization") == Some("Basic YWxpY2U6cHctYmFzaWMtNzc="),
            "/header" => req.header("x-api-key") == Some("key-header-1f9c"),
            "/query" => req.query("auth") == Some("tok-query-6a0b"),
            _ => false,
        };
        if allowed {
            Reply::stream(
                vec![format!("id: 1\ndata: secret event on {path}\n\n").into_bytes()],
                End::Hold,
            )
        } else {
            Reply::status(401, "Unauthorized", &[], "bad credentials")
        }
    });
    let session = KeyringSession::start(Keyring::Unlocked);
    let data = DataDir::new();
    let _resident = resident(&session, &data);
    let url = |p: &str| server.url(p);
    ok(
        &session,
        &data,
        &["feeds", "add", &url("/bearer"), "--name", "Bearer", "--auth", "bearer"],
        "wrong-token\n",
    );
    ok(
        &session,
        &data,
        &["feeds", "add", &url("/basic"), "--name", "Basic", "--auth", "basic"],
        "alice:pw-basic-77\n",
    );
    ok(
        &session,
        &data,
        &["feeds", "add", &url("/header"), "--name", "Header", "--auth", "header:X-Api-Key"],
        "key-header-1f9c\n",
    );
    ok(
        &session,
        &data,
        &["feeds", "add", &format!("{}?auth=tok-query-6a0b", url("/query")), "--name", "Query"],
        "",
    );
    let state = |name: &str| {
        let f = feed(&session, &data, name);
        (
            f["state"].as_str().unwrap_or("").to_owned(),
            f["state_detail"].as_str().unwrap_or("").to_owned(),
        )
    };
    for name in ["Basic", "Header", "Query"] {
        wait::until(&format!("{name} live"), wait::STARTUP, || {
            (state(name).0 == "live").then_some(())
        });
    }
    let (word, detail) =
        wait::until("the wrong bearer token to be rejected", wait::STARTUP, || {
            Some(state("Bearer")).filter(|(w, _)| w == "stopped")
        });
    assert_eq!(word, "stopped");
    assert!(detail.contains("credentials rejected"), "{detail}");
    let to_bearer = || server.requests().iter().filter(|r| r.target == "/bearer").count();
    assert_eq!(to_bearer(), 1, "a rejected credential is not retried");

    ok(&session, &data, &["feeds", "auth", "Bearer", "--auth", "bearer"], "right-token-4d2e\n");
    wait::until("Bearer live with the new token", wait::STARTUP, || {
        (state("Bearer").0 == "live").then_some(())
    });
    assert_eq!(to_bearer(), 2);

    // After a whole cycle (connect, receive, store), the secrets are nowhere in the data dir
    // (database, WAL, logs) or in an export.
    wait::until("an event from every feed", wait::STARTUP, || {
        let history = ok(&session, &data, &["history", "--json"], "");
        (history.lines().count() == 4).then_some(())
    });
    let export = ok(&session, &data, &["feeds", "export"], "");
    for secret in
        ["right-token-4d2e", "pw-basic-77", "key-header-1f9c", "tok-query-6a0b", "wrong-token"]
    {
        assert!(!export.contains(secret), "the export holds {secret}");
        assert!(!files_contain(data.path(), secret), "the data dir holds {secret}");
    }
}

#[test]
fn a_locked_keyring_is_explained_and_no_feed_is_left_without_its_secret() {
    require_desktop_session();
    let session = KeyringSession::start(Keyring::Locked);
    let data = DataDir::new();
    let out = herald(
        &session,
        &data,
        &["feeds", "add", "http://127.0.0.1:9/x", "--name", "Locked", "--auth", "bearer"],
        "tok\n",
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "an operational failure: {stderr}");
    assert!(stderr.contains("keyring") && stderr.contains("unlock"), "{stderr}");
    assert_eq!(ok(&session, &data, &["feeds", "list", "--json"], ""), "", "the feed was not added");
}

/// A server whose error pages and Content-Type echo the request, as debug pages and some proxies
/// do: what the resident keeps of them (state, database, logs, `status`, `feeds list`) never
/// holds a secret, in any encoding.
#[test]
fn secrets_echoed_by_a_server_are_hidden_everywhere_the_resident_keeps_its_words() {
    require_desktop_session();
    let server = SseServer::start(|req, _| {
        // The credentials first, so that they fall inside the excerpt Herald keeps.
        let echo = format!(
            "{} {} {}",
            req.target,
            req.header("authorization").unwrap_or(""),
            req.header("x-api-key").unwrap_or("")
        );
        let page = format!("<html><body><pre>you sent {echo}</pre></body></html>");
        match req.target.split('?').next().unwrap_or("") {
            "/s401" => Reply::status(401, "Unauthorized", &[], &page),
            "/s404" => Reply::status(404, "Not Found", &[], &page),
            "/ct" => {
                Reply::status(200, "OK", &[("Content-Type", &format!("text/html; {echo}"))], "")
            }
            _ => Reply::status(500, "Internal Server Error", &[], &page),
        }
    });
    let session = KeyringSession::start(Keyring::Unlocked);
    let data = DataDir::new();
    let _resident = resident(&session, &data);
    let url = |p: &str| server.url(p);
    let with_userinfo =
        url("/s500?token=tok-url-1122").replace("http://", "http://bob:pw-url-9900@");
    for (args, stdin) in [
        (
            vec!["feeds", "add", &url("/s401"), "--name", "Bearer", "--auth", "bearer"],
            "tok-bear-4411\n",
        ),
        (
            vec!["feeds", "add", &url("/s500"), "--name", "Basic", "--auth", "basic"],
            "alice:pw-basic-2288\n",
        ),
        (
            vec!["feeds", "add", &url("/s404"), "--name", "Header", "--auth", "header:X-Api-Key"],
            "key-hdr-3377\n",
        ),
        (vec!["feeds", "add", &url("/ct?auth=tok-q-5566"), "--name", "Query"], ""),
        (vec!["feeds", "add", &with_userinfo, "--name", "Url"], ""),
    ] {
        ok(&session, &data, &args, stdin);
    }
    let detail =
        |name: &str| feed(&session, &data, name)["state_detail"].as_str().unwrap_or("").to_owned();
    for (name, says) in [
        ("Bearer", "401"),
        ("Basic", "500"),
        ("Header", "404"),
        ("Query", "text/html"),
        ("Url", "500"),
    ] {
        let words = wait::until(&format!("{name}'s echoed error"), wait::STARTUP, || {
            Some(detail(name)).filter(|d| {
                d.contains(says) && d.contains("you sent") || d.contains("Content-Type")
            })
        });
        assert!(words.contains("<redacted>"), "{name}: the echo was kept without hiding: {words}");
    }

    let secrets = [
        "tok-bear-4411",
        "pw-basic-2288",
        "YWxpY2U6cHctYmFzaWMtMjI4OA", // alice:pw-basic-2288 in base64
        "key-hdr-3377",
        "tok-q-5566",
        "tok-url-1122",
        "pw-url-9900",
        "Ym9iOnB3LXVybC05OTAw", // bob:pw-url-9900 in base64
    ];
    let status = ok(&session, &data, &["status", "--json"], "")
        + &ok(&session, &data, &["status"], "")
        + &ok(&session, &data, &["feeds", "list", "--json"], "")
        + &ok(&session, &data, &["feeds", "list"], "");
    for secret in secrets {
        assert!(!status.contains(secret), "status or feeds list shows {secret}: {status}");
        assert!(!files_contain(data.path(), secret), "the data dir holds {secret}");
    }
}
