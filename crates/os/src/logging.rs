//! Logging for both binaries: stderr for whoever started them, plus a daily-rotated file so a
//! user can send what happened yesterday. `RUST_LOG` filters both.

use crate::{DataDir, OsError};
use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::{EnvFilter, Layer, fmt, layer::SubscriberExt, util::SubscriberInitExt};

/// Keeps the file writer alive; dropping it flushes the last lines.
#[must_use]
#[derive(Debug)]
pub struct LogGuard(#[allow(dead_code)] WorkerGuard);

/// Sets up logging for a process; `program` names its files (`herald.2026-11-25.log`).
pub fn init(data_dir: &DataDir, program: &str) -> Result<LogGuard, OsError> {
    let dir = data_dir.log_dir();
    let log_err = |source| OsError::Log { path: dir.clone(), source };
    // Logs name feeds, URLs and errors that quote servers: private, like the data dir.
    crate::data_dir::create_private_dir(&dir).map_err(log_err)?;
    let appender = tracing_appender::rolling::Builder::new()
        .rotation(tracing_appender::rolling::Rotation::DAILY)
        .filename_prefix(program)
        .filename_suffix("log")
        .max_log_files(14)
        .build(&dir)
        .map_err(|err| log_err(std::io::Error::other(err)))?;
    // tracing-appender has just opened today's file (0644 under the usual umask) and offers no
    // way to choose its mode; the private folder is the real protection, this is the second.
    // A file started by a later rotation keeps the umask's mode until the next start.
    let not_private = make_files_private(&dir);
    // The default queue holds 128,000 lines and is allocated up front (4 MB, a quarter of the
    // resident's memory); a thousand is plenty for a process that logs a few lines a minute.
    // When it is full, lines are dropped rather than blocking the engine.
    let (file_writer, guard) = tracing_appender::non_blocking::NonBlockingBuilder::default()
        .buffered_lines_limit(1024)
        .lossy(true)
        .finish(appender);
    let filter = || EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    tracing_subscriber::registry()
        .with(fmt::layer().with_writer(std::io::stderr).with_filter(filter()))
        .with(fmt::layer().with_writer(file_writer).with_ansi(false).with_filter(filter()))
        .try_init()
        .map_err(|err| log_err(std::io::Error::other(err)))?;
    for words in not_private {
        tracing::warn!("{words}");
    }
    Ok(LogGuard(guard))
}

/// Makes every file in the log folder readable by its owner only; returns what failed, in
/// words, for when logging is up.
#[cfg(unix)]
fn make_files_private(dir: &std::path::Path) -> Vec<String> {
    use std::os::unix::fs::PermissionsExt;
    let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
    let mut failed = Vec::new();
    for entry in entries.flatten() {
        let Ok(metadata) = entry.metadata() else { continue };
        let mode = metadata.permissions().mode();
        if metadata.is_file() && mode & 0o077 != 0 {
            let private = std::fs::Permissions::from_mode(mode & 0o700);
            if let Err(err) = std::fs::set_permissions(entry.path(), private) {
                failed.push(format!("cannot make {} private: {err}", entry.path().display()));
            }
        }
    }
    failed
}

#[cfg(not(unix))]
fn make_files_private(_dir: &std::path::Path) -> Vec<String> {
    Vec::new()
}
