//! An idle resident sleeps: once its feeds are live and quiet, no thread of it stays awake
//! on a timer of a library's making. (How often the whole process wakes is a benchmark, in
//! BENCHMARKS.md; this checks the cause that was found, so that it cannot come back.)

use std::path::Path;

use herald_sse_server::{End, Reply, SseServer};

use crate::daemon::{cli, daemon, wait_for};

fn thread_names(pid: u32) -> Vec<String> {
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else { return Vec::new() };
    tasks
        .flatten()
        .filter_map(|t| std::fs::read_to_string(t.path().join("comm")).ok())
        .map(|name| name.trim().to_owned())
        .collect()
}

fn live(dir: &Path) -> bool {
    cli(dir, &["feeds", "list"]).contains("[live]")
}

#[test]
fn an_idle_daemon_keeps_no_pool_thread_that_wakes_twice_a_second() {
    let dir = tempfile::tempdir().unwrap();
    let server =
        SseServer::start(|_, _| Reply::stream(vec![b"id: 1\ndata: hello\n\n".to_vec()], End::Hold));
    cli(dir.path(), &["feeds", "add", &server.url("/quiet"), "--name", "Quiet"]);
    let resident = daemon(dir.path());
    let pid = resident.0.id();
    wait_for("the feed to be live", || live(dir.path()));
    // The notification of the one event went to a session bus that does not exist: zbus ran
    // its blocking work on the `blocking` crate's pool, whose threads wake every 500 ms for as
    // long as they live.
    wait_for("the pool's idle threads to end", || {
        !thread_names(pid).iter().any(|name| name.starts_with("blocking-"))
    });
}
