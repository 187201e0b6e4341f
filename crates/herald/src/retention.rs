//! History retention, applied in the background by the resident: at start and then hourly, each
//! feed keeps at most its newest N entries, at most M MiB of them, and nothing older than the
//! configured age (settings).

use std::time::Duration;

use crossbeam_channel::{Receiver, RecvTimeoutError};
use herald_store::{Store, now_millis};

const EVERY: Duration = Duration::from_secs(60 * 60);

/// Runs until `stop` receives or closes.
pub fn spawn(mut store: Store, stop: Receiver<()>) -> std::io::Result<std::thread::JoinHandle<()>> {
    std::thread::Builder::new().name("retention".into()).spawn(move || {
        loop {
            apply(&mut store);
            match stop.recv_timeout(EVERY) {
                Err(RecvTimeoutError::Timeout) => continue,
                Ok(()) | Err(RecvTimeoutError::Disconnected) => return,
            }
        }
    })
}

fn apply(store: &mut Store) {
    let settings = match store.settings() {
        Ok(settings) => settings,
        Err(err) => return tracing::warn!("cannot read the retention settings: {err}"),
    };
    let cutoff = settings.retention_days.map(|days| now_millis() - i64::from(days) * 86_400_000);
    let bytes = settings.retention_mib_per_feed.map(|mib| u64::from(mib) * 1024 * 1024);
    match store.apply_retention(settings.retention_per_feed, bytes, cutoff) {
        Ok(0) => {}
        Ok(n) => tracing::info!(deleted = n, "history retention applied"),
        Err(err) => tracing::warn!("history retention failed: {err}"),
    }
}
