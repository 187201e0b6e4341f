//! Opening the database: refuse what we cannot read (a newer schema, a damaged file) before
//! writing a single byte, then set the connection up and migrate.

use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

use crate::StoreError;

/// Each migration is applied once, in order, in one transaction; `user_version` counts them.
pub const MIGRATIONS: &[&str] = &[
    include_str!("migrations/001_initial.sql"),
    include_str!("migrations/002_bulk_fts.sql"),
    include_str!("migrations/003_engine.sql"),
    include_str!("migrations/004_requests.sql"),
    include_str!("migrations/005_fts_prefix.sql"),
    include_str!("migrations/006_sizes.sql"),
    include_str!("migrations/007_finished.sql"),
    include_str!("migrations/008_one_feed_index.sql"),
];

/// How long a connection waits for another one's lock before it says the store is busy.
const BUSY_WAIT: Duration = Duration::from_secs(5);

/// How often a waiting connection tries the lock again. SQLite's own handler tries every 100 ms
/// once it has waited a little: a long delete in batches, which lets go of the lock for a few
/// milliseconds between two, then kept a writer waiting up to 4.8 s of the 5; tried this often,
/// it gets in at the first gap.
const BUSY_STEP: Duration = Duration::from_millis(2);

/// SQLite's busy handler: called with the number of tries so far (0 when a wait starts, on the
/// thread that waits); true to try again. The wait is timed by the clock, not by counting tries,
/// which on a busy machine (each sleep longer than asked) stretched it past 5 s.
fn wait_for_the_lock(tries: i32) -> bool {
    thread_local! {
        static STARTED: std::cell::Cell<std::time::Instant> =
            std::cell::Cell::new(std::time::Instant::now());
    }
    let started = if tries == 0 {
        let now = std::time::Instant::now();
        STARTED.set(now);
        now
    } else {
        STARTED.get()
    };
    if started.elapsed() >= BUSY_WAIT {
        return false;
    }
    std::thread::sleep(BUSY_STEP);
    true
}

pub fn open(path: &Path) -> Result<Connection, StoreError> {
    let open_err = |detail: String| StoreError::Open { path: path.to_owned(), detail };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| open_err(e.to_string()))?;
    }
    let mut conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| open_err(e.to_string()))?;
    make_private(path);
    conn.busy_handler(Some(wait_for_the_lock)).map_err(|e| open_err(e.to_string()))?;

    // Reading the version is the first real read: a file that is not a database fails here,
    // before journal_mode=WAL would rewrite its header.
    let found: i64 =
        conn.query_row("PRAGMA user_version", [], |r| r.get(0)).map_err(|e| classify(path, e))?;
    let known = MIGRATIONS.len() as i64;
    if found > known {
        return Err(StoreError::NewerSchema { path: path.to_owned(), found, known });
    }
    // No integrity check here: `PRAGMA quick_check` reads every page of the file (4 s at
    // every start, and 2 s for every command, on a 490 MB file, mostly free pages after a big
    // delete). A page found damaged when it is read fails that read with its own words
    // (`StoreError::Damaged`).
    // Switching a new file to WAL and migrating it take locks that SQLite's busy handler does
    // not always wait for (it refuses at once where waiting could deadlock); when two processes
    // create the database together, the loser tries again shortly.
    let mut attempts = 0;
    loop {
        let setup = conn
            .execute_batch(
                "PRAGMA journal_mode = WAL;
                 PRAGMA synchronous = NORMAL;
                 PRAGMA foreign_keys = ON;",
            )
            .map_err(StoreError::from)
            .and_then(|()| migrate(&conn, found));
        match setup {
            Ok(()) => {
                crate::changes::ring_on_commit(&mut conn, path)
                    .map_err(|e| open_err(e.to_string()))?;
                return Ok(conn);
            }
            Err(StoreError::Busy) if attempts < 100 => {
                attempts += 1;
                std::thread::sleep(Duration::from_millis(20 + fastrand::u64(..30)));
            }
            Err(StoreError::Sqlite(detail)) => return Err(open_err(detail)),
            Err(other) => return Err(other),
        }
    }
}

/// Brings the schema up to date. Two processes may open a new database at the same moment (the
/// resident starting while `herald feeds add` runs): the write lock is taken first and the
/// version read again under it, so only one of them migrates and the other sees the result.
fn migrate(conn: &Connection, found: i64) -> Result<(), StoreError> {
    if found >= MIGRATIONS.len() as i64 {
        return Ok(());
    }
    conn.execute_batch("BEGIN IMMEDIATE")?;
    let applied = (|| {
        let current: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        for (index, sql) in MIGRATIONS.iter().enumerate().skip(current as usize) {
            conn.execute_batch(sql)?;
            conn.pragma_update(None, "user_version", index as i64 + 1)?;
        }
        Ok::<_, rusqlite::Error>(current)
    })();
    match applied {
        Ok(from) => {
            conn.execute_batch("COMMIT")?;
            for version in from + 1..=MIGRATIONS.len() as i64 {
                tracing::info!(version, "database migrated");
            }
            Ok(())
        }
        Err(e) => {
            let _ = conn.execute_batch("ROLLBACK");
            Err(e.into())
        }
    }
}

/// The history is everything every feed said: only its owner may read it. The data dir is
/// made private too (herald-api); this covers a database that an older Herald (or a umask of
/// 022) left readable. Done before WAL is switched on, because SQLite creates the `-wal` and
/// `-shm` files with the database's own mode; ones that already exist are fixed here as well.
/// A failure (a file of another user, a read-only disk) is logged, not fatal: the database
/// still works, and opening it is what the user asked for.
#[cfg(unix)]
fn make_private(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let mut wal = path.as_os_str().to_owned();
    wal.push("-wal");
    let mut shm = path.as_os_str().to_owned();
    shm.push("-shm");
    for file in [path.to_owned(), wal.into(), shm.into()] {
        let Ok(metadata) = std::fs::metadata(&file) else { continue };
        let mode = metadata.permissions().mode();
        if metadata.is_file() && mode & 0o077 != 0 {
            let private = std::fs::Permissions::from_mode(mode & 0o700);
            if let Err(err) = std::fs::set_permissions(&file, private) {
                tracing::warn!("cannot make {} private: {err}", file.display());
            }
        }
    }
}

#[cfg(not(unix))]
fn make_private(_path: &Path) {}

fn classify(path: &Path, err: rusqlite::Error) -> StoreError {
    use rusqlite::ErrorCode::*;
    match err.sqlite_error_code() {
        Some(NotADatabase | DatabaseCorrupt) => {
            StoreError::Corrupt { path: path.to_owned(), detail: err.to_string() }
        }
        _ => StoreError::Open { path: path.to_owned(), detail: err.to_string() },
    }
}
