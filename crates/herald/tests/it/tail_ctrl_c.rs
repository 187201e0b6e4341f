//! Ctrl-C and `herald tail` (docs/cli.md, "Tail"): it stops at a line's end, and within 2 s even
//! when its output is not being read. Each test blocks tail in a write to a pipe first (seen in
//! /proc/PID/wchan), where a stop would otherwise wait.

use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use herald_sse_server::{End, Reply, SseServer};

use crate::tail::{stderr, tail};

/// A server that sends `events` events of `data` at once and holds the connection.
fn burst(data: &str, events: usize) -> SseServer {
    let burst = format!("data: {data}\n\n").repeat(events);
    SseServer::start(move |_, _| Reply::stream(vec![burst.clone().into_bytes()], End::Hold))
}

/// Far more than a pipe holds (64 KiB).
fn big_burst() -> SseServer {
    burst(&"x".repeat(1000), 1000)
}

/// Waits until tail's main thread is inside a write to a full pipe.
fn wait_until_blocked_writing(child: &Child) {
    let wchan = format!("/proc/{}/wchan", child.id());
    let deadline = Instant::now() + Duration::from_secs(10);
    while !std::fs::read_to_string(&wchan).unwrap_or_default().contains("pipe_write") {
        assert!(Instant::now() < deadline, "tail never blocked writing to the full pipe");
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn ctrl_c(child: &Child) {
    let kill = Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap();
    assert!(kill.success());
}

/// Waits for tail to end after Ctrl-C; returns how it ended and how long that took.
fn stopped(child: &mut Child) -> (ExitStatus, Duration) {
    let asked = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return (status, asked.elapsed());
        }
        if asked.elapsed() > Duration::from_secs(10) {
            let _ = child.kill();
            panic!("tail did not stop on SIGINT");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// An output nobody reads (a paused pager, a full pipe) leaves tail inside a write that does
/// not return: Ctrl-C still stops it within 2 s, saying so.
#[test]
fn ctrl_c_stops_tail_while_its_output_is_not_read() {
    let server = big_burst();
    let mut child = tail(&["--json", &server.url("/")])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // stdout stays open, never read.
    let _stdout = child.stdout.take().unwrap();
    wait_until_blocked_writing(&child);
    ctrl_c(&child);
    let (status, took) = stopped(&mut child);
    let mut words = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut words).unwrap();
    assert_eq!(status.code(), Some(0), "{words}");
    assert!(took < Duration::from_secs(2), "stopped after {took:?}");
    assert!(words.contains("stopped without waiting for the output to be read"), "{words}");
}

/// The same with stderr in the same unread pipe (`tail URL 2>&1 | less`, paused): no last
/// words can get out, and tail still stops.
#[test]
fn ctrl_c_stops_tail_while_neither_output_is_read() {
    let server = big_burst();
    let (_unread, pipe) = std::io::pipe().unwrap();
    let mut child = tail(&["--json", &server.url("/")])
        .stdout(pipe.try_clone().unwrap())
        .stderr(pipe)
        .spawn()
        .unwrap();
    wait_until_blocked_writing(&child);
    ctrl_c(&child);
    let (status, took) = stopped(&mut child);
    assert_eq!(status.code(), Some(0));
    assert!(took < Duration::from_secs(2), "stopped after {took:?}");
}

/// Ctrl-C in a terminal reaches the whole pipeline: the reader of tail's output ends with it,
/// and the write that fails then is part of the stop, not an error.
#[test]
fn ctrl_c_that_also_ends_the_reader_is_a_clean_stop() {
    let server = big_burst();
    let mut child = tail(&["--json", &server.url("/")])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    wait_until_blocked_writing(&child);
    ctrl_c(&child);
    drop(stdout);
    let output = child.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(stderr(&output).ends_with("herald tail: stopped\n"), "{}", stderr(&output));
}

/// A reader that keeps up, slowly: Ctrl-C stops tail between two lines, with the one message.
#[test]
fn ctrl_c_with_a_slow_reader_ends_the_output_at_a_line_s_end() {
    for json in [true, false] {
        slow_reader_then_ctrl_c(json);
    }
}

fn slow_reader_then_ctrl_c(json: bool) {
    let server = burst(&"\u{1}x".repeat(200), 5000);
    let url = server.url("/");
    let args: &[&str] = if json { &["--json", &url] } else { &[&url] };
    let mut child = tail(args).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut output = Vec::new();
    let mut buf = vec![0u8; 16 * 1024];
    // About 320 KB a second, a few times what one write of tail's holds every second.
    for read in 0.. {
        // Ctrl-C while tail is in the middle of a write (the pipe is full until the next read).
        if read == 5 {
            wait_until_blocked_writing(&child);
            ctrl_c(&child);
        }
        let n = std::io::Read::read(&mut stdout, &mut buf).unwrap();
        if n == 0 {
            break;
        }
        output.extend_from_slice(&buf[..n]);
        assert!(read < 1000, "tail did not stop");
        std::thread::sleep(Duration::from_millis(50));
    }
    let status = child.wait().unwrap();
    let mut words = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut words).unwrap();
    assert_eq!(status.code(), Some(0), "{words}");
    assert_eq!(words.matches("stopped").count(), 1, "{words}");
    assert!(words.ends_with("herald tail: stopped\n"), "{words}");
    assert!(output.ends_with(b"\n"), "the output ends in the middle of a line");
    for line in String::from_utf8(output).unwrap().lines().filter(|_| json) {
        serde_json::from_str::<serde_json::Value>(line).unwrap();
    }
}
