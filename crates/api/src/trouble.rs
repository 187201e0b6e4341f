//! The resident's trouble with the store (a full disk, a database another program keeps
//! locked), for every process to see: `status`, `feeds list`, the tray and the windows. It
//! cannot go into the database, which is what refuses writes, nor into a new file, which a full
//! disk refuses too: the resident allocates a small file when it starts and overwrites it in
//! place, which needs no new space.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::PathBuf;
use std::sync::Mutex;

use herald_model::Phase;
use herald_store::{FeedStatus, LiveState};

use herald_os::{DataDir, InstanceLock};

/// The file's size: the words of one error, with room to spare.
const SIZE: usize = 4096;

fn path(data_dir: &DataDir) -> PathBuf {
    data_dir.path().join("resident.trouble")
}

/// The resident's side: written when the trouble starts and when it ends.
#[derive(Debug)]
pub struct TroubleFile {
    file: Mutex<File>,
    /// Rung after each change, so that open windows show it without polling.
    beacon: PathBuf,
}

impl TroubleFile {
    /// Allocates the file (with no trouble in it) while the disk still has room.
    pub fn create(data_dir: &DataDir) -> std::io::Result<Self> {
        let mut file = herald_os::private_file()
            .create(true)
            .truncate(false)
            .read(true)
            .write(true)
            .open(path(data_dir))?;
        herald_os::make_private(&file);
        file.write_all(&[b' '; SIZE])?;
        // On disk (not only in the page cache), so that overwriting it later needs no new
        // space. Off the start: under heavy writeback an fsync can take seconds.
        if let Ok(copy) = file.try_clone() {
            let _ = std::thread::Builder::new()
                .name("trouble-file".into())
                .spawn(move || copy.sync_all());
        }
        let beacon = herald_store::changes::beacon_path(
            &herald_store::Store::path_in(data_dir.path()),
            herald_store::changes::Beacon::Any,
        );
        Ok(Self { file: Mutex::new(file), beacon })
    }

    /// Says `words`, or that all is well again. Failing to say it is only logged: the trouble
    /// it reports is already in the log.
    pub fn set(&self, words: Option<&str>) {
        let mut page = [b' '; SIZE];
        let words = words.unwrap_or("").as_bytes();
        let n = words.len().min(SIZE);
        // Cut at a character boundary so that readers never see half a character.
        let n = (0..=n).rev().find(|&i| std::str::from_utf8(&words[..i]).is_ok()).unwrap_or(0);
        page[..n].copy_from_slice(&words[..n]);
        let Ok(mut file) = self.file.lock() else { return };
        let written = file.seek(SeekFrom::Start(0)).and_then(|_| file.write_all(&page));
        if let Err(e) = written {
            tracing::debug!("cannot record the store's trouble for other windows: {e}");
        }
        drop(file);
        herald_store::changes::ring(&self.beacon);
    }
}

/// The running resident's trouble, if it has any (a file left by a resident that is gone
/// says nothing).
pub fn read(data_dir: &DataDir) -> Option<String> {
    resident_runs(data_dir).then(|| read_file(data_dir)).flatten()
}

fn read_file(data_dir: &DataDir) -> Option<String> {
    let mut text = String::new();
    File::open(path(data_dir)).ok()?.take(SIZE as u64).read_to_string(&mut text).ok()?;
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_owned())
}

/// Every feed's status. While the resident runs, its trouble is in each enabled feed's words (a
/// feed whose events cannot be stored is not simply "live"). Without it, what it last wrote of a
/// connection (live, connecting, retrying) is history, not the feed's state; a stop (credentials
/// refused) or a finish still holds.
pub(crate) fn feed_statuses(
    data_dir: &DataDir,
    store: &herald_store::Store,
) -> Result<Vec<FeedStatus>, crate::ApiError> {
    let mut statuses = store.feed_statuses()?;
    if resident_runs(data_dir) {
        if let Some(trouble) = read_file(data_dir) {
            mark(&mut statuses, &trouble);
        }
    } else {
        for live in statuses.iter_mut().filter_map(|s| s.live.as_mut()) {
            if matches!(live.state, Phase::Live | Phase::Connecting | Phase::Retrying) {
                live.state = Phase::Connecting;
                live.detail = "waiting for the Herald resident to connect".into();
                live.next_retry_at = None;
            }
        }
    }
    Ok(statuses)
}

fn resident_runs(data_dir: &DataDir) -> bool {
    matches!(InstanceLock::holder(&data_dir.resident_lock_path()), Ok(Some(_)))
}

fn mark(statuses: &mut [FeedStatus], trouble: &str) {
    for status in statuses.iter_mut().filter(|s| s.feed.spec.enabled) {
        let detail = status.state_detail();
        let live = status.live.get_or_insert_with(|| LiveState {
            state: Phase::Connecting,
            detail: String::new(),
            next_retry_at: None,
            last_error: None,
            updated_at: 0,
        });
        live.detail = format!("{detail}; but events cannot be stored: {trouble}");
        live.last_error = Some(format!("events cannot be stored: {trouble}"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_trouble_is_overwritten_in_place_and_cleared() {
        let dir = tempfile::tempdir().unwrap();
        let data_dir = DataDir::create(dir.path().to_owned()).unwrap();
        let file = TroubleFile::create(&data_dir).unwrap();
        let size = std::fs::metadata(path(&data_dir)).unwrap().len();
        file.set(Some("database or disk is full"));
        // No resident holds the lock here, so `read` stays silent; the bytes are there.
        assert_eq!(read(&data_dir), None);
        let text = std::fs::read_to_string(path(&data_dir)).unwrap();
        assert_eq!(text.trim(), "database or disk is full");
        file.set(Some(&"é".repeat(SIZE)));
        file.set(None);
        assert_eq!(std::fs::read_to_string(path(&data_dir)).unwrap().trim(), "");
        assert_eq!(std::fs::metadata(path(&data_dir)).unwrap().len(), size, "never grows");
    }
}
