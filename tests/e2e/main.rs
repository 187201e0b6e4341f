//! End-to-end tests of Herald as a user meets it: the real `herald` and `herald-ui` binaries on a
//! real X display (Xvfb) and a private D-Bus session. `make test` runs them inside
//! `xvfb-run -a dbus-run-session`; they fail, never skip, anywhere else.

mod credentials;
mod footprint;
mod forms;
mod handover;
mod notifications;
mod package;
mod page;
mod tray;
mod ui;
