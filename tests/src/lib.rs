//! The harness for Herald's end-to-end tests: the real binaries, a real X display (Xvfb), a
//! private D-Bus session, and WebDriver. Everything here waits on conditions with deadlines;
//! nothing sleeps and hopes.

pub mod dbusmenu;
pub mod desktop;
pub mod keyring;
pub mod notifications;
pub mod process;
pub mod sni_watcher;
pub mod wait;
pub mod webdriver;

/// Fails (never skips) when the test does not run inside `xvfb-run -a dbus-run-session`: a
/// skipped end-to-end test would pass silently.
pub fn require_desktop_session() {
    for var in ["DISPLAY", "DBUS_SESSION_BUS_ADDRESS"] {
        assert!(
            std::env::var_os(var).is_some(),
            "{var} is not set: run the end-to-end tests with `make test` (inside \
             `xvfb-run -a dbus-run-session`), not with plain cargo test"
        );
    }
    // Our notification service owns the name before any Herald process can call it: otherwise
    // the bus would activate an installed daemon (dunst) that takes the name and dies without a
    // display.
    notifications::Recorder::shared();
}
