//! History retention, applied in the background by the resident: at start and then hourly, each
//! feed keeps at most its newest N entries, at most M MiB of them, and nothing older than the
//! configured age (settings).

use std::time::Duration;

use crossbeam_channel::{Receiver, RecvTimeoutError};
use herald_api::{Herald, now_millis};

const EVERY: Duration = Duration::from_secs(60 * 60);

/// Runs until `stop` receives or closes.
pub fn spawn(herald: Herald, stop: Receiver<()>) -> std::io::Result<std::thread::JoinHandle<()>> {
    std::thread::Builder::new().name("retention".into()).spawn(move || {
        loop {
            match herald.apply_retention(now_millis()) {
                Ok(0) => {}
                Ok(n) => tracing::info!(deleted = n, "history retention applied"),
                Err(err) => tracing::warn!("history retention failed: {err}"),
            }
            match stop.recv_timeout(EVERY) {
                Err(RecvTimeoutError::Timeout) => continue,
                Ok(()) | Err(RecvTimeoutError::Disconnected) => return,
            }
        }
    })
}
