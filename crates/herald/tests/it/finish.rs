//! A POST that streams a job's answer (OpenAI-style) is run once: when its stream ends the feed
//! is "finished" until someone runs it again, across restarts of the resident; `tail --method
//! POST` stops at the end too. Running the job again would re-run and re-bill it.

use std::process::{Command, Stdio};

use herald_sse_server::{Reply, SseServer};

use crate::daemon::{KillOnDrop, cli as ok, daemon, herald, signal_and_wait, wait_for};

fn completion() -> SseServer {
    SseServer::start(|_, n| {
        Reply::events(format!("data: {{\"token\":\"run {n}\"}}\n\ndata: [DONE]\n\n"))
    })
}

fn stop(mut daemon: KillOnDrop) {
    let (_, code) = signal_and_wait(&mut daemon, "-TERM");
    assert_eq!(code, Some(0), "the daemon did not stop cleanly");
}

/// Waits (30 s at most) for the feed to be finished; says what it was doing if it never is.
fn finished(dir: &std::path::Path, server: &SseServer) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while state(dir).0 != "finished" {
        if std::time::Instant::now() > deadline {
            let logs = std::fs::read_dir(dir.join("logs"))
                .map(|entries| {
                    entries
                        .flatten()
                        .map(|e| std::fs::read_to_string(e.path()).unwrap_or_default())
                        .collect::<String>()
                })
                .unwrap_or_default();
            panic!(
                "never finished: {:?} after {} requests; log:\n{logs}",
                state(dir),
                server.requests().len()
            );
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

fn state(dir: &std::path::Path) -> (String, String) {
    let list = ok(dir, &["feeds", "list", "--json"]);
    let feed: serde_json::Value = serde_json::from_str(list.lines().next().unwrap()).unwrap();
    (feed["state"].as_str().unwrap().to_owned(), feed["state_detail"].as_str().unwrap().to_owned())
}

#[test]
fn a_post_job_runs_once_stays_finished_across_restarts_and_runs_again_when_asked() {
    let server = completion();
    let dir = tempfile::tempdir().unwrap();
    let body = dir.path().join("body.json");
    std::fs::write(&body, r#"{"prompt":"hi"}"#).unwrap();
    let body = body.to_str().unwrap();
    ok(
        dir.path(),
        &[
            "feeds",
            "add",
            &server.url("/v1/run"),
            "--name",
            "Job",
            "--method",
            "POST",
            "--body-file",
            body,
        ],
    );

    let first = daemon(dir.path());
    finished(dir.path(), &server);
    assert!(state(dir.path()).1.starts_with("finished at "), "{:?}", state(dir.path()));
    assert!(ok(dir.path(), &["status"]).contains("finished at"));
    // "finished", not "retrying in ...": no new attempt is scheduled (the engine's tests check
    // with paused time that none is made).
    assert_eq!(server.requests().len(), 1, "the job was run again");
    stop(first);

    let second = daemon(dir.path());
    // The restarted resident writes its own state for the feed ("finished" is its first).
    wait_for("the restarted resident to show it finished", || {
        let (word, detail) = state(dir.path());
        word == "finished"
            && ok(dir.path(), &["status", "--json"]).contains("\"running\":true")
            && !detail.is_empty()
    });
    assert_eq!(server.requests().len(), 1, "a restart re-ran the job");

    assert!(ok(dir.path(), &["feeds", "run", "Job"]).contains("runs again"));
    wait_for("the second run", || server.requests().len() == 2);
    wait_for("the second run to finish", || {
        ok(dir.path(), &["history", "--json"]).contains("run 1")
    });
    stop(second);
}

#[test]
fn when_the_stream_ends_is_a_setting_and_a_wrong_value_is_a_usage_error() {
    let server = completion();
    let dir = tempfile::tempdir().unwrap();
    let bad = herald(dir.path())
        .args(["feeds", "add", &server.url("/x"), "--on-end", "sometimes"])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2), "{}", String::from_utf8_lossy(&bad.stderr));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("is not reconnect, finish or default"));
    // A GET told to finish finishes too.
    ok(dir.path(), &["feeds", "add", &server.url("/once"), "--name", "Once", "--on-end", "finish"]);
    let resident = daemon(dir.path());
    wait_for("the GET feed to finish", || state(dir.path()).0 == "finished");
    assert_eq!(server.requests().len(), 1);
    stop(resident);
}

#[test]
fn tail_stops_at_the_end_of_a_post_stream() {
    let server = completion();
    let dir = tempfile::tempdir().unwrap();
    let body = dir.path().join("body.json");
    std::fs::write(&body, "{}").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_herald"))
        .args([
            "tail",
            "--json",
            "--method",
            "POST",
            "--body-file",
            body.to_str().unwrap(),
            &server.url("/v1/run"),
        ])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 2);
    assert_eq!(server.requests().len(), 1);
}
