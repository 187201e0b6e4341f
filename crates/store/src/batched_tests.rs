//! Deletes of many entries (a history delete, retention, a feed removed with its history) go in
//! transactions of at most `DELETE_BATCH` entries, so that another process's writer (the
//! resident's) waits at most one batch. Counted by the commits of the store's own connection:
//! SQLite calls the WAL hook once for each.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::history::{DELETE_BATCH, HistoryQuery, Scope};
use crate::{FeedSpec, Incoming, Rendered, Store};

struct Db {
    _dir: tempfile::TempDir,
    store: Store,
}

fn db() -> Db {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&Store::path_in(dir.path())).unwrap();
    Db { _dir: dir, store }
}

fn feed(db: &mut Db, name: &str) -> String {
    let spec = FeedSpec {
        name: name.into(),
        url: format!("http://127.0.0.1/{name}"),
        ..FeedSpec::default()
    };
    db.store.add_feed(&spec).unwrap().id
}

/// `count` entries of `size` bytes of data each, committed 500 at a time.
fn fill(db: &mut Db, feed: &str, count: usize, size: usize) {
    let events: Vec<Incoming> = (0..count)
        .map(|i| {
            let text = format!("{i:0>size$}");
            Incoming {
                feed_id: feed.into(),
                resume_position: String::new(),
                event_id: None,
                event_type: "message".into(),
                data: text.clone(),
                kept: Some(Rendered {
                    title: String::new(),
                    body: text,
                    link: None,
                    priority: None,
                }),
                received_at: i64::try_from(i).unwrap(),
            }
        })
        .collect();
    for chunk in events.chunks(500) {
        db.store.accept_batch(chunk).unwrap();
    }
}

/// How many transactions `change` committed.
fn commits(db: &mut Db, change: impl FnOnce(&mut Store)) -> usize {
    let count = Arc::new(AtomicUsize::new(0));
    let counter = count.clone();
    db.store
        .conn
        .wal_hook(Some(move |_: &mut rusqlite::hooks::Wal, _: i32| {
            counter.fetch_add(1, Ordering::Relaxed);
            Ok(())
        }))
        .unwrap();
    change(&mut db.store);
    db.store
        .conn
        .wal_hook(None::<fn(&mut rusqlite::hooks::Wal, i32) -> rusqlite::Result<()>>)
        .unwrap();
    count.load(Ordering::Relaxed)
}

fn left(db: &Db, feed: &str) -> Vec<String> {
    let query =
        HistoryQuery { feed_id: Some(feed.into()), limit: 100_000, ..HistoryQuery::default() };
    db.store.history(&query).unwrap().into_iter().map(|e| e.data).collect()
}

const MANY: usize = 2 * DELETE_BATCH + 5;

#[test]
fn retention_by_count_deletes_in_batches_and_keeps_the_newest() {
    let mut db = db();
    let (a, b) = (feed(&mut db, "a"), feed(&mut db, "b"));
    fill(&mut db, &a, MANY + 3, 1);
    fill(&mut db, &b, 2, 1);
    let mut deleted = 0;
    let transactions = commits(&mut db, |store| {
        deleted = store.apply_retention(Some(3), None, None).unwrap();
    });
    assert_eq!(deleted, MANY);
    assert_eq!(transactions, 3, "{MANY} entries in batches of {DELETE_BATCH}");
    let newest: Vec<String> = (MANY..MANY + 3).rev().map(|i| format!("{i}")).collect();
    assert_eq!(left(&db, &a), newest);
    assert_eq!(left(&db, &b).len(), 2, "another feed's entries went");
}

#[test]
fn retention_by_size_and_by_age_delete_in_batches() {
    let mut db = db();
    let a = feed(&mut db, "a");
    fill(&mut db, &a, MANY + 3, 8);
    // Each entry weighs its data and its body: 16 bytes, so 48 keep the newest three.
    let transactions = commits(&mut db, |store| {
        assert_eq!(store.apply_retention(None, Some(48), None).unwrap(), MANY);
    });
    assert_eq!(transactions, 3);
    assert_eq!(left(&db, &a).len(), 3);

    let b = feed(&mut db, "b");
    fill(&mut db, &b, MANY, 1);
    // Received at 0, 1, ...: everything before MANY - 1 is older than the cutoff; a's newest
    // three were received at MANY.. and stay.
    let cutoff = i64::try_from(MANY - 1).unwrap();
    let transactions = commits(&mut db, |store| {
        assert_eq!(store.apply_retention(None, None, Some(cutoff)).unwrap(), MANY - 1);
    });
    assert_eq!(transactions, 3);
    assert_eq!(left(&db, &b), [format!("{}", MANY - 1)]);
    assert_eq!(left(&db, &a).len(), 3);
}

#[test]
fn a_feed_removed_with_its_history_goes_in_batches_and_whole() {
    let mut db = db();
    let (a, b) = (feed(&mut db, "a"), feed(&mut db, "b"));
    fill(&mut db, &a, MANY, 1);
    fill(&mut db, &b, 2, 1);
    let transactions = commits(&mut db, |store| store.remove_feed(&a, false).unwrap());
    // Switched off, three batches, the feed's row with the rest.
    assert_eq!(transactions, 5);
    assert!(left(&db, &a).is_empty());
    assert_eq!(left(&db, &b).len(), 2);
    assert!(db.store.feeds().unwrap().iter().all(|f| f.id != a));
    let all = HistoryQuery { limit: 100_000, ..HistoryQuery::default() };
    assert_eq!(db.store.history(&all).unwrap().len(), 2);
    assert!(matches!(db.store.delete_history(&Scope::Feed(a)), Ok(0)));
}

#[test]
fn batches_are_bounded_by_the_text_they_delete_too() {
    let mut db = db();
    let (a, b) = (feed(&mut db, "a"), feed(&mut db, "b"));
    // 120,000 bytes each (data and body): 34 fit in a batch's bytes.
    fill(&mut db, &a, 60, 60_000);
    fill(&mut db, &b, 1, 1);
    let transactions = commits(&mut db, |store| {
        assert_eq!(store.delete_history(&Scope::Feed(a.clone())).unwrap(), 60);
    });
    assert_eq!(transactions, 2, "60 entries of 120,000 bytes in batches of at most 4 MiB");
    assert!(left(&db, &a).is_empty());
    assert_eq!(left(&db, &b).len(), 1);
}

#[test]
fn entries_stored_while_a_delete_runs_stay() {
    let mut db = db();
    let a = feed(&mut db, "a");
    fill(&mut db, &a, MANY, 1);
    // Another connection stores an entry of the same feed after each of the delete's commits,
    // as a resident would while a window deletes the feed's history.
    let other = rusqlite::Connection::open(Store::path_in(db._dir.path())).unwrap();
    let other = std::sync::Mutex::new(other);
    let stored = Arc::new(AtomicUsize::new(0));
    let counter = stored.clone();
    let feed_id = a.clone();
    db.store
        .conn
        .wal_hook(Some(move |_: &mut rusqlite::hooks::Wal, _: i32| {
            let n = counter.fetch_add(1, Ordering::Relaxed);
            if n < 2 {
                other
                    .lock()
                    .unwrap()
                    .execute(
                        "INSERT INTO history (feed_id, type, data, title, body, received_at, size)
                         VALUES (?1, 'message', ?2, '', '', 0, 5)",
                        rusqlite::params![feed_id, format!("new {n}")],
                    )
                    .unwrap();
            }
            Ok(())
        }))
        .unwrap();
    assert_eq!(db.store.delete_history(&Scope::Feed(a.clone())).unwrap(), MANY);
    assert_eq!(stored.load(Ordering::Relaxed), 3, "three batches");
    assert_eq!(left(&db, &a), ["new 1", "new 0"]);
}

/// A removal stopped half way (the process killed between batches) leaves the feed there,
/// switched off, with the rest of its history: removing it again finishes. It left a feed
/// marked removed that no command could name any more, with its entries still shown.
#[test]
fn a_removal_stopped_half_way_is_finished_by_removing_again() {
    let mut db = db();
    let a = feed(&mut db, "a");
    fill(&mut db, &a, 30, 1);
    // What a removal stopped after its first batch leaves.
    db.store.set_enabled(&a, false).unwrap();
    db.store.delete_batched("feed_id = ?1 AND id <= ?2", &[&a, &10]).unwrap();
    let still = db.store.feeds().unwrap();
    assert!(still.iter().any(|f| f.id == a && !f.spec.enabled), "the feed, off, can be named");
    assert_eq!(left(&db, &a).len(), 20);
    db.store.remove_feed(&a, false).unwrap();
    assert!(left(&db, &a).is_empty());
    assert!(db.store.feeds().unwrap().is_empty());
}
