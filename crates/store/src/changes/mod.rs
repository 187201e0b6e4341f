//! How the processes sharing the store hear about each other's writes without polling.
//!
//! Every connection [`Store::open`](crate::Store::open) makes rings a *beacon* after each of its
//! commits: it renames a fresh empty file over `herald.db-changes/beacon`, in a directory of its
//! own next to the database (so that the database's own writes wake no follower). On Linux,
//! once the beacon exists, a ring only sets its modification time, which inotify reports just as
//! well. A process that wants to follow the store watches that directory with the OS's file
//! notifications (inotify, FSEvents, ReadDirectoryChangesW, through the `notify` crate) and
//! re-reads what it shows when the beacon moves. A rename is the one file operation all three
//! report at once and reliably (Windows reports plain writes to a file that stays open late),
//! and the commit hook runs after SQLite released the write lock, so whoever reads on the
//! signal sees the commit.
//!
//! A second beacon, in `herald.db-config-changes`, rings only after commits of what a person
//! changes: feeds, settings or requests to the resident (whatever moved `config_version`), and
//! which events are read or kept (history rows updated or deleted; the resident's retention
//! deletes too, now and then, which costs a look). The engine follows that one, so the events
//! its own writer commits do not wake it; the tray follows it too, so that an entry marked read
//! in a window shows in its unread count at once, not at the end of the gap it leaves between
//! rebuilds for events.
//!
//! Nothing here carries data: a signal only says "look again", so signals that merge, or one
//! from a process's own commit, cost a cheap re-check (`data_version`, `config_version`).

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// SQLite's own automatic checkpoint threshold, which a WAL hook replaces.
const CHECKPOINT_PAGES: i32 = 1000;

/// Which commits a beacon announces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Beacon {
    /// Every commit.
    Any,
    /// Commits of what a person changes: feeds, settings, requests to the resident (whatever
    /// moved `config_version`), read marks and deleted history (also by retention). Never an
    /// event's commit.
    Config,
}

/// The file whose renames announce commits. Each beacon has a directory of its own: a watch
/// reports every file of its directory, so a follower of `config` sharing one with the beacon
/// every commit rings would wake for each commit only to find it is not its own.
pub fn beacon_path(db: &Path, which: Beacon) -> PathBuf {
    let mut name = db.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    name.push(match which {
        Beacon::Any => "-changes",
        Beacon::Config => "-config-changes",
    });
    db.with_file_name(name).join("beacon")
}

/// What a beacon looks like at a moment: any ring changes it (its modification time; where a
/// ring renames a new file over it, the file too). Reading it is one metadata call, where
/// asking the database whether `config_version` moved makes SQLite re-read the pages another
/// process changed: a follower that wakes for every commit asks this instead. Two rings within
/// the file system's clock tick (a few milliseconds) can look the same, so a stamp that did not
/// move is no proof that nothing was committed; one that moved says something was. (On Linux a
/// ring sets the time to the nanosecond, so on a file system that keeps nanoseconds two rings
/// look the same only if they came in the same one; one that keeps whole seconds still merges
/// the rings of a second.)
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stamp {
    modified: Option<std::time::SystemTime>,
    file: u64,
}

/// The stamp of `beacon`; None while it does not exist.
pub fn stamp(beacon: &Path) -> Option<Stamp> {
    let meta = std::fs::symlink_metadata(beacon).ok()?;
    #[cfg(unix)]
    let file = std::os::unix::fs::MetadataExt::ino(&meta);
    #[cfg(not(unix))]
    let file = 0;
    Some(Stamp { modified: meta.modified().ok(), file })
}

/// Rings this long before a look can share the stamp it saw: file systems that keep whole
/// seconds (or two, FAT's) merge the rings of a second.
const STAMP_TICK: std::time::Duration = std::time::Duration::from_secs(2);

impl Stamp {
    /// Whether a ring after `self` was seen could still show the same stamp, as of `now`: its
    /// time is within the file system's tick of now (or not known). Until it settles, a
    /// follower that compares stamps must look anyway.
    pub fn unsettled(&self, now: std::time::SystemTime) -> bool {
        self.modified.is_none_or(|at| now.duration_since(at).map_or(true, |age| age < STAMP_TICK))
    }
}

/// Makes every commit on `conn` ring the beacons (and checkpoint the WAL as SQLite would).
pub(crate) fn ring_on_commit(conn: &mut rusqlite::Connection, db: &Path) -> rusqlite::Result<()> {
    let (any, config) = (beacon_path(db, Beacon::Any), beacon_path(db, Beacon::Config));
    ensure_dir_for(&any);
    // Set by a write to config_version (by the triggers on feeds, settings and requests), or
    // by a history row updated (its read mark) or deleted; an event's commit only inserts. A
    // rolled-back one only costs followers one needless look.
    let configured = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let written = configured.clone();
    conn.update_hook(Some(
        move |action: rusqlite::hooks::Action, _: &str, table: &str, _: i64| {
            use rusqlite::hooks::Action;
            if table == "config_version"
                || (table == "history"
                    && matches!(action, Action::SQLITE_UPDATE | Action::SQLITE_DELETE))
            {
                written.store(true, Ordering::Relaxed);
            }
        },
    ))?;
    conn.wal_hook(Some(move |wal: &mut rusqlite::hooks::Wal, pages: i32| {
        if pages >= CHECKPOINT_PAGES {
            // Passive, as SQLite's own: it never waits for readers, and a busy result is only
            // "later".
            let _ = wal.checkpoint();
        }
        // The configuration beacon first: whoever hears the other and then asks the config
        // stamp whether settings changed (the tray, when it looks) must find it moved.
        if configured.swap(false, Ordering::Relaxed) {
            ring(&config);
        }
        ring(&any);
        Ok(())
    }))
}

/// Announces a change: an empty file with a name no other ring uses, renamed over the beacon.
/// Where no new file can be made (a full disk: the very trouble a follower must hear of), the
/// beacon's modification time moves instead, which needs no space. On Linux the modification
/// time is all a ring does once the beacon exists (see [`touch`]).
pub fn ring(beacon: &Path) {
    ensure_dir_for(beacon);
    #[cfg(target_os = "linux")]
    if touch(beacon).is_ok() {
        return;
    }
    static RINGS: AtomicU64 = AtomicU64::new(0);
    let mut name = beacon.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    name.push(format!(".{}.{}", std::process::id(), RINGS.fetch_add(1, Ordering::Relaxed)));
    let fresh = beacon.with_file_name(name);
    let renamed = std::fs::File::create(&fresh).and_then(|_| std::fs::rename(&fresh, beacon));
    if let Err(e) = renamed {
        let _ = std::fs::remove_file(&fresh);
        let touched = std::fs::OpenOptions::new()
            .write(true)
            .open(beacon)
            .and_then(|f| f.set_modified(std::time::SystemTime::now()));
        if let Err(touch) = touched {
            // Followers find out at their next signal; the commit itself stands. Said once
            // per process: every commit would say it again.
            static SAID: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
            if !SAID.swap(true, Ordering::Relaxed) {
                tracing::warn!(
                    "cannot tell other Herald windows and the resident about a change ({e}; \
                     {touch}): they see it at the next change"
                );
            }
        }
    }
}

/// A new modification time, set by path: one system call and one inotify event (`IN_ATTRIB`),
/// reported at once to every follower. Making a file and renaming it over the beacon is three
/// system calls and five events for each follower to read, which was a good part of what a
/// busy resident spent on each commit. Fails (and the ring renames) where there is no beacon
/// yet, or where it is not ours to set a time on.
///
/// The time is the clock's own, to the nanosecond, not the file system's (`UTIME_NOW`), which
/// moves only at its tick of a few milliseconds: two rings within one tick would leave the
/// same [`Stamp`], and a change of settings right after a commit would look like no change.
#[cfg(target_os = "linux")]
fn touch(beacon: &Path) -> std::io::Result<()> {
    use rustix::fs::{AtFlags, CWD, Timestamps};
    let now = rustix::time::clock_gettime(rustix::time::ClockId::Realtime);
    let times = Timestamps { last_access: now, last_modification: now };
    // Not through a link: whatever a link in the beacon's place points to is not Herald's to
    // touch (the link itself is, and its change is reported just the same).
    rustix::fs::utimensat(CWD, beacon, &times, AtFlags::SYMLINK_NOFOLLOW)?;
    Ok(())
}

/// Makes the beacons' directory usable: made if missing, anything else in its place removed
/// (the name is Herald's: a file, or a link, which is never followed: a watch or a ring through
/// it would land in a directory that is not Herald's), and on Unix its owner's permissions
/// restored. Cheap when all is well: one metadata call.
pub(crate) fn ensure_dir_for(beacon: &Path) {
    let Some(dir) = beacon.parent() else { return };
    match std::fs::symlink_metadata(dir) {
        Ok(meta) if meta.is_dir() => {
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                if meta.permissions().mode() & 0o700 != 0o700 {
                    let _ = std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700));
                }
            }
            return;
        }
        // A file or a link (on Windows a link to a directory is removed as a directory).
        Ok(_) => {
            if std::fs::remove_file(dir).is_err() {
                let _ = std::fs::remove_dir(dir);
            }
        }
        Err(_) => {}
    }
    // Private, as the data directory it sits in: what a beacon's times tell (when feeds and
    // events change) is no one else's.
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    if let Err(e) = builder.create(dir) {
        tracing::debug!("cannot make {}: {e}", dir.display());
    }
}

mod follower;
pub use follower::{FALLBACK_POLL, Follower};
