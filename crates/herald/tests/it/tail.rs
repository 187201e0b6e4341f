//! `herald tail` against a real SSE server on 127.0.0.1 (docs/cli.md, "Tail").

use std::io::Write;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use herald_sse_server::{End, Reply, SseServer};

pub fn tail(args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_herald"));
    command.arg("tail").args(args).stdin(Stdio::null());
    command
}

fn run(args: &[&str]) -> Output {
    tail(args).output().unwrap()
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn json_lines(output: &Output) -> Vec<serde_json::Value> {
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn once_json_prints_one_object_per_event_and_exits_0_at_the_end() {
    let server = SseServer::start(|_, _| {
        Reply::events(
            ": hi\nid: 1\nevent: deploy\ndata: {\"ok\":true}\n\ndata: line1\ndata: line2\n\ndata: partial",
        )
    });
    let output = run(&["--once", "--json", &server.url("/s")]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let lines = json_lines(&output);
    assert_eq!(
        lines,
        [
            serde_json::json!({"type": "deploy", "data": "{\"ok\":true}", "last_event_id": "1", "id": "1"}),
            serde_json::json!({"type": "message", "data": "line1\nline2", "last_event_id": "1", "id": null}),
        ],
        "the unterminated last event is never printed"
    );
}

#[test]
fn readable_output_without_json() {
    let server = SseServer::start(|_, _| Reply::events("id: 9\ndata: a\ndata: b\n\n"));
    let output = run(&["--once", &server.url("/")]);
    assert_eq!(String::from_utf8_lossy(&output.stdout), "message (id 9)\n  a\n  b\n");
}

#[test]
fn once_fails_with_exit_1_and_words_when_the_attempt_fails() {
    let server =
        SseServer::start(|_, _| Reply::status(500, "Internal Server Error", &[], "db down"));
    let output = run(&["--once", &server.url("/")]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("the server answered 500: Internal Server Error: db down"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn status_204_stops_with_exit_0_and_says_why() {
    let server = SseServer::start(|_, _| Reply::Raw(b"HTTP/1.1 204 No Content\r\n\r\n".to_vec()));
    let output = run(&[&server.url("/")]);
    assert_eq!(output.status.code(), Some(0));
    assert!(stderr(&output).contains("asked Herald to stop (204"), "{}", stderr(&output));
}

#[test]
fn rejected_credentials_exit_1_without_retrying() {
    let server = SseServer::start(|_, _| Reply::status(401, "Unauthorized", &[], ""));
    let output = run(&[&server.url("/")]);
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr(&output).contains("credentials were rejected"), "{}", stderr(&output));
    assert_eq!(server.requests().len(), 1, "401 must not be retried");
}

#[test]
fn reconnects_after_ends_and_errors_sending_the_last_event_id() {
    // The first stream sets a 100 ms reconnection time (the smallest Herald allows), so the
    // retries below take well under a second; the server's script decides each answer.
    let server = SseServer::start(|req, n| match n {
        0 => Reply::events("retry: 100\nid: 5\ndata: first\n\n"),
        1 => Reply::status(503, "Service Unavailable", &[], ""),
        2 => Reply::events(format!(
            "data: got {}\n\n",
            req.header("last-event-id").unwrap_or("none")
        )),
        _ => Reply::Raw(b"HTTP/1.1 204 No Content\r\n\r\n".to_vec()),
    });
    let output = run(&["--json", &server.url("/")]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let data: Vec<String> =
        json_lines(&output).iter().map(|l| l["data"].as_str().unwrap().to_owned()).collect();
    assert_eq!(data, ["first", "got 5"]);
    let ids: Vec<Option<String>> =
        server.requests().iter().map(|r| r.header("last-event-id").map(str::to_owned)).collect();
    assert_eq!(ids, [None, Some("5".into()), Some("5".into()), Some("5".into())]);
    let words = stderr(&output);
    assert!(words.contains("the server closed the stream") && words.contains("503"), "{words}");
}

#[test]
fn headers_and_last_event_id_from_the_command_line() {
    let server = SseServer::start(|_, _| Reply::events("data: x\n\n"));
    let output = run(&["--once", "-H", "X-Team: ops", "--last-event-id", "77", &server.url("/")]);
    assert!(output.status.success());
    let seen = &server.requests()[0];
    assert_eq!(seen.header("x-team"), Some("ops"));
    assert_eq!(seen.header("last-event-id"), Some("77"));
}

#[test]
fn the_secret_comes_from_stdin_and_never_shows() {
    let server = SseServer::start(|req, _| {
        if req.header("authorization") == Some("Bearer tok-s3cret") {
            Reply::events("data: in\n\n")
        } else {
            Reply::status(401, "Unauthorized", &[], "")
        }
    });
    let mut child = tail(&["--once", "--auth", "bearer", &server.url("/")])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(b"tok-s3cret\n").unwrap();
    let output = child.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(String::from_utf8_lossy(&output.stdout), "message\n  in\n");
    assert!(!stderr(&output).contains("s3cret"));

    // A query token is redacted from what tail says about the URL.
    let server = SseServer::start(|_, _| Reply::events("data: q\n\n"));
    let mut child = tail(&["--once", "--auth", "query:auth", &server.url("/t")])
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(b"q-s3cret\n").unwrap();
    let output = child.wait_with_output().unwrap();
    assert_eq!(server.requests()[0].query("auth"), Some("q-s3cret"));
    assert!(!stderr(&output).contains("q-s3cret"), "{}", stderr(&output));
}

#[test]
fn usage_errors_exit_2() {
    for args in [
        &["--once", "ftp://example.org/"][..],
        &["--once", "not a url"],
        &["--auth", "magic", "http://127.0.0.1/"],
        // A secret on the command line: other users can read it.
        &["-H", "Authorization: Bearer x", "http://127.0.0.1/"],
        &["-H", "cookie: session=x", "http://127.0.0.1/"],
    ] {
        assert_eq!(run(args).status.code(), Some(2), "{args:?}");
    }
}

#[test]
fn ctrl_c_stops_cleanly() {
    let server =
        SseServer::start(|_, _| Reply::stream(vec![b"data: held\n\n".to_vec()], End::Hold));
    let mut child = tail(&["--json", &server.url("/")])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Wait until the event was printed, so the connection is certainly up.
    let mut stdout = child.stdout.take().unwrap();
    let mut first = [0u8; 8];
    std::io::Read::read_exact(&mut stdout, &mut first).unwrap();
    let kill = Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap();
    assert!(kill.success());
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "tail did not stop on SIGINT");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(status.code(), Some(0));
}

#[test]
fn a_closed_stdout_ends_tail_with_exit_1_and_says_why() {
    let server =
        SseServer::start(|_, _| Reply::stream(vec![b"data: first\n\n".to_vec()], End::Live));
    let mut child = tail(&["--json", &server.url("/s")])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    std::io::BufRead::read_line(&mut stdout, &mut first).unwrap();
    assert!(first.contains("\"data\":\"first\""), "{first}");
    // The reader goes away (as `head -1` does); the next events cannot be written.
    drop(stdout);
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        server.push("data: more\n\n");
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "tail kept running with nowhere to write");
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    assert_eq!(status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("cannot write the output"), "{stderr}");
}

/// `tail URL 2>&1 | head -1`: once the reader is gone, stdout and stderr both fail; tail says
/// nothing more (there is no one to tell) and exits 1, not by an abort.
#[test]
fn with_stderr_in_the_same_closed_pipe_tail_still_exits_1() {
    let server =
        SseServer::start(|_, _| Reply::stream(vec![b"data: first\n\n".to_vec()], End::Live));
    let (reader, pipe) = std::io::pipe().unwrap();
    let mut child = tail(&["--json", &server.url("/s")])
        .stdout(pipe.try_clone().unwrap())
        .stderr(pipe)
        .spawn()
        .unwrap();
    let mut reader = std::io::BufReader::new(reader);
    let mut first = String::new();
    std::io::BufRead::read_line(&mut reader, &mut first).unwrap();
    assert!(first.contains("connected"), "{first}");
    drop(reader);
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        server.push("data: more\n\n");
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "tail kept running with nowhere to write");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(status.code(), Some(1), "{status:?}");
}

/// Runs `tail` to its end, failing the test (and killing tail) if that takes past `deadline`.
fn run_within(args: &[&str], deadline: Duration) -> (Output, Duration) {
    let started = Instant::now();
    let mut child = tail(args).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    loop {
        if child.try_wait().unwrap().is_some() {
            return (child.wait_with_output().unwrap(), started.elapsed());
        }
        if started.elapsed() > deadline {
            let _ = child.kill();
            let output = child.wait_with_output().unwrap();
            panic!("tail {args:?} still ran after {deadline:?}: {}", stderr(&output));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A server that accepts TCP connections and never writes a byte (nor reads, nor closes).
fn silent_listener() -> (String, std::thread::JoinHandle<()>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/s", listener.local_addr().unwrap());
    let holder = std::thread::spawn(move || {
        let mut held = Vec::new();
        // Ends with the test process; each accepted connection stays open and silent.
        for stream in listener.incoming().flatten() {
            held.push(stream);
        }
    });
    (url, holder)
}

#[test]
fn once_gives_up_with_exit_1_when_the_server_never_sends_headers() {
    let (url, _holder) = silent_listener();
    let (output, took) =
        run_within(&["--once", "--idle-timeout", "1", &url], Duration::from_secs(15));
    let words = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{words}");
    assert!(words.contains("no data for 1 s"), "{words}");
    assert!(took >= Duration::from_millis(900), "not before the timeout: {took:?}");
}

#[test]
fn once_gives_up_with_exit_1_when_the_stream_goes_silent_after_its_headers() {
    let server = SseServer::start(|_, _| Reply::stream(vec![], End::Hold));
    let (output, _) =
        run_within(&["--once", "--idle-timeout", "1", &server.url("/")], Duration::from_secs(15));
    let words = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{words}");
    assert!(words.contains("connected to") && words.contains("no data for 1 s"), "{words}");
}

#[test]
fn comments_keep_the_connection_alive() {
    let server = SseServer::start(|_, _| Reply::stream(vec![b": hello\n".to_vec()], End::Live));
    let mut child = tail(&["--once", "--json", "--idle-timeout", "1", &server.url("/")])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Comments every 300 ms for 2.4 s: more than twice the timeout without an event.
    for _ in 0..8 {
        std::thread::sleep(Duration::from_millis(300));
        assert!(child.try_wait().unwrap().is_none(), "tail gave up on a connection that talks");
        server.push(": keepalive\n");
    }
    server.push("data: still here\n\n");
    let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    std::io::BufRead::read_line(&mut stdout, &mut line).unwrap();
    assert!(line.contains("\"data\":\"still here\""), "{line}");
    server.close_live();
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "tail did not end with the stream");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(status.code(), Some(0), "the server ended the stream cleanly");
}

/// Time tail spends waiting for its own output (a pager that is not reading) is not the
/// server's silence: after the output drains, the server still gets its whole idle time.
#[test]
fn a_stalled_reader_of_the_output_does_not_count_against_the_server() {
    // More than a pipe holds (64 KiB), little enough that tail reads it all before its one
    // write for it stalls; then silence with the connection open.
    let burst = format!("data: {}\n\n", "x".repeat(1000)).repeat(100);
    let server =
        SseServer::start(move |_, _| Reply::stream(vec![burst.clone().into_bytes()], End::Hold));
    let mut child = tail(&["--once", "--json", "--idle-timeout", "1", &server.url("/")])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Nobody reads for twice the idle time: tail waits on the full pipe meanwhile.
    let until = Instant::now() + Duration::from_secs(2);
    while Instant::now() < until {
        assert!(child.try_wait().unwrap().is_none(), "tail ended while its output was stalled");
        std::thread::sleep(Duration::from_millis(50));
    }
    let mut stdout = child.stdout.take().unwrap();
    let mut lines = 0;
    let mut buf = vec![0u8; 1 << 16];
    let drained = loop {
        let n = std::io::Read::read(&mut stdout, &mut buf).unwrap();
        lines += buf[..n].iter().filter(|&&b| b == b'\n').count();
        if lines == 100 {
            break Instant::now();
        }
        assert!(n > 0, "the output ended after {lines} lines");
    };
    let status = child.wait().unwrap();
    let after = drained.elapsed();
    assert_eq!(status.code(), Some(1), "the silent server is given up");
    let words = String::from_utf8_lossy(&{
        let mut e = Vec::new();
        std::io::Read::read_to_end(&mut child.stderr.take().unwrap(), &mut e).unwrap();
        e
    })
    .into_owned();
    assert!(
        after >= Duration::from_millis(800),
        "given up {after:?} after the output drained: {words}"
    );
}

#[test]
fn without_once_a_silent_connection_is_replaced() {
    let server = SseServer::start(|_, n| match n {
        0 => Reply::stream(vec![], End::Hold),
        1 => Reply::events("retry: 100\ndata: second\n\n"),
        _ => Reply::Raw(b"HTTP/1.1 204 No Content\r\n\r\n".to_vec()),
    });
    let (output, _) =
        run_within(&["--json", "--idle-timeout", "1", &server.url("/")], Duration::from_secs(20));
    let words = stderr(&output);
    assert_eq!(output.status.code(), Some(0), "{words}");
    assert_eq!(json_lines(&output)[0]["data"], "second");
    assert!(words.contains("no data for 1 s") && words.contains("reconnecting in"), "{words}");
}

#[test]
fn idle_timeout_must_be_a_positive_number_of_seconds() {
    for bad in ["0", "-1", "soon"] {
        let output = run(&["--once", "--idle-timeout", bad, "http://127.0.0.1:1/"]);
        assert_eq!(output.status.code(), Some(2), "{bad}: {}", stderr(&output));
    }
}

/// The spec's lastEventId is set at every dispatch: by a block with no data, by an empty `id:`
/// (which clears it) and by an event too large to keep. The next connection resumes from it,
/// not from the last event printed.
#[test]
fn a_block_with_no_data_an_empty_id_and_a_dropped_event_move_the_resume_position() {
    let big = "x".repeat(8 * 1024 * 1024 + 1);
    let server = SseServer::start(move |_, n| match n {
        0 => Reply::events("retry: 100\nid: 1\ndata: a\n\nid: 9\n\n"),
        1 => Reply::events("id: 10\ndata: b\n\nid:\n\n"),
        2 => Reply::events(format!("id: big\ndata: {big}\n\n")),
        _ => Reply::Raw(b"HTTP/1.1 204 No Content\r\n\r\n".to_vec()),
    });
    let output = run(&["--json", &server.url("/")]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let ids: Vec<Option<String>> =
        server.requests().iter().map(|r| r.header("last-event-id").map(str::to_owned)).collect();
    assert_eq!(ids, [None, Some("9".into()), None, Some("big".into())]);
}

#[test]
fn an_id_no_header_can_carry_leaves_tail_resuming_at_the_last_one_that_can() {
    let server = SseServer::start(|_, _| {
        Reply::stream(
            vec![b"retry: 100\nid: good1\ndata: a\n\nid: bad\x01id\ndata: b\n\n".to_vec()],
            End::Close,
        )
    });
    let mut child = tail(&["--json", &server.url("/s")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while server.requests().len() < 2 {
        assert!(Instant::now() < deadline, "tail did not reconnect");
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(server.requests()[1].header("last-event-id"), Some("good1"));
}

#[test]
fn a_post_stream_that_breaks_is_not_posted_again() {
    // A chunked answer cut off in the middle of a chunk: the connection broke.
    let server = SseServer::start(|_, _| {
        Reply::Raw(
            b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n10\r\ndata: tok\n\n".to_vec(),
        )
    });
    let dir = tempfile::tempdir().unwrap();
    let body = dir.path().join("body.json");
    std::fs::write(&body, "{}").unwrap();
    let output =
        run(&["--method", "POST", "--body-file", body.to_str().unwrap(), &server.url("/run")]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert_eq!(server.requests().len(), 1, "the job was posted again");
}

#[test]
fn a_server_that_only_sends_heartbeats_is_not_hammered() {
    let server = SseServer::start(|_, _| Reply::events("retry: 0\nevent: ping\ndata:\n\n"));
    let mut child = tail(&["--json", &server.url("/s")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let second = crate::daemon::when_requests(&server, 2);
    let third = crate::daemon::when_requests(&server, 3);
    let _ = child.kill();
    let _ = child.wait();
    // Before: 173 requests in 20 s. A gap can only grow under load, so this cannot flake.
    assert!(third - second >= Duration::from_millis(900), "{:?}", third - second);
}

#[test]
fn a_last_event_id_no_header_can_carry_is_a_usage_error() {
    let output = run(&["--once", "--last-event-id", "x\u{1}y", "http://127.0.0.1:9/s"]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(stderr(&output).contains("control characters"), "{}", stderr(&output));
}

/// The rule the engine follows too: after a connection with news, one that brings only a repeat
/// of the last event is forgiven once (the server's retry), and the next such one waits as a
/// failure (at least 1 s).
#[test]
fn a_connection_of_only_repeats_is_forgiven_once() {
    // Every connection sends event 2; tail starts after event 1, so only the first is news.
    let server = SseServer::start(|_, _| Reply::events("retry: 100\nid: 2\ndata: news\n\n"));
    let child = tail(&["--json", "--last-event-id", "1", &server.url("/s")])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    crate::daemon::when_requests(&server, 4);
    let mut child = child;
    let _ = child.kill();
    let output = child.wait_with_output().unwrap();
    let waits: Vec<f64> = stderr(&output)
        .lines()
        .filter_map(|l| l.split("reconnecting in ").nth(1))
        .filter_map(|w| w.trim_end_matches(" s").parse().ok())
        .collect();
    assert!(waits.len() >= 3, "{}", stderr(&output));
    assert!(waits[0] <= 0.2 && waits[1] <= 0.2, "news, then a forgiven repeat: {waits:?}");
    assert!(waits[2] >= 1.0, "a second repeat in a row is a failure: {waits:?}");
}
