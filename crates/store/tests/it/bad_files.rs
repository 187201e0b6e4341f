//! Files Herald cannot use are refused with a clear error and left exactly as they were.

use herald_store::{Store, StoreError};

use crate::{TestDb, kept, spec};

#[test]
fn a_database_from_a_newer_herald_is_refused_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = Store::path_in(dir.path());
    drop(Store::open(&path).unwrap());
    {
        let raw = rusqlite_raw(&path);
        raw.pragma_update(None, "user_version", 99).unwrap();
    }
    let before = std::fs::read(&path).unwrap();
    let err = Store::open(&path).unwrap_err();
    assert!(matches!(err, StoreError::NewerSchema { found: 99, .. }), "{err:?}");
    assert!(err.to_string().contains("newer version of Herald"), "{err}");
    assert_eq!(std::fs::read(&path).unwrap(), before, "the file must not change");
}

#[test]
fn a_file_that_is_not_a_database_is_refused_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = Store::path_in(dir.path());
    let garbage: Vec<u8> = (0..8192u32).map(|i| (i * 7919 % 251) as u8).collect();
    std::fs::write(&path, &garbage).unwrap();
    let err = Store::open(&path).unwrap_err();
    assert!(matches!(err, StoreError::Corrupt { .. }), "{err:?}");
    let words = err.to_string();
    assert!(words.contains(&path.display().to_string()) && words.contains("damaged"), "{words}");
    assert_eq!(std::fs::read(&path).unwrap(), garbage, "the file is kept as it was");
    assert!(!dir.path().join("herald.db-wal").exists());
}

#[test]
fn a_full_disk_is_reported_and_nothing_is_acknowledged() {
    let mut db = TestDb::new();
    let feed = db.feed("burst");
    // SQLite's own page limit gives the same SQLITE_FULL a full disk gives.
    db.store.limit_pages_for_tests(40);
    let big = "x".repeat(4000);
    let mut last_ok = None;
    let mut failure = None;
    for i in 0..200 {
        match db.store.accept(&kept(&feed, &i.to_string(), Some(&i.to_string()), &big)) {
            Ok(_) => last_ok = Some(i),
            Err(err) => {
                failure = Some((i, err));
                break;
            }
        }
    }
    let (failed_at, err) = failure.expect("the page limit must be reached");
    assert!(matches!(err, StoreError::DiskFull(_)), "{err:?}");
    assert!(err.to_string().starts_with("the disk is full"), "{err}");
    let last_ok = last_ok.expect("some events fit");
    assert_eq!(failed_at, last_ok + 1);
    // The failed event was not acknowledged: the resume position still names the last stored
    // one, so the server resends the rest after a reconnect.
    assert_eq!(db.store.resume_state(&feed).unwrap().position, last_ok.to_string());
    db.store.limit_pages_for_tests(1_000_000);
    db.store
        .accept(&kept(&feed, &failed_at.to_string(), Some(&failed_at.to_string()), "retry"))
        .unwrap();
    assert_eq!(db.store.resume_state(&feed).unwrap().position, failed_at.to_string());
}

#[test]
fn a_first_version_database_migrates_with_its_data() {
    // A frozen copy of the first schema with data in it, as an early user would have it.
    let dir = tempfile::tempdir().unwrap();
    let path = Store::path_in(dir.path());
    {
        let raw = rusqlite_raw(&path);
        raw.execute_batch(include_str!("../fixtures/schema-v1.sql")).unwrap();
    }
    let store = Store::open(&path).unwrap();
    let feed = store.find_feed("Old feed").unwrap();
    assert_eq!(feed.spec.url, "https://ntfy.example.org/alerts/sse");
    let history = store.history(&herald_store::HistoryQuery {
        search: Some("disk".into()),
        limit: 5,
        ..Default::default()
    });
    assert_eq!(history.unwrap().len(), 1);
    assert_eq!(store.resume_state(&feed.id).unwrap().position, "m1");
    drop(store);
    let version: i64 =
        rusqlite_raw(&path).query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
    assert_eq!(version, herald_store::SCHEMA_VERSION);
}

fn rusqlite_raw(path: &std::path::Path) -> herald_store::RawConnection {
    herald_store::RawConnection::open(path).unwrap()
}

#[test]
fn processes_opening_a_new_database_at_once_migrate_it_once() {
    // Threads stand in for the resident and the command line starting together; each opens its
    // own connection, as separate processes do.
    for _ in 0..20 {
        let dir = tempfile::tempdir().unwrap();
        let path = herald_store::Store::path_in(dir.path());
        let barrier = std::sync::Arc::new(std::sync::Barrier::new(4));
        let openers: Vec<_> = (0..4)
            .map(|_| {
                let (path, barrier) = (path.clone(), barrier.clone());
                std::thread::spawn(move || {
                    barrier.wait();
                    herald_store::Store::open(&path).map(|_| ())
                })
            })
            .collect();
        for opener in openers {
            opener.join().unwrap().expect("every opener succeeds");
        }
        assert_eq!(
            rusqlite_raw(&path)
                .query_row("PRAGMA user_version", [], |r| r.get::<_, i64>(0))
                .unwrap(),
            herald_store::SCHEMA_VERSION
        );
    }
}

#[cfg(unix)]
#[test]
fn the_database_and_its_wal_files_are_made_private_on_open() {
    use std::os::unix::fs::PermissionsExt;
    let db = TestDb::new();
    let path = Store::path_in(db.dir.path());
    let files = ["herald.db", "herald.db-wal", "herald.db-shm"].map(|f| db.dir.path().join(f));
    // As an older Herald under umask 022 left them (the first connection stays open, so the
    // WAL files are still there).
    for file in &files {
        std::fs::set_permissions(file, std::fs::Permissions::from_mode(0o644)).unwrap();
    }
    let _second = Store::open(&path).unwrap();
    for file in &files {
        let mode = std::fs::metadata(file).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{}", file.display());
    }
}

/// Only checked settings are written, but a row edited by hand may hold anything: a setting
/// that does not read falls back to its default and the feed says which (it does not run,
/// change or export until that setting is given again), and every other feed still reads.
#[test]
fn a_setting_edited_by_hand_into_nonsense_stops_only_its_feed() {
    let mut db = TestDb::new();
    let mut ntfy = spec("ntfy");
    ntfy.resume = "query:since".parse().unwrap();
    ntfy.id_source = "json:/id".parse().unwrap();
    ntfy.auth = "header:X-Key".parse().unwrap();
    let id = db.store.add_feed(&ntfy).unwrap().id;
    let (numbers, json, live) = (db.feed("Numbers"), db.feed("Json"), db.feed("Live"));
    let (ranges, finished) = (db.feed("Ranges"), db.feed("Finished"));
    db.feed("Fine");
    let raw = rusqlite_raw(db.store.path());
    let edit = |sql: &str, id: &str| raw.execute(sql, [id]).unwrap();
    edit("UPDATE feeds SET resume = 'cookie', auth = 'magic' WHERE id = ?1", &id);
    edit("UPDATE feeds SET idle_timeout_s = -5 WHERE id = ?1", &numbers);
    edit("UPDATE feeds SET filters = 'not json' WHERE id = ?1", &json);
    edit(
        "UPDATE feeds SET filters = '{\"min_priority\": 9}', enabled = X'01' WHERE id = ?1",
        &ranges,
    );
    edit(
        "UPDATE resume_state SET finished_at = 'x', accepted = X'00' WHERE feed_id = ?1",
        &finished,
    );
    edit(
        "INSERT INTO live_state (feed_id, state, detail, updated_at) VALUES (?1, X'00', 'x', 0)",
        &live,
    );
    raw.execute("INSERT OR REPLACE INTO settings (key, value) VALUES ('settings', X'00ff')", [])
        .unwrap();

    let read = db.store.feed(&id).unwrap().spec;
    assert_eq!(read.resume, herald_model::Resume::default(), "the bad one is the default");
    assert_eq!(read.id_source, ntfy.id_source, "the good ones are kept");
    let settings = |id: &str| -> Vec<&str> {
        db.store.feed(id).unwrap().spec.unreadable.iter().map(|u| u.setting.name()).collect()
    };
    assert_eq!(settings(&id), ["auth", "resume"], "every one that did not read");
    assert_eq!(settings(&numbers), ["idle_timeout_s"]);
    assert_eq!(settings(&json), ["filters"]);
    assert!(settings(&live).is_empty(), "a live state that does not read is no state");
    assert_eq!(settings(&ranges), ["enabled", "filters"], "by the rules, not only the type");
    let resume = db.store.resume_state(&finished).expect("a resume state still reads");
    assert_eq!(resume.finished_at, Some(0), "a finished time that does not read is finished");
    let statuses = db.store.feed_statuses().expect("every feed still reads");
    assert_eq!(statuses.len(), 7);
    let broken = statuses.iter().find(|s| s.feed.id == id).unwrap();
    assert_eq!(broken.state(), herald_model::Phase::Stopped);
    assert!(
        broken.state_detail().contains("its stored auth does not read"),
        "{}",
        broken.state_detail()
    );
    assert_eq!(db.store.settings().unwrap(), herald_store::Settings::default(), "settings too");

    // Saved again, it reads clean.
    db.store.update_feed(&id, &read_again(&db, &id)).unwrap();
    assert!(db.store.feed(&id).unwrap().spec.unreadable.is_empty());
}

fn read_again(db: &TestDb, id: &str) -> herald_store::FeedSpec {
    db.store.feed(id).unwrap().spec
}

#[test]
fn a_database_whose_sizes_migration_had_no_size_index_keeps_an_index_on_the_feed() {
    // Migration 006 gained its index on (feed, id, size) after it first shipped: a database
    // made in between has only the one on (feed, id), which the next migration drops.
    let dir = tempfile::tempdir().unwrap();
    let path = Store::path_in(dir.path());
    drop(Store::open(&path).unwrap());
    {
        let raw = rusqlite_raw(&path);
        raw.execute_batch(
            "DROP INDEX history_size;
             CREATE INDEX history_feed ON history(feed_id, id);
             PRAGMA user_version = 7;",
        )
        .unwrap();
    }
    drop(Store::open(&path).unwrap());
    let plan: Vec<String> = rusqlite_raw(&path)
        .prepare("EXPLAIN QUERY PLAN SELECT max(id) FROM history WHERE feed_id = 'a'")
        .unwrap()
        .query_map([], |r| r.get::<_, String>(3))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert!(
        plan.iter().any(|step| step.contains("INDEX history_size")),
        "a feed's entries are found without an index: {plan:?}"
    );
}

/// A database whose pages are damaged inside is not read whole at every open (that read every
/// page of the file: seconds for each command on a big one); the damaged page is reported, in
/// words, when it is read, and the store stays usable for what is intact.
#[test]
fn a_damaged_page_is_reported_in_words_when_it_is_read() {
    let mut db = TestDb::new();
    let feed = db.feed("x");
    let events: Vec<_> = (0..2000).map(|i| kept(&feed, "", None, &format!("row {i}"))).collect();
    for chunk in events.chunks(500) {
        db.store.accept_batch(chunk).unwrap();
    }
    let path = Store::path_in(db.dir.path());
    let (root, page): (i64, i64) = {
        let raw = rusqlite_raw(&path);
        raw.execute_batch("PRAGMA wal_checkpoint(TRUNCATE)").unwrap();
        let root = raw
            .query_row("SELECT rootpage FROM sqlite_master WHERE name = 'history'", [], |r| {
                r.get(0)
            })
            .unwrap();
        (root, raw.query_row("PRAGMA page_size", [], |r| r.get(0)).unwrap())
    };
    drop(std::mem::replace(&mut db.store, Store::open(&path).unwrap()));
    let mut bytes = std::fs::read(&path).unwrap();
    let at = usize::try_from((root - 1) * page).unwrap();
    bytes[at..at + 64].fill(0xA5);
    std::fs::write(&path, &bytes).unwrap();

    let store = Store::open(&path).expect("a damaged page is not read at open");
    let query = herald_store::HistoryQuery { limit: 10, ..Default::default() };
    let err = store.history(&query).unwrap_err();
    assert!(matches!(err, StoreError::Damaged(_)), "{err:?}");
    assert!(err.to_string().contains("damaged"), "{err}");
    assert_eq!(store.feeds().unwrap().len(), 1, "what is intact still reads");
}

/// A write waits up to 5 s, by the clock, for another process's lock, then says the store is
/// busy in words. (Counted in tries of 2 ms, the wait ran 5.3 s and more on a busy machine.)
#[test]
fn a_write_waits_five_seconds_for_another_process_s_lock_then_says_busy() {
    let mut db = TestDb::new();
    let raw = rusqlite_raw(&Store::path_in(db.dir.path()));
    raw.execute_batch("BEGIN IMMEDIATE").unwrap();
    let started = std::time::Instant::now();
    let err = db.store.add_feed(&spec("x")).unwrap_err();
    let waited = started.elapsed();
    assert!(matches!(err, StoreError::Busy), "{err:?}");
    assert!(err.to_string().contains("busy"), "{err}");
    assert!(
        waited >= std::time::Duration::from_secs(5)
            && waited < std::time::Duration::from_millis(5200),
        "waited {waited:?}"
    );
    raw.execute_batch("COMMIT").unwrap();
    db.store.add_feed(&spec("x")).expect("the lock is free again");
}
