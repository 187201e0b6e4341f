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
];

pub fn open(path: &Path) -> Result<Connection, StoreError> {
    let open_err = |detail: String| StoreError::Open { path: path.to_owned(), detail };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| open_err(e.to_string()))?;
    }
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| open_err(e.to_string()))?;
    conn.busy_timeout(Duration::from_secs(5)).map_err(|e| open_err(e.to_string()))?;

    // Reading the version is the first real read: a file that is not a database fails here,
    // before journal_mode=WAL would rewrite its header.
    let found: i64 =
        conn.query_row("PRAGMA user_version", [], |r| r.get(0)).map_err(|e| classify(path, e))?;
    let known = MIGRATIONS.len() as i64;
    if found > known {
        return Err(StoreError::NewerSchema { path: path.to_owned(), found, known });
    }
    if found > 0 {
        let check: String = conn
            .query_row("PRAGMA quick_check(1)", [], |r| r.get(0))
            .map_err(|e| classify(path, e))?;
        if check != "ok" {
            return Err(StoreError::Corrupt { path: path.to_owned(), detail: check });
        }
    }
    conn.execute_batch(
        "PRAGMA journal_mode = WAL;
         PRAGMA synchronous = NORMAL;
         PRAGMA foreign_keys = ON;",
    )
    .map_err(|e| classify(path, e))?;
    migrate(&conn, found).map_err(|e| match e {
        StoreError::Sqlite(detail) => open_err(detail),
        other => other,
    })?;
    Ok(conn)
}

fn migrate(conn: &Connection, from: i64) -> Result<(), StoreError> {
    for (index, sql) in MIGRATIONS.iter().enumerate().skip(from as usize) {
        let version = index as i64 + 1;
        let tx = conn.unchecked_transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", version)?;
        tx.commit()?;
        tracing::info!(version, "database migrated");
    }
    Ok(())
}

fn classify(path: &Path, err: rusqlite::Error) -> StoreError {
    use rusqlite::ErrorCode::*;
    match err.sqlite_error_code() {
        Some(NotADatabase | DatabaseCorrupt) => {
            StoreError::Corrupt { path: path.to_owned(), detail: err.to_string() }
        }
        _ => StoreError::Open { path: path.to_owned(), detail: err.to_string() },
    }
}
