//! Starting Herald's real binaries (built by `make test` before this runs) in throwaway data dirs.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::Duration;

use crate::wait;

/// The cargo profile dir (`target/debug`): the binaries sit next to the test's own `deps/`.
pub fn profile_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("current exe");
    exe.parent().and_then(Path::parent).expect("target dir").to_owned()
}

pub fn binary(name: &str) -> PathBuf {
    let path = profile_dir().join(name);
    assert!(path.is_file(), "{} is missing: build it first (`make test` does)", path.display());
    path
}

/// A data dir that disappears after the test, with a few helpers to look inside it.
pub struct DataDir {
    dir: tempfile::TempDir,
}

impl Default for DataDir {
    fn default() -> Self {
        Self::new()
    }
}

impl DataDir {
    pub fn new() -> Self {
        Self { dir: tempfile::Builder::new().prefix("herald-e2e-").tempdir().expect("tempdir") }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// The pid written by whoever holds `name` (`resident.lock` or `ui.lock`), if it is alive.
    pub fn holder(&self, lock: &str) -> Option<u32> {
        let pid: u32 = std::fs::read_to_string(self.path().join(format!("{lock}.pid")))
            .ok()?
            .trim()
            .parse()
            .ok()?;
        Path::new(&format!("/proc/{pid}")).exists().then_some(pid)
    }

    pub fn command(&self, program: &str) -> Command {
        let mut command = Command::new(binary(program));
        command.arg("--data-dir").arg(self.path()).env("RUST_LOG", "info").stdin(Stdio::null());
        command
    }
}

impl Drop for DataDir {
    fn drop(&mut self) {
        // Processes the test did not start itself (a resident started by herald-ui, say) must not
        // outlive a failed test.
        for lock in ["ui.lock", "resident.lock"] {
            if let Some(pid) = self.holder(lock) {
                let _ = Command::new("kill").args(["-KILL", &pid.to_string()]).status();
            }
        }
    }
}

/// A child process that is killed if the test ends before it exits by itself.
pub struct Running {
    pub child: Child,
}

impl Running {
    pub fn spawn(mut command: Command) -> Self {
        Self { child: command.spawn().expect("spawn") }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn wait_exit(&mut self, deadline: Duration) -> ExitStatus {
        wait::until("the process to exit", deadline, || self.child.try_wait().expect("try_wait"))
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

pub fn is_alive(pid: u32) -> bool {
    // A zombie still has /proc/pid; its state says it is gone.
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => {
            !stat.rsplit_once(')').is_some_and(|(_, rest)| rest.trim_start().starts_with('Z'))
        }
        Err(_) => false,
    }
}

pub fn terminate(pid: u32) {
    let status = Command::new("kill").args(["-TERM", &pid.to_string()]).status().expect("kill");
    assert!(status.success(), "kill -TERM {pid} failed");
}

/// Proportional set size of one process, in KiB, from the kernel's own accounting.
pub fn pss_kib(pid: u32) -> u64 {
    let rollup =
        std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup")).expect("smaps_rollup");
    rollup
        .lines()
        .find_map(|line| line.strip_prefix("Pss:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("a Pss line")
}

/// The pids of processes whose command line contains every one of `needles`.
pub fn pids_with_args(needles: &[&str]) -> Vec<u32> {
    let mut pids = Vec::new();
    for entry in std::fs::read_dir("/proc").expect("/proc").flatten() {
        let Some(pid) = entry.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else {
            continue;
        };
        let Ok(cmdline) = std::fs::read(entry.path().join("cmdline")) else { continue };
        let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
        if needles.iter().all(|n| cmdline.contains(n)) && is_alive(pid) {
            pids.push(pid);
        }
    }
    pids
}
