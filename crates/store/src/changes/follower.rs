//! Following a beacon: the OS's file notifications for the beacons' directory, read on a thread
//! of the follower's own, which also watches again when the directory itself goes away (removed,
//! renamed, replaced): a watch follows a directory's inode, so without that one `rm -r` would
//! leave the follower deaf for good.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use notify::{EventKind, RecommendedWatcher, RecursiveMode, Watcher};

use super::{Beacon, Stamp, beacon_path, ensure_dir_for, stamp};

/// How often a follower looks when the OS cannot watch files (no inotify instances left, say);
/// it also tries the watch again each time, and stops looking once it has one.
pub const FALLBACK_POLL: Duration = Duration::from_millis(500);

type Shared = Arc<Mutex<Option<RecommendedWatcher>>>;

/// Follows the store at `db`: calls `on_change` (on a thread of its own) soon after any
/// connection, in this process or another, commits.
pub struct Follower {
    watch: Watch,
}

enum Watch {
    /// Dropping the watcher ends the reading thread (its channel closes).
    Os(Shared),
    /// Dropping the sender ends the polling thread (and the follower it may have started
    /// meanwhile). The flag says whether it has one, that is, whether it still looks.
    Poll(#[allow(dead_code)] Sender<()>, Arc<AtomicBool>),
}

impl Drop for Follower {
    fn drop(&mut self) {
        if let Watch::Os(watcher) = &self.watch {
            watcher.lock().unwrap_or_else(|e| e.into_inner()).take();
        }
    }
}

impl Follower {
    /// Watches the beacon `which`; where the OS refuses a watch, looks every
    /// [`FALLBACK_POLL`] instead (and says so in the log), so a follower always follows, and
    /// watches as soon as the OS lets it: a refusal can be brief (other programs starting at
    /// login and holding every inotify instance for a moment).
    pub fn start(
        db: &Path,
        which: Beacon,
        on_change: impl Fn() + Send + Sync + 'static,
    ) -> Follower {
        let on_change: Arc<dyn Fn() + Send + Sync> = Arc::new(on_change);
        match Self::watching(db, which, on_change.clone()) {
            Ok(follower) => follower,
            Err((dir, e)) => {
                tracing::warn!(
                    "cannot watch {} for changes ({e}); looking every {} ms until it can",
                    dir.display(),
                    FALLBACK_POLL.as_millis()
                );
                let (beacon, db, retry) =
                    (beacon_path(db, which), db.to_owned(), on_change.clone());
                let retry = move || Self::watching(&db, which, retry.clone()).ok();
                let (alive, watching) = poll(beacon, move || on_change(), retry);
                Follower { watch: Watch::Poll(alive, watching) }
            }
        }
    }

    /// Whether this follower is woken by the OS rather than looking on its own (for tests).
    #[doc(hidden)]
    pub fn is_watching(&self) -> bool {
        match &self.watch {
            Watch::Os(_) => true,
            Watch::Poll(_, watching) => watching.load(Ordering::Acquire),
        }
    }

    /// A follower woken by the OS's file notifications, or the directory and why not.
    fn watching(
        db: &Path,
        which: Beacon,
        on_change: Arc<dyn Fn() + Send + Sync>,
    ) -> Result<Follower, (PathBuf, notify::Error)> {
        let beacon = beacon_path(db, which);
        let dir = beacon.parent().map(Path::to_owned).unwrap_or_else(|| PathBuf::from("."));
        ensure_dir_for(&beacon);
        let (events, received) = std::sync::mpsc::channel();
        // On notify's thread: a ring calls `on_change` there and then (a thread more to wake
        // for each commit would be a wake-up more); what happened to the directory itself, and
        // errors, go to the reader thread, which watches again. Not every open and close that a
        // ring makes: only the beacon's own changes.
        let (name, watched_dir) = (beacon.file_name().map(|n| n.to_os_string()), dir.clone());
        let rung = on_change.clone();
        let handler = move |event: notify::Result<notify::Event>| match &event {
            Ok(e) if replaced(e, &watched_dir) => {
                let _ = events.send(event);
            }
            Ok(e) => {
                if rings(e, name.as_deref()) {
                    rung();
                }
            }
            Err(_) => {
                let _ = events.send(event);
            }
        };
        let watched = notify::recommended_watcher(handler).and_then(|mut w| {
            w.watch(&dir, RecursiveMode::NonRecursive)?;
            watch_parent(&mut w, &dir);
            Ok(w)
        });
        let watcher = match watched {
            Ok(watcher) => Arc::new(Mutex::new(Some(watcher))),
            Err(e) => return Err((dir, e)),
        };
        let reader = Reader { beacon, dir, watcher: watcher.clone() };
        let spawned = std::thread::Builder::new()
            .name("store-follow".into())
            .spawn(move || reader.run(&received, || on_change()));
        if let Err(e) = spawned {
            tracing::error!("cannot follow the store: {e}");
        }
        Ok(Follower { watch: Watch::Os(watcher) })
    }

    /// Looks every [`FALLBACK_POLL`], without trying the OS's watch (for tests of the fallback).
    #[doc(hidden)]
    pub fn polling(
        db: &Path,
        which: Beacon,
        on_change: impl Fn() + Send + Sync + 'static,
    ) -> Follower {
        let (alive, watching) = poll(beacon_path(db, which), on_change, || None);
        Follower { watch: Watch::Poll(alive, watching) }
    }
}

struct Reader {
    beacon: PathBuf,
    dir: PathBuf,
    watcher: Shared,
}

impl Reader {
    /// Until the follower is dropped (the watcher, and with it the channel's sender, is gone).
    fn run(&self, events: &Receiver<notify::Result<notify::Event>>, on_change: impl Fn()) {
        // Set while the directory cannot be watched again: then this looks every
        // FALLBACK_POLL (and tries the watch again) rather than going deaf.
        let mut lost = false;
        loop {
            let event = if lost {
                match events.recv_timeout(FALLBACK_POLL) {
                    Ok(event) => Some(event),
                    Err(RecvTimeoutError::Timeout) => None,
                    Err(RecvTimeoutError::Disconnected) => return,
                }
            } else {
                match events.recv() {
                    Ok(event) => Some(event),
                    Err(_) => return,
                }
            };
            // Only the directory's own events and errors come here (rings are answered on
            // notify's thread), and a look while lost.
            let replaced = match &event {
                Some(Ok(event)) => replaced(event, &self.dir),
                Some(Err(_)) => false,
                None => true,
            };
            if replaced {
                // The directory itself was removed, renamed or replaced (or is still lost).
                lost = !self.watch_again(lost);
            }
            // The directory's change, an error of the watch, or a look while lost: something
            // may have changed. (Events the OS dropped, a queue overflow, ring on notify's
            // thread: see `rings`.)
            on_change();
        }
    }

    /// Watches the directory at its path again, made afresh if need be; false if it cannot.
    /// Whatever replaced it may be replaced again meanwhile (a file put there, removed by the
    /// next ring): the watch counts only once it is on a directory (not a link to one). While
    /// it stays lost (`still_lost`), each look tries once and says nothing more: the log
    /// said so when it was lost, and ten tries with a warning every 500 ms filled the log.
    fn watch_again(&self, still_lost: bool) -> bool {
        let mut slot = self.watcher.lock().unwrap_or_else(|e| e.into_inner());
        let Some(watcher) = slot.as_mut() else { return false };
        let tries = if still_lost { 1 } else { 10 };
        for _ in 0..tries {
            let _ = watcher.unwatch(&self.dir);
            ensure_dir_for(&self.beacon);
            let watched = watcher.watch(&self.dir, RecursiveMode::NonRecursive);
            if watched.is_ok() && std::fs::symlink_metadata(&self.dir).is_ok_and(|m| m.is_dir()) {
                tracing::info!("{} was replaced; watching the new one", self.dir.display());
                return true;
            }
        }
        if !still_lost {
            tracing::warn!(
                "cannot watch {} again; looking every {} ms until it can",
                self.dir.display(),
                FALLBACK_POLL.as_millis()
            );
        }
        false
    }
}

/// Whether an event of the directory's contents may be a ring: a change of the beacon itself
/// (not a mere read of it), or events the OS dropped (its queue overflowed while this process
/// was stalled: notify reports that with the rescan flag and no path), which may have held one.
fn rings(event: &notify::Event, beacon_name: Option<&std::ffi::OsStr>) -> bool {
    if event.need_rescan() || event.paths.is_empty() {
        return true;
    }
    !matches!(event.kind, EventKind::Access(_))
        && event.paths.iter().any(|p| p.file_name() == beacon_name)
}

/// Whether `event` says the directory itself went away or came back (removed, renamed, made):
/// not a change of its contents, which Windows also reports on the directory's own path.
fn replaced(event: &notify::Event, dir: &Path) -> bool {
    matches!(
        event.kind,
        EventKind::Remove(_)
            | EventKind::Create(_)
            | EventKind::Modify(notify::event::ModifyKind::Name(_))
    ) && event.paths.iter().any(|p| p == dir)
}

/// Windows reports nothing about a watched directory's own rename (its handle follows it), so
/// there the data dir is watched too, for what happens to the beacons' directory by name.
/// inotify and FSEvents report it themselves; the data dir's own traffic (every commit writes
/// the WAL) then wakes no one.
fn watch_parent(_watcher: &mut RecommendedWatcher, _dir: &Path) {
    #[cfg(windows)]
    if let Some(parent) = _dir.parent()
        && let Err(e) = _watcher.watch(parent, RecursiveMode::NonRecursive)
    {
        tracing::debug!("cannot watch {}: {e}", parent.display());
    }
}

/// Looks at `beacon` every [`FALLBACK_POLL`] and tries `watch` each time; once that gives a
/// follower, the thread keeps it (it follows from then on) and only waits for the end. A look
/// calls `on_change` only when the beacon's stamp moved, or is too recent to tell a later ring
/// from it: calling it at every look made the tray rebuild its menu twice a second.
fn poll(
    beacon: PathBuf,
    on_change: impl Fn() + Send + 'static,
    watch: impl Fn() -> Option<Follower> + Send + 'static,
) -> (Sender<()>, Arc<AtomicBool>) {
    let (alive, ended) = std::sync::mpsc::channel::<()>();
    let watching = Arc::new(AtomicBool::new(false));
    let flag = watching.clone();
    let spawned = std::thread::Builder::new().name("store-poll".into()).spawn(move || {
        // None at first: the first look tells the caller to read, as a ring would.
        let mut seen: Option<Option<Stamp>> = None;
        while let Err(RecvTimeoutError::Timeout) = ended.recv_timeout(FALLBACK_POLL) {
            // The time first: a ring between reading the stamp and the time could otherwise
            // share a stamp taken for settled.
            let at = std::time::SystemTime::now();
            let now = stamp(&beacon);
            let moved = seen != Some(now);
            // A ring makes the beacon: one that is not there has not moved.
            if moved || now.is_some_and(|s| s.unsettled(at)) {
                on_change();
            }
            seen = Some(now);
            if let Some(follower) = watch() {
                tracing::info!("the store is watched for changes now; no more looking");
                flag.store(true, Ordering::Release);
                // Until the follower is dropped (its sender with it).
                let _ = ended.recv();
                drop(follower);
                return;
            }
        }
    });
    if let Err(e) = spawned {
        tracing::error!("cannot follow the store at all: {e}");
    }
    (alive, watching)
}

#[cfg(test)]
mod tests {
    use super::*;
    use notify::event::{AccessKind, Flag, MetadataKind, ModifyKind};

    #[test]
    fn a_change_of_the_beacon_or_a_lost_queue_rings_a_read_or_another_file_does_not() {
        let name = Some(std::ffi::OsStr::new("beacon"));
        let at =
            |kind, file: &str| notify::Event::new(kind).add_path(PathBuf::from("/d").join(file));
        let touched = EventKind::Modify(ModifyKind::Metadata(MetadataKind::Any));
        assert!(rings(&at(touched, "beacon"), name));
        assert!(!rings(&at(touched, "beacon.123.4"), name), "another file of the directory");
        assert!(!rings(&at(EventKind::Access(AccessKind::Any), "beacon"), name), "a read");
        // A queue overflow: whatever it dropped may have been a ring.
        let overflow = notify::Event::new(EventKind::Other).set_flag(Flag::Rescan);
        assert!(rings(&overflow, name), "events the OS dropped were taken for none");
    }
}
