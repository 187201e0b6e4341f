//! The data commands (`feeds`, `history`, `status`): each opens Herald's data in the data dir
//! (`herald_api::Herald`), calls the use case, and prints. They work while the resident runs (SQLite WAL, busy timeout).
#![allow(clippy::print_stdout)]

pub mod feeds;
pub mod history;
pub mod quiet;
pub mod status;

use std::process::ExitCode;

use herald_api::{ApiError, Herald};
use herald_os::DataDir;

/// Herald's data in `data_dir`, with the OS keyring (reached only by the commands that need a
/// secret).
pub fn open(data_dir: &DataDir) -> Result<Herald, ApiError> {
    Herald::open(data_dir.clone(), std::sync::Arc::new(herald_secrets::Keyring::new()))
}

/// Says what went wrong and picks the exit code of docs/cli.md: 2 for usage errors (bad
/// values, unknown feed, taken name), 1 for operational failures (database, disk).
pub fn report(err: &ApiError) -> ExitCode {
    crate::terminal_text::print_error(&anyhow::anyhow!("{err}"));
    if err.is_usage() { ExitCode::from(2) } else { ExitCode::FAILURE }
}

/// Runs a command body and turns its error into words and an exit code.
pub fn run(body: impl FnOnce() -> Result<(), ApiError>) -> ExitCode {
    match body() {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => report(&err),
    }
}
