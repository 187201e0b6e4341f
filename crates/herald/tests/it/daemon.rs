//! `herald daemon`: the resident without a tray, one per data dir (docs/cli.md).

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub fn herald(data_dir: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_herald"));
    command.arg("--data-dir").arg(data_dir).stdin(Stdio::null());
    command
}

pub fn wait_for(what: &str, mut probe: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !probe() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

pub struct KillOnDrop(pub Child);

/// Runs `herald ARGS` on `data_dir` and returns its standard output; any failure fails the
/// test with the command's words.
pub fn cli(data_dir: &Path, args: &[&str]) -> String {
    let out = herald(data_dir).args(args).output().unwrap();
    assert!(out.status.success(), "herald {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

/// `herald daemon` on `data_dir`, with a session bus that does not exist: no notification
/// service to talk to, whatever the machine running the tests has.
pub fn daemon(data_dir: &Path) -> KillOnDrop {
    KillOnDrop(
        herald(data_dir)
            .arg("daemon")
            .env("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/herald-test-bus")
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    )
}

/// Sends `signal` (`-TERM`, `-INT`) and waits for the exit, 20 s at most: how long it took and
/// the exit code (None when it did not exit, or was killed).
pub fn signal_and_wait(daemon: &mut KillOnDrop, signal: &str) -> (Duration, Option<i32>) {
    let asked = Instant::now();
    let sent = Command::new("kill").args([signal, &daemon.0.id().to_string()]).status().unwrap();
    assert!(sent.success(), "kill {signal}");
    let mut status = None;
    while status.is_none() && asked.elapsed() < Duration::from_secs(20) {
        status = daemon.0.try_wait().unwrap();
        std::thread::sleep(Duration::from_millis(5));
    }
    (asked.elapsed(), status.and_then(|s| s.code()))
}

/// Waits until `server` has seen `n` requests (30 s at most) and says when.
pub fn when_requests(server: &herald_sse_server::SseServer, n: usize) -> Instant {
    let deadline = Instant::now() + Duration::from_secs(30);
    while server.requests().len() < n {
        assert!(Instant::now() < deadline, "only {} requests", server.requests().len());
        std::thread::sleep(Duration::from_millis(5));
    }
    Instant::now()
}

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn one_daemon_per_data_dir_and_sigterm_stops_it_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let mut daemon =
        KillOnDrop(herald(dir.path()).arg("daemon").stderr(Stdio::null()).spawn().unwrap());
    let pid_file = dir.path().join("resident.lock.pid");
    wait_for("the daemon to take the lock", || {
        std::fs::read_to_string(&pid_file).is_ok_and(|pid| pid.trim() == daemon.0.id().to_string())
    });

    let second = herald(dir.path()).arg("daemon").output().unwrap();
    assert_eq!(second.status.code(), Some(1), "a second daemon is an operational failure");
    let stderr = String::from_utf8_lossy(&second.stderr);
    assert!(
        stderr.contains(&format!(
            "already running for {}",
            dir.path().canonicalize().unwrap().display()
        )) && stderr.contains(&format!("pid {}", daemon.0.id())),
        "the refusal must say who runs: {stderr}"
    );

    let status = Command::new("kill").args(["-TERM", &daemon.0.id().to_string()]).status().unwrap();
    assert!(status.success());
    let mut exit = None;
    wait_for("the daemon to exit", || {
        exit = daemon.0.try_wait().unwrap();
        exit.is_some()
    });
    assert_eq!(exit.unwrap().code(), Some(0), "SIGTERM is a clean stop");
    assert!(!pid_file.exists(), "a clean stop removes the pid file");

    // The lock went with the process: a new daemon may start.
    let mut again =
        KillOnDrop(herald(dir.path()).arg("daemon").stderr(Stdio::null()).spawn().unwrap());
    wait_for("a new daemon to take the lock", || {
        std::fs::read_to_string(&pid_file).is_ok_and(|pid| pid.trim() == again.0.id().to_string())
    });
    let _ = again.0.kill();
}

#[test]
fn usage_errors_exit_2_and_version_answers() {
    let dir = tempfile::tempdir().unwrap();
    let bad = herald(dir.path()).arg("--no-such-flag").output().unwrap();
    assert_eq!(bad.status.code(), Some(2));
    let version = herald(dir.path()).arg("--version").output().unwrap();
    assert!(version.status.success());
    assert_eq!(
        String::from_utf8_lossy(&version.stdout).trim(),
        format!("herald {}", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn the_data_dir_comes_from_the_environment_too() {
    let dir = tempfile::tempdir().unwrap();
    let mut daemon = KillOnDrop(
        Command::new(env!("CARGO_BIN_EXE_herald"))
            .arg("daemon")
            .env("HERALD_DATA_DIR", dir.path())
            .stdin(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let pid_file = dir.path().join("resident.lock.pid");
    wait_for("the daemon to use HERALD_DATA_DIR", || pid_file.exists());
    assert!(dir.path().join("logs").is_dir(), "logs go inside an explicit data dir");
    let _ = daemon.0.kill();
}

#[test]
fn a_damaged_database_stops_the_resident_with_words_and_is_kept() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("herald.db");
    let garbage = vec![0x5a_u8; 4096];
    std::fs::write(&db, &garbage).unwrap();
    let out = herald(dir.path()).arg("daemon").output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("damaged") && stderr.contains("herald.db"), "{stderr}");
    assert_eq!(std::fs::read(&db).unwrap(), garbage, "the file is left as it was");
    let list = herald(dir.path()).args(["feeds", "list"]).output().unwrap();
    assert_eq!(list.status.code(), Some(1), "the database is unavailable: an operational failure");
}
