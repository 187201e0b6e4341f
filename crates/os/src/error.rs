use std::path::PathBuf;

/// What the OS refused, in words for the user.
#[derive(Debug, thiserror::Error)]
pub enum OsError {
    #[error("cannot use the data folder {path}: {source}")]
    DataDir { path: PathBuf, source: std::io::Error },
    #[error("cannot open the lock file {path}: {source}")]
    Lock { path: PathBuf, source: std::io::Error },
    #[error("cannot write logs to {path}: {source}")]
    Log { path: PathBuf, source: std::io::Error },
    #[error(
        "{program} is not installed next to this program ({detail}); reinstall Herald or set {env}"
    )]
    ProgramMissing { program: String, detail: String, env: &'static str },
    #[error("cannot start {path}: {source}")]
    Spawn { path: PathBuf, source: std::io::Error },
    /// Refused before or by the OS: a link that is not http(s), a folder that is not there, an
    /// autostart entry that cannot be written.
    #[error("{message}")]
    Refused { what: Refused, message: String },
}

/// What was refused, so a window can point at it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    Link,
    Folder,
    Autostart,
}
