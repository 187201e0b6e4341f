//! Accepting events: the resume position always moves, duplicates are judged by own id only.

use herald_store::{Accepted, HistoryQuery, Store};

use crate::{TestDb, kept};

#[test]
fn kept_events_are_stored_once_and_move_the_resume_position() {
    let mut db = TestDb::new();
    let feed = db.feed("ci");
    assert!(matches!(
        db.store.accept(&kept(&feed, "1", Some("1"), "a")).unwrap(),
        Accepted::Stored(_)
    ));
    assert_eq!(
        db.store.accept(&kept(&feed, "1", Some("1"), "a again")).unwrap(),
        Accepted::Duplicate
    );
    let resume = db.store.resume_state(&feed).unwrap();
    assert_eq!((resume.position.as_str(), resume.accepted, resume.duplicates), ("1", 1, 1));
    let all = db.store.history(&HistoryQuery { limit: 10, ..Default::default() }).unwrap();
    assert_eq!(all.len(), 1, "a duplicate writes no second row");
    assert_eq!(all[0].data, "a", "and does not overwrite the first");
}

#[test]
fn events_without_an_own_id_are_never_duplicates() {
    let mut db = TestDb::new();
    let feed = db.feed("ntfy");
    // After an `id:` line every later id-less event carries the same lastEventId; it must not
    // make them look like repeats.
    for text in ["a", "b", "c"] {
        assert!(matches!(
            db.store.accept(&kept(&feed, "7", None, text)).unwrap(),
            Accepted::Stored(_)
        ));
    }
    assert_eq!(
        db.store.history(&HistoryQuery { limit: 10, ..Default::default() }).unwrap().len(),
        3
    );
}

#[test]
fn the_same_own_id_on_two_feeds_is_two_events() {
    let mut db = TestDb::new();
    let (a, b) = (db.feed("a"), db.feed("b"));
    assert!(matches!(
        db.store.accept(&kept(&a, "1", Some("1"), "x")).unwrap(),
        Accepted::Stored(_)
    ));
    assert!(matches!(
        db.store.accept(&kept(&b, "1", Some("1"), "x")).unwrap(),
        Accepted::Stored(_)
    ));
}

#[test]
fn filtered_events_move_the_resume_position_and_store_nothing() {
    let mut db = TestDb::new();
    let feed = db.feed("wiki");
    let mut event = kept(&feed, "42", Some("42"), "bot edit");
    event.kept = None;
    assert_eq!(db.store.accept(&event).unwrap(), Accepted::Filtered);
    let resume = db.store.resume_state(&feed).unwrap();
    assert_eq!((resume.position.as_str(), resume.filtered), ("42", 1));
    assert!(
        db.store.history(&HistoryQuery { limit: 10, ..Default::default() }).unwrap().is_empty()
    );
}

#[test]
fn a_batch_is_all_or_nothing_and_keeps_order() {
    let mut db = TestDb::new();
    let feed = db.feed("burst");
    let batch: Vec<_> = (0..100)
        .map(|i| kept(&feed, &i.to_string(), Some(&i.to_string()), &format!("e{i}")))
        .collect();
    let outcomes = db.store.accept_batch(&batch).unwrap();
    assert!(outcomes.iter().all(|o| matches!(o, Accepted::Stored(_))));
    assert_eq!(db.store.resume_state(&feed).unwrap().position, "99");
    let newest = db.store.history(&HistoryQuery { limit: 1, ..Default::default() }).unwrap();
    assert_eq!(newest[0].data, "e99");
}

#[test]
fn events_of_a_removed_feed_are_skipped_not_failed() {
    let mut db = TestDb::new();
    let (gone, stays) = (db.feed("gone"), db.feed("stays"));
    db.store.remove_feed(&gone, false).unwrap();
    let outcomes = db
        .store
        .accept_batch(&[kept(&gone, "1", None, "x"), kept(&stays, "1", None, "y")])
        .unwrap();
    assert_eq!(outcomes[0], Accepted::FeedGone);
    assert!(matches!(outcomes[1], Accepted::Stored(_)));
}

#[test]
fn another_connection_sees_commits_through_data_version() {
    let mut db = TestDb::new();
    let feed = db.feed("watch");
    let other = herald_store::Store::open(db.store.path()).unwrap();
    let before = other.data_version().unwrap();
    db.store.accept(&kept(&feed, "1", None, "x")).unwrap();
    assert_ne!(
        other.data_version().unwrap(),
        before,
        "the windows notice the resident's writes this way"
    );
}

#[test]
fn writers_in_two_processes_wait_for_each_other_instead_of_failing() {
    // The resident's writer and another process (the UI marking read, a request to the
    // resident) write at the same time: every write must wait its turn, never fail as "busy".
    let mut db = TestDb::new();
    let feed = db.feed("a");
    let path = db.store.path().to_owned();
    let other = std::thread::spawn(move || {
        let mut store = herald_store::Store::open(&path).unwrap();
        for _ in 0..300 {
            store.request(&herald_store::ResidentRequest::Reconnect(feed_id_of(&store))).unwrap();
            store.take_requests().unwrap();
        }
    });
    for i in 0..300 {
        let event = crate::kept(&feed, &i.to_string(), Some(&i.to_string()), "x");
        db.store.accept_batch(&[event]).unwrap();
    }
    other.join().unwrap();
}

fn feed_id_of(store: &herald_store::Store) -> String {
    store.feeds().unwrap()[0].id.clone()
}

#[test]
fn an_events_commit_writes_only_the_pages_it_must() {
    // What a resident's every event costs on disk (and in cold caches): the row, the id
    // counter, the resume row and one page of each index that needs the event: duplicates
    // (feed, own id), unread, age, and the feed's ids with their sizes. A redundant index
    // showed here as an eighth page.
    let mut db = TestDb::new();
    let feed = db.feed("ci");
    let wal = Store::path_in(db.dir.path()).with_extension("db-wal");
    let wal_len = || std::fs::metadata(&wal).unwrap().len();
    db.store.accept(&kept(&feed, "1", Some("1"), "first")).unwrap();
    let page: u32 = herald_store::RawConnection::open(Store::path_in(db.dir.path()))
        .unwrap()
        .query_row("PRAGMA page_size", [], |r| r.get(0))
        .unwrap();
    let before = wal_len();
    db.store.accept(&kept(&feed, "2", Some("2"), "second")).unwrap();
    let frames = (wal_len() - before) / (u64::from(page) + 24);
    assert_eq!(frames, 7, "pages written by one event's commit");
}
