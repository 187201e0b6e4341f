use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(
        "the database {path} was written by a newer version of Herald (schema {found}, this version \
         knows {known}); update Herald. The file was not changed."
    )]
    NewerSchema { path: PathBuf, found: i64, known: i64 },
    #[error(
        "the database {path} is damaged or is not a Herald database ({detail}); it was left as it is. \
         Move it aside to start afresh."
    )]
    Corrupt { path: PathBuf, detail: String },
    /// A page of a database that opened was found damaged when it was read.
    #[error(
        "the database is damaged ({0}); what can be read still is, but not all of it. Move the \
         file aside to start afresh (a copy keeps what it holds)."
    )]
    Damaged(String),
    #[error("cannot open the database {path}: {detail}")]
    Open { path: PathBuf, detail: String },
    #[error("the disk is full: {0}")]
    DiskFull(String),
    #[error("the database is read-only: {0}")]
    ReadOnly(String),
    #[error("a feed named {0:?} already exists")]
    DuplicateName(String),
    #[error("no feed {0:?}")]
    UnknownFeed(String),
    #[error("invalid {what}: {detail}")]
    Invalid { what: &'static str, detail: String },
    #[error("the database is busy (another program or Herald process is writing to it); try again")]
    Busy,
    #[error("database error: {0}")]
    Sqlite(String),
}

impl From<rusqlite::Error> for StoreError {
    fn from(err: rusqlite::Error) -> Self {
        use rusqlite::ErrorCode::*;
        match err.sqlite_error_code() {
            Some(DiskFull) => StoreError::DiskFull(err.to_string()),
            Some(ReadOnly) => StoreError::ReadOnly(err.to_string()),
            Some(DatabaseBusy | DatabaseLocked) => StoreError::Busy,
            Some(DatabaseCorrupt | NotADatabase) => StoreError::Damaged(err.to_string()),
            _ => StoreError::Sqlite(err.to_string()),
        }
    }
}

impl From<serde_json::Error> for StoreError {
    fn from(err: serde_json::Error) -> Self {
        StoreError::Invalid { what: "stored JSON", detail: err.to_string() }
    }
}
