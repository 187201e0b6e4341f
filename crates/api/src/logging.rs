//! Logging for both binaries: stderr for whoever started them, plus a daily-rotated file so a
//! user can send what happened yesterday. `RUST_LOG` filters both.

use crate::{ApiError, DataDir};
use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::{EnvFilter, Layer, fmt, layer::SubscriberExt, util::SubscriberInitExt};

/// Keeps the file writer alive; dropping it flushes the last lines.
#[must_use]
#[derive(Debug)]
pub struct LogGuard(#[allow(dead_code)] WorkerGuard);

/// Sets up logging for a process; `program` names its files (`herald.2026-11-25.log`).
pub fn init(data_dir: &DataDir, program: &str) -> Result<LogGuard, ApiError> {
    let dir = data_dir.log_dir();
    let log_err = |source| ApiError::Log { path: dir.clone(), source };
    std::fs::create_dir_all(&dir).map_err(log_err)?;
    let appender = tracing_appender::rolling::Builder::new()
        .rotation(tracing_appender::rolling::Rotation::DAILY)
        .filename_prefix(program)
        .filename_suffix("log")
        .max_log_files(14)
        .build(&dir)
        .map_err(|err| log_err(std::io::Error::other(err)))?;
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
    Ok(LogGuard(guard))
}
