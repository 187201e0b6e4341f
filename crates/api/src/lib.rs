//! The one API that every Herald client calls: the `herald` command line, the resident's tray and
//! the `herald-ui` windows. Nothing here knows about Tauri or a display, so the same calls run over
//! SSH, in CI and behind a window alike. What it asks of the operating system (folders, locks,
//! launch at login, the opener) is `herald-os`'s.

pub use herald_engine::input_file;
/// What a feed and its settings are, as types (`herald-model`).
pub use herald_model as model;
pub mod control_chars;
pub mod credentials;
mod error;
pub mod feed_file;
pub mod feed_form;
pub mod feeds;
mod herald;
pub mod history;
pub mod settings;
mod store_access;
pub mod trouble;
pub mod views;
mod window;

pub use error::{ApiError, ErrorCode, Field, UiError};
pub use herald::{Herald, PreparedTest};
/// Following the store's commits from any process (`Herald::follow`).
pub use herald_store::changes::{Beacon, Follower, Stamp};
/// The records the use cases hand out.
pub use herald_store::{Entry, Feed, FeedSpec, FeedStatus, Millis, Settings, now_millis, rfc3339};
pub use window::{UnknownWindow, WindowKind};

use herald_os::DataDir;

/// What the windows show about the running app (its version and where its data lives).
#[derive(Debug, Clone, serde::Serialize, ts_rs::TS)]
#[ts(export)]
pub struct AppInfo {
    pub version: String,
    pub data_dir: String,
    /// Where secrets go, for the form's "stored in ..." line.
    pub keyring: String,
}

/// Facts about this installation, for the About line of the windows and for `herald --version`.
pub fn app_info(data_dir: &DataDir) -> AppInfo {
    AppInfo {
        version: env!("CARGO_PKG_VERSION").to_owned(),
        data_dir: data_dir.path().display().to_string(),
        keyring: herald_secrets::Keyring::name().to_owned(),
    }
}
