//! Integration tests of the `herald` binary that need no display: one binary, a module per area.

mod autostart;
mod daemon;
mod data;
mod engine;
mod finish;
mod flaky;
mod heartbeats;
mod hostile;
mod hostile_text;
mod idle;
mod permissions;
mod settings_text;
mod shutdown;
mod tail;
mod tail_ctrl_c;
mod untrusted_files;
