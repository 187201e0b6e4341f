//! The data dir holds the history (what every feed said) and the logs: on Unix only its owner
//! may read it, whatever the umask (docs/cli.md, "Global options").
#![cfg(unix)]

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use crate::daemon::{KillOnDrop, wait_for};

/// herald under the common umask 022, with which files and folders are world-readable.
fn herald_umask_022(data_dir: &Path) -> Command {
    let mut command = Command::new("sh");
    command
        .arg("-c")
        .arg("umask 022; exec \"$0\" \"$@\"")
        .arg(env!("CARGO_BIN_EXE_herald"))
        .arg("--data-dir")
        .arg(data_dir)
        .stdin(Stdio::null());
    command
}

fn ok(output: Output) {
    assert_eq!(output.status.code(), Some(0), "{}", String::from_utf8_lossy(&output.stderr));
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o777
}

#[test]
fn a_new_data_dir_and_database_are_private() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("herald");
    ok(herald_umask_022(&dir).args(["feeds", "add", "http://127.0.0.1:1/x"]).output().unwrap());
    assert_eq!(mode(&dir), 0o700, "the data dir");
    assert_eq!(mode(&dir.join("herald.db")), 0o600, "the database");
    for extra in ["herald.db-wal", "herald.db-shm"] {
        let path = dir.join(extra);
        if path.exists() {
            assert_eq!(mode(&path), 0o600, "{extra}");
        }
    }
}

#[test]
fn an_existing_data_dir_is_tightened_on_start() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("herald");
    ok(herald_umask_022(&dir).args(["feeds", "add", "http://127.0.0.1:1/x"]).output().unwrap());
    // As an older Herald left them.
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    let db = dir.join("herald.db");
    std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o644)).unwrap();
    ok(herald_umask_022(&dir).args(["feeds", "list"]).output().unwrap());
    assert_eq!(mode(&dir), 0o700, "the data dir");
    assert_eq!(mode(&db), 0o600, "the database");
}

#[test]
fn the_daemon_keeps_its_logs_private() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("herald");
    let logs = dir.join("logs");
    // An older Herald's logs folder and file.
    std::fs::create_dir_all(&logs).unwrap();
    std::fs::set_permissions(&logs, std::fs::Permissions::from_mode(0o755)).unwrap();
    let old_log = logs.join("herald.2020-01-01.log");
    std::fs::write(&old_log, "old\n").unwrap();
    std::fs::set_permissions(&old_log, std::fs::Permissions::from_mode(0o644)).unwrap();
    // And its lock and trouble files, left readable.
    for name in ["resident.lock", "resident.trouble"] {
        std::fs::write(dir.join(name), "").unwrap();
        std::fs::set_permissions(dir.join(name), std::fs::Permissions::from_mode(0o644)).unwrap();
    }

    let mut daemon =
        KillOnDrop(herald_umask_022(&dir).arg("daemon").stderr(Stdio::null()).spawn().unwrap());
    let pid_file = dir.join("resident.lock.pid");
    wait_for("the daemon to start", || pid_file.exists());
    let status = Command::new("kill").args(["-TERM", &daemon.0.id().to_string()]).status();
    assert!(status.unwrap().success());
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while daemon.0.try_wait().unwrap().is_none() {
        assert!(std::time::Instant::now() < deadline, "the daemon did not stop on SIGTERM");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert_eq!(mode(&dir), 0o700, "the data dir");
    assert_eq!(mode(&logs), 0o700, "the logs folder");
    // Everything else the resident keeps there (database, lock, its trouble file) too.
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() {
            assert_eq!(mode(&path), 0o600, "{}", path.display());
        }
    }
    let files: Vec<_> = std::fs::read_dir(&logs).unwrap().map(|e| e.unwrap().path()).collect();
    assert!(files.len() >= 2, "today's log file was written: {files:?}");
    for file in files {
        assert_eq!(mode(&file), 0o600, "{}", file.display());
    }
}
