//! The windows update live: the resident (and `herald feeds ...`) write the store from other
//! processes. The store announces every commit (`Herald::follow`), and the resident
//! rings the same beacon when its trouble with the store starts or ends. After each
//! announcement that changed either, every window is told and re-reads what it shows, at most
//! every [`GAP`] (a burst of events is a few re-reads, not one per commit). Nothing polls: an
//! idle window costs no wake-ups.

use std::sync::mpsc::Receiver;
use std::time::Duration;

use herald_api::views::StoreChanged;
use herald_api::{Beacon, Follower, Herald};
use tauri::{AppHandle, Emitter};

const GAP: Duration = Duration::from_millis(250);

/// Follows the store for as long as the returned value lives.
pub fn spawn(app: AppHandle, herald: Herald) -> std::io::Result<Follower> {
    // One waiting signal at most: signals during a re-read or the gap merge into one.
    let (signal, signals) = std::sync::mpsc::sync_channel::<()>(1);
    let signal = std::sync::Mutex::new(signal);
    let follower = herald.follow(Beacon::Any, move || {
        // Full: a look is already due; disconnected: the windows are closing.
        if let Ok(signal) = signal.lock() {
            let _ = signal.try_send(());
        }
    });
    std::thread::Builder::new()
        .name("store-watch".into())
        .spawn(move || tell_windows(&app, &herald, &signals))?;
    Ok(follower)
}

fn tell_windows(app: &AppHandle, herald: &Herald, signals: &Receiver<()>) {
    let look = || (herald.data_version().ok(), herald.store_trouble());
    let mut seen = look();
    // Ends when the follower (and with it the sender) is dropped.
    while signals.recv().is_ok() {
        let now = look();
        if now != seen {
            let version = now.0.unwrap_or_default();
            seen = now;
            if let Err(e) = app.emit(crate::bridge::events::STORE_CHANGED, StoreChanged { version })
            {
                tracing::debug!("cannot tell the windows: {e}");
            }
            std::thread::sleep(GAP);
        }
    }
}
