//! A writer killed in the middle of a burst (SIGKILL on Unix, TerminateProcess on Windows: what
//! `Child::kill` does on each): after reopening, every event it reported accepted is there
//! exactly once, and the resume position names the last event that was committed (so resuming
//! from it neither skips nor repeats).

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use herald_store::{HistoryQuery, Store};

#[test]
fn a_writer_killed_mid_burst_loses_nothing_reported_and_repeats_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = Store::path_in(dir.path());
    let writer = crate::example("crash_writer");
    let mut child = Command::new(writer).arg(&path).stdout(Stdio::piped()).spawn().unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let feed = lines.next().unwrap().unwrap().strip_prefix("feed ").unwrap().to_owned();
    let mut reported = 0u64;
    for line in lines.by_ref() {
        reported = line.unwrap().strip_prefix("accepted ").unwrap().parse().unwrap();
        if reported >= 2_000 {
            break;
        }
    }
    // Killed while it keeps writing: somewhere inside a transaction, or between two.
    child.kill().unwrap();
    child.wait().unwrap();

    let store = Store::open(&path).unwrap();
    let position: u64 = store.resume_state(&feed).unwrap().position.parse().unwrap();
    assert!(
        position >= reported,
        "reported {reported} accepted, but the store resumes at {position}"
    );
    let entries = store.history(&HistoryQuery { limit: 10_000, ..Default::default() }).unwrap();
    let mut ids: Vec<u64> =
        entries.iter().map(|e| e.event_id.as_deref().unwrap().parse().unwrap()).collect();
    ids.sort_unstable();
    let expected: Vec<u64> = (0..=position).collect();
    assert_eq!(
        ids, expected,
        "every committed event exactly once, and nothing past the resume position"
    );
}
