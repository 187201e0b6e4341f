use std::path::{Path, PathBuf};

use crate::OsError;

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
    pub fn resolve(explicit: Option<PathBuf>) -> Result<Self, OsError> {
        let is_default = explicit.is_none();
        let mut dir = Self::create(explicit.unwrap_or_else(default_path))?;
        dir.is_default = is_default;
        Ok(dir)
    }

    pub fn create(path: PathBuf) -> Result<Self, OsError> {
        create_private_dir(&path)
            .map_err(|source| OsError::DataDir { path: path.clone(), source })?;
        // An absolute path, so a child process started from another cwd finds the same folder.
        let path = std::path::absolute(&path)
            .map_err(|source| OsError::DataDir { path: path.clone(), source })?;
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

/// Creates `dir` (and its missing parents) and makes it private to its owner on Unix: it holds
/// the history, which is everything every feed said, and the logs. A dir from an older Herald
/// (0755 under the usual umask) is tightened too. Only `dir` itself is changed, never a parent
/// such as `~/.local/share`; a sticky dir (`/tmp` given as the data dir) is shared by design and
/// left alone.
pub fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
        if let Some(parent) = dir.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent)?;
        }
        // Created 0700 at once, so it is never readable by others, even for a moment.
        match std::fs::DirBuilder::new().mode(0o700).create(dir) {
            Err(err) if err.kind() != std::io::ErrorKind::AlreadyExists => return Err(err),
            _ => {}
        }
        let metadata = std::fs::metadata(dir)?;
        if !metadata.is_dir() {
            return Err(std::io::Error::new(std::io::ErrorKind::NotADirectory, "not a directory"));
        }
        let mode = metadata.permissions().mode();
        const STICKY: u32 = 0o1000;
        if mode & 0o077 != 0 && mode & STICKY == 0 {
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(mode & 0o700))?;
        }
        Ok(())
    }
    #[cfg(not(unix))]
    std::fs::create_dir_all(dir)
}

/// Options that create a file readable by its owner only (Unix), as everything in the data
/// dir should be; [`make_private`] tightens one an older Herald left readable.
pub fn private_file() -> std::fs::OpenOptions {
    #[cfg_attr(not(unix), allow(unused_mut))]
    let mut options = std::fs::OpenOptions::new();
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options
}

/// Takes the group's and others' permissions off an open file (Unix); failing is harmless
/// (the data dir itself is private).
pub fn make_private(file: &std::fs::File) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if let Ok(metadata) = file.metadata()
            && metadata.permissions().mode() & 0o077 != 0
        {
            let mode = metadata.permissions().mode() & 0o700;
            let _ = file.set_permissions(std::fs::Permissions::from_mode(mode));
        }
    }
    #[cfg(not(unix))]
    let _ = file;
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

    /// Windows' own folders (Wine's under `make test`): the data in the roaming app data, the
    /// logs in the local one, as Windows apps keep them.
    #[cfg(windows)]
    #[test]
    fn on_windows_the_data_roams_and_the_logs_stay_local() {
        let roaming = std::path::PathBuf::from(std::env::var_os("APPDATA").expect("APPDATA"));
        let local =
            std::path::PathBuf::from(std::env::var_os("LOCALAPPDATA").expect("LOCALAPPDATA"));
        assert_eq!(default_path(), roaming.join("herald"));
        assert_eq!(platform_log_dir(), Some(local.join("herald").join("logs")));
    }

    #[cfg(unix)]
    #[test]
    fn the_data_dir_is_private_and_its_parents_are_left_alone() {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o7777;
        let tmp = tempfile::tempdir().unwrap();
        let parent = tmp.path().join("share");
        std::fs::create_dir(&parent).unwrap();
        std::fs::set_permissions(&parent, std::fs::Permissions::from_mode(0o755)).unwrap();
        let dir = DataDir::resolve(Some(parent.join("herald"))).unwrap();
        assert_eq!(mode(dir.path()), 0o700);
        assert_eq!(mode(&parent), 0o755, "a parent is not the data dir");

        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        DataDir::resolve(Some(dir.path().to_owned())).unwrap();
        assert_eq!(mode(dir.path()), 0o700, "an older data dir is tightened");

        let shared = tmp.path().join("shared");
        std::fs::create_dir(&shared).unwrap();
        std::fs::set_permissions(&shared, std::fs::Permissions::from_mode(0o1777)).unwrap();
        DataDir::resolve(Some(shared.clone())).unwrap();
        assert_eq!(mode(&shared), 0o1777, "a sticky dir such as /tmp is shared by design");
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
