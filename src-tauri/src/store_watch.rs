//! The windows update live: the resident (and `herald feeds ...`) write the store from other
//! processes; this thread notices within half a second (`PRAGMA data_version` moves when another
//! connection commits) and tells every window, which then re-reads what it shows.

use std::time::Duration;

use herald_api::views::StoreChanged;
use herald_store::Store;
use tauri::{AppHandle, Emitter};

/// The event name the UI's backend module listens to.
pub const EVENT: &str = "store-changed";

const POLL: Duration = Duration::from_millis(400);

pub fn spawn(app: AppHandle, store: Store) -> std::io::Result<()> {
    std::thread::Builder::new().name("store-watch".into()).spawn(move || {
        let mut seen = store.data_version().ok();
        loop {
            std::thread::sleep(POLL);
            match store.data_version() {
                Ok(version) if Some(version) != seen => {
                    seen = Some(version);
                    if let Err(e) = app.emit(EVENT, StoreChanged { version }) {
                        tracing::debug!("cannot tell the windows: {e}");
                    }
                }
                Ok(_) => {}
                Err(e) => tracing::debug!("cannot watch the store: {e}"),
            }
        }
    })?;
    Ok(())
}
