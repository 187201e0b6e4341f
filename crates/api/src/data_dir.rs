use std::path::{Path, PathBuf};

use crate::ApiError;

/// Where one Herald installation keeps its database, locks and logs. Every command and both
/// binaries take it from `--data-dir`, then `HERALD_DATA_DIR`, then the platform's app data dir,
/// so tests and a second profile never touch the user's real data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataDir {
    path: PathBuf,
    /// Chosen by the platform default rather than by the user: only then do logs go to the
    /// platform's log folder; an explicit data dir (a test, a second profile) keeps its logs inside.
    is_default: bool,
}

pub const ENV_VAR: &str = "HERALD_DATA_DIR";

impl DataDir {
    /// Resolves the data dir from an explicit choice (the flag or the environment variable, which
    /// clap has already merged) or the platform default, and creates it.
    pub fn resolve(explicit: Option<PathBuf>) -> Result<Self, ApiError> {
        let is_default = explicit.is_none();
        let mut dir = Self::create(explicit.unwrap_or_else(default_path))?;
        dir.is_default = is_default;
        Ok(dir)
    }

    pub fn create(path: PathBuf) -> Result<Self, ApiError> {
        std::fs::create_dir_all(&path)
            .map_err(|source| ApiError::DataDir { path: path.clone(), source })?;
        // An absolute path, so a child process started from another cwd finds the same folder.
        let path = std::path::absolute(&path)
            .map_err(|source| ApiError::DataDir { path: path.clone(), source })?;
        Ok(Self { path, is_default: false })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Whether this is the platform's default data dir (not chosen with a flag or variable).
    pub fn is_default(&self) -> bool {
        self.is_default
    }

    /// Where the daily-rotated log files go: the platform's log folder for the default profile,
    /// or `logs/` inside an explicit data dir.
    pub fn log_dir(&self) -> PathBuf {
        match (self.is_default, platform_log_dir()) {
            (true, Some(dir)) => dir,
            _ => self.path.join("logs"),
        }
    }

    pub fn resident_lock_path(&self) -> PathBuf {
        self.path.join("resident.lock")
    }

    pub fn ui_lock_path(&self) -> PathBuf {
        self.path.join("ui.lock")
    }
}

fn default_path() -> PathBuf {
    // dirs::data_dir is ~/.local/share on Linux, ~/Library/Application Support on macOS and
    // %APPDATA% on Windows; a machine without a home directory still gets a usable relative dir.
    dirs::data_dir().unwrap_or_else(|| PathBuf::from(".")).join("herald")
}

fn platform_log_dir() -> Option<PathBuf> {
    if cfg!(target_os = "macos") {
        Some(dirs::home_dir()?.join("Library/Logs/Herald"))
    } else if cfg!(windows) {
        Some(dirs::data_local_dir()?.join("herald").join("logs"))
    } else {
        // XDG puts logs under the state dir (~/.local/state), not beside the data.
        Some(dirs::state_dir()?.join("herald"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn explicit_dir_is_created_and_made_absolute() {
        let tmp = tempfile::tempdir().unwrap();
        let wanted = tmp.path().join("a/b");
        let dir = DataDir::resolve(Some(wanted.clone())).unwrap();
        assert!(wanted.is_dir(), "the data dir must be created on first use");
        assert!(dir.path().is_absolute());
        assert_eq!(dir.resident_lock_path(), wanted.join("resident.lock"));
        assert_eq!(dir.log_dir(), wanted.join("logs"), "an explicit data dir keeps its logs");
    }

    #[test]
    fn a_file_in_the_way_is_a_clear_error() {
        let tmp = tempfile::tempdir().unwrap();
        let file = tmp.path().join("taken");
        std::fs::write(&file, b"x").unwrap();
        let err = DataDir::resolve(Some(file.join("sub"))).unwrap_err();
        assert!(err.to_string().contains("cannot use the data folder"), "{err}");
    }
}
