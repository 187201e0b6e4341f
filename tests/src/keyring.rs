//! A private Secret Service for a test: its own D-Bus session with gnome-keyring-daemon, a fresh
//! HOME and XDG_RUNTIME_DIR. Commands run inside it through
//! [`KeyringSession::command`]; `secret-tool` checks the keyring from outside Herald.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::wait;

pub struct KeyringSession {
    holder: Child,
    home: tempfile::TempDir,
    bus: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keyring {
    /// A login keyring, created and unlocked.
    Unlocked,
    /// gnome-keyring running, its keyring locked (nobody typed the password).
    Locked,
    /// No keyring at all: just a private session bus.
    Absent,
}

impl KeyringSession {
    pub fn start(keyring: Keyring) -> Self {
        let home = tempfile::Builder::new().prefix("herald-keyring-").tempdir().expect("tempdir");
        let runtime = home.path().join("run");
        std::fs::create_dir(&runtime).expect("runtime dir");
        std::fs::set_permissions(&runtime, std::os::unix::fs::PermissionsExt::from_mode(0o700))
            .expect("chmod");
        let bus_file = home.path().join("bus");
        let keyring_step = match keyring {
            Keyring::Unlocked => {
                "printf %s testpw | gnome-keyring-daemon --unlock --components=secrets >/dev/null"
            }
            Keyring::Locked => "gnome-keyring-daemon --start --components=secrets >/dev/null",
            Keyring::Absent => "true",
        };
        // The session lives until its stdin closes (when this value drops, or the test process
        // dies): no process group to kill, nothing that outlives the test. The bus address is
        // written once the keyring is ready.
        let script = format!(
            "{keyring_step}; echo \"$DBUS_SESSION_BUS_ADDRESS\" > '{}'; exec cat > /dev/null",
            bus_file.display()
        );
        let holder = Command::new("dbus-run-session")
            .args(["--", "sh", "-c", &script])
            .env("HOME", home.path())
            .env("XDG_RUNTIME_DIR", &runtime)
            .env_remove("DBUS_SESSION_BUS_ADDRESS")
            // No display: a locked keyring must answer with an error, not pop up a password
            // prompter on the test's X server.
            .env_remove("DISPLAY")
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            // Nothing of the session may hold the test runner's output open.
            .stderr(Stdio::null())
            .spawn()
            .expect("dbus-run-session (apt: dbus, gnome-keyring)");
        let bus = wait::until("the keyring session", wait::STARTUP, || {
            std::fs::read_to_string(&bus_file)
                .ok()
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty())
        });
        Self { holder, home, bus }
    }

    pub fn home(&self) -> &Path {
        self.home.path()
    }

    fn runtime(&self) -> PathBuf {
        self.home.path().join("run")
    }

    /// A command that runs in this session (its bus, HOME and runtime dir).
    pub fn apply(&self, command: &mut Command) {
        command
            .env_remove("DISPLAY")
            .env("DBUS_SESSION_BUS_ADDRESS", &self.bus)
            .env("HOME", self.home.path())
            .env("XDG_RUNTIME_DIR", self.runtime());
    }

    /// The session bus's address, for a client of the test's own.
    pub fn bus_address(&self) -> &str {
        &self.bus
    }

    /// What `secret-tool` finds for a feed, from outside Herald.
    pub fn lookup(&self, feed_id: &str) -> Option<String> {
        let mut command = Command::new("secret-tool");
        command.args(["lookup", "service", "herald", "username", feed_id]);
        self.apply(&mut command);
        let out = command.output().expect("secret-tool (apt: libsecret-tools)");
        (out.status.success() && !out.stdout.is_empty())
            .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
    }

    /// Waits for `secret-tool` to see `expected` (None: no entry).
    pub fn wait_lookup(&self, feed_id: &str, expected: Option<&str>) {
        wait::until("the keyring entry", Duration::from_secs(10), || {
            (self.lookup(feed_id).as_deref() == expected).then_some(())
        });
    }
}

impl Drop for KeyringSession {
    fn drop(&mut self) {
        // Closing stdin ends `cat`, then the shell; dbus-run-session then stops its bus, and
        // gnome-keyring-daemon exits with it.
        drop(self.holder.stdin.take());
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while self.holder.try_wait().ok().flatten().is_none() {
            if std::time::Instant::now() > deadline {
                // Never a panic in drop; the bus goes away with dbus-run-session anyway.
                let _ = self.holder.kill();
                let _ = self.holder.wait();
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}
