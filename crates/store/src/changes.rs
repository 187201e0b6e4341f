//! How the processes sharing the store hear about each other's writes without polling.
//!
//! Every connection [`Store::open`](crate::Store::open) makes rings a *beacon* after each of its
//! commits: it renames a fresh empty file over `herald.db-changes/beacon`, in a directory of its
//! own next to the database (so that the database's own writes wake no follower). A process
//! that wants to follow the store watches that directory with the OS's file notifications (inotify, FSEvents, ReadDirectoryChangesW, through the `notify` crate) and
//! re-reads what it shows when the beacon moves. A rename is the one file operation all three
//! report at once and reliably (Windows reports plain writes to a file that stays open late),
//! and the commit hook runs after SQLite released the write lock, so whoever reads on the
//! signal sees the commit.
//!
//! A second beacon, `config`, rings only after commits that changed feeds, settings or requests
//! to the resident (whatever moved `config_version`): the engine follows that one, so the
//! events its own writer commits do not wake it.
//!
//! Nothing here carries data: a signal only says "look again", so signals that merge, or one
//! from a process's own commit, cost a cheap re-check (`data_version`, `config_version`).

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use notify::{EventKind, RecursiveMode, Watcher};

/// SQLite's own automatic checkpoint threshold, which a WAL hook replaces.
const CHECKPOINT_PAGES: i32 = 1000;

/// How often a follower looks when the OS cannot watch files (no inotify instances left, say).
pub const FALLBACK_POLL: Duration = Duration::from_millis(500);

/// Which commits a beacon announces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Beacon {
    /// Every commit.
    Any,
    /// Commits that moved `config_version`: feeds, settings, requests to the resident.
    Config,
}

/// The file whose renames announce commits.
pub fn beacon_path(db: &Path, which: Beacon) -> PathBuf {
    let mut name = db.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    name.push("-changes");
    db.with_file_name(name).join(match which {
        Beacon::Any => "beacon",
        Beacon::Config => "config",
    })
}

/// Makes every commit on `conn` ring the beacons (and checkpoint the WAL as SQLite would).
pub(crate) fn ring_on_commit(conn: &mut rusqlite::Connection, db: &Path) -> rusqlite::Result<()> {
    let (any, config) = (beacon_path(db, Beacon::Any), beacon_path(db, Beacon::Config));
    if let Some(dir) = any.parent()
        && let Err(e) = std::fs::create_dir_all(dir)
    {
        tracing::debug!("cannot make {}: {e}", dir.display());
    }
    // Set by a write to config_version (by the triggers on feeds, settings and requests);
    // a rolled-back one only costs followers one needless look.
    let configured = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let written = configured.clone();
    conn.update_hook(Some(move |_: rusqlite::hooks::Action, _: &str, table: &str, _: i64| {
        if table == "config_version" {
            written.store(true, Ordering::Relaxed);
        }
    }))?;
    conn.wal_hook(Some(move |wal: &mut rusqlite::hooks::Wal, pages: i32| {
        if pages >= CHECKPOINT_PAGES {
            // Passive, as SQLite's own: it never waits for readers, and a busy result is only
            // "later".
            let _ = wal.checkpoint();
        }
        ring(&any);
        if configured.swap(false, Ordering::Relaxed) {
            ring(&config);
        }
        Ok(())
    }))
}

/// Announces a change: an empty file with a name no other ring uses, renamed over the beacon.
/// Where no new file can be made (a full disk: the very trouble a follower must hear of), the
/// beacon's modification time moves instead, which needs no space.
pub fn ring(beacon: &Path) {
    static RINGS: AtomicU64 = AtomicU64::new(0);
    let mut name = beacon.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    name.push(format!(".{}.{}", std::process::id(), RINGS.fetch_add(1, Ordering::Relaxed)));
    let fresh = beacon.with_file_name(name);
    let mut renamed = std::fs::File::create(&fresh);
    if renamed.is_err()
        && let Some(dir) = beacon.parent()
    {
        // Made by every follower and at every open; gone only if someone removed it.
        let _ = std::fs::create_dir_all(dir);
        renamed = std::fs::File::create(&fresh);
    }
    let renamed = renamed.and_then(|_| std::fs::rename(&fresh, beacon));
    if let Err(e) = renamed {
        let _ = std::fs::remove_file(&fresh);
        let touched = std::fs::OpenOptions::new()
            .write(true)
            .open(beacon)
            .and_then(|f| f.set_modified(std::time::SystemTime::now()));
        if let Err(touch) = touched {
            // Followers find out at their next signal; the commit itself stands.
            tracing::debug!("cannot announce a change: {e}; {touch}");
        }
    }
}

/// Follows the store at `db`: calls `on_change` (on a thread of its own) soon after any
/// connection, in this process or another, commits.
pub struct Follower {
    _watch: Watch,
}

// Each variant is held only for its drop: the watcher stops watching, the polling thread ends.
#[allow(dead_code)]
enum Watch {
    Os(notify::RecommendedWatcher),
    Poll(std::sync::mpsc::Sender<()>),
}

impl Follower {
    /// Watches the beacon `which`; where the OS refuses a watch, looks every
    /// [`FALLBACK_POLL`] instead (and says so in the log), so a follower always follows.
    pub fn start(
        db: &Path,
        which: Beacon,
        on_change: impl Fn() + Send + Sync + 'static,
    ) -> Follower {
        let beacon = beacon_path(db, which);
        let dir = beacon.parent().map(Path::to_owned).unwrap_or_else(|| PathBuf::from("."));
        if let Err(e) = std::fs::create_dir_all(&dir) {
            tracing::debug!("cannot make {}: {e}", dir.display());
        }
        let on_change = std::sync::Arc::new(on_change);
        let notify_change = on_change.clone();
        let name = beacon.file_name().map(|n| n.to_os_string());
        let handler = move |event: notify::Result<notify::Event>| match event {
            Ok(event)
                if !matches!(event.kind, EventKind::Access(_))
                    && event.paths.iter().any(|p| p.file_name() == name.as_deref()) =>
            {
                notify_change()
            }
            Ok(_) => {}
            // The OS dropped events (a queue overflow): something may have changed.
            Err(_) => notify_change(),
        };
        let watched = notify::recommended_watcher(handler)
            .and_then(|mut w| w.watch(&dir, RecursiveMode::NonRecursive).map(|()| w));
        match watched {
            Ok(watcher) => Follower { _watch: Watch::Os(watcher) },
            Err(e) => {
                tracing::warn!(
                    "cannot watch {} for changes ({e}); looking every {} ms instead",
                    dir.display(),
                    FALLBACK_POLL.as_millis()
                );
                Follower { _watch: Watch::Poll(poll(move || on_change())) }
            }
        }
    }

    /// Looks every [`FALLBACK_POLL`], without trying the OS's watch (for tests of the fallback).
    #[doc(hidden)]
    pub fn polling(on_change: impl Fn() + Send + Sync + 'static) -> Follower {
        Follower { _watch: Watch::Poll(poll(on_change)) }
    }
}

fn poll(on_change: impl Fn() + Send + 'static) -> std::sync::mpsc::Sender<()> {
    let (alive, ended) = std::sync::mpsc::channel::<()>();
    let spawned = std::thread::Builder::new().name("store-poll".into()).spawn(move || {
        while let Err(std::sync::mpsc::RecvTimeoutError::Timeout) =
            ended.recv_timeout(FALLBACK_POLL)
        {
            on_change();
        }
    });
    if let Err(e) = spawned {
        tracing::error!("cannot follow the store at all: {e}");
    }
    alive
}
