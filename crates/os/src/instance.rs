use std::fs::{File, TryLockError};
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::OsError;

/// An OS file lock that makes a process the only one of its kind for a data dir: the only
/// resident (so two engines never subscribe to the same feeds) or the only UI.
///
/// The OS drops the lock when the process dies, however it dies, so a crash never leaves a
/// stale lock behind. The holder's pid is written to a side file because on Windows a locked
/// file cannot be read by others.
#[derive(Debug)]
pub struct InstanceLock {
    _file: File,
    pid_path: PathBuf,
}

#[derive(Debug)]
pub enum LockState {
    Acquired(InstanceLock),
    /// Another process holds it; its pid when it could be read.
    Held {
        pid: Option<u32>,
    },
}

impl InstanceLock {
    pub fn try_acquire(path: &Path) -> Result<LockState, OsError> {
        let lock_err = |source| OsError::Lock { path: path.to_owned(), source };
        let pid_path = pid_path(path);
        match try_lock(path)? {
            Some(file) => {
                let mut pid_file = crate::data_dir::private_file()
                    .create(true)
                    .truncate(true)
                    .write(true)
                    .open(&pid_path)
                    .map_err(lock_err)?;
                write!(pid_file, "{}", std::process::id()).map_err(lock_err)?;
                Ok(LockState::Acquired(InstanceLock { _file: file, pid_path }))
            }
            None => Ok(LockState::Held { pid: read_pid(&pid_path) }),
        }
    }

    /// Whether some process holds the lock right now (and its pid, when known). Only a probe:
    /// it never takes the lock for longer than the check, nor touches the holder's pid file.
    pub fn holder(path: &Path) -> Result<Option<Option<u32>>, OsError> {
        match try_lock(path)? {
            Some(_released_on_drop) => Ok(None),
            None => Ok(Some(read_pid(&pid_path(path)))),
        }
    }
}

/// The lock file, locked, or None when another process holds it.
fn try_lock(path: &Path) -> Result<Option<File>, OsError> {
    let lock_err = |source| OsError::Lock { path: path.to_owned(), source };
    let file = crate::data_dir::private_file()
        .create(true)
        .truncate(false)
        .read(true)
        .write(true)
        .open(path)
        .map_err(lock_err)?;
    crate::data_dir::make_private(&file);
    match file.try_lock() {
        Ok(()) => Ok(Some(file)),
        Err(TryLockError::WouldBlock) => Ok(None),
        Err(TryLockError::Error(source)) => Err(lock_err(source)),
    }
}

impl Drop for InstanceLock {
    fn drop(&mut self) {
        // Only tidiness: the lock itself is released by closing the file.
        let _ = std::fs::remove_file(&self.pid_path);
    }
}

fn pid_path(lock: &Path) -> PathBuf {
    let mut name = lock.file_name().unwrap_or_default().to_owned();
    name.push(".pid");
    lock.with_file_name(name)
}

fn read_pid(path: &Path) -> Option<u32> {
    std::fs::read_to_string(path).ok()?.trim().parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_acquire_sees_the_holder_until_it_is_dropped() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("resident.lock");
        let first = match InstanceLock::try_acquire(&path).unwrap() {
            LockState::Acquired(lock) => lock,
            LockState::Held { .. } => panic!("a fresh lock must be free"),
        };
        match InstanceLock::try_acquire(&path).unwrap() {
            LockState::Held { pid } => assert_eq!(pid, Some(std::process::id())),
            LockState::Acquired(_) => panic!("a held lock must not be granted twice"),
        }
        assert_eq!(InstanceLock::holder(&path).unwrap(), Some(Some(std::process::id())));
        assert!(pid_path(&path).is_file(), "probing must leave the holder's pid file alone");
        drop(first);
        assert_eq!(InstanceLock::holder(&path).unwrap(), None, "dropping releases the lock");
    }
}
