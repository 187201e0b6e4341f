//! History queries and changes.

use herald_store::{HIGHLIGHT_END, HIGHLIGHT_START, HistoryQuery, HistoryScope as Scope};

use crate::{TestDb, kept};

fn q(limit: usize) -> HistoryQuery {
    HistoryQuery { limit, ..Default::default() }
}

fn datas(entries: &[herald_store::Entry]) -> Vec<&str> {
    entries.iter().map(|e| e.data.as_str()).collect()
}

#[test]
fn newest_first_with_keyset_pages_and_filters() {
    let mut db = TestDb::new();
    let (a, b) = (db.feed("a"), db.feed("b"));
    for i in 0..5 {
        db.store.accept(&kept(&a, "", None, &format!("a{i}"))).unwrap();
        db.store.accept(&kept(&b, "", None, &format!("b{i}"))).unwrap();
    }
    let page1 = db.store.history(&q(3)).unwrap();
    assert_eq!(datas(&page1), ["b4", "a4", "b3"]);
    let page2 = db.store.history(&HistoryQuery { before_id: Some(page1[2].id), ..q(3) }).unwrap();
    assert_eq!(datas(&page2), ["a3", "b2", "a2"]);
    let only_a = db.store.history(&HistoryQuery { feed_id: Some(a.clone()), ..q(2) }).unwrap();
    assert_eq!(datas(&only_a), ["a4", "a3"]);
    db.store.set_read(&Scope::Feed(b.clone()), true).unwrap();
    let unread = db.store.history(&HistoryQuery { unread_only: true, ..q(100) }).unwrap();
    assert!(unread.iter().all(|e| e.feed_id == a) && unread.len() == 5);
}

#[test]
fn search_finds_words_and_prefixes_and_highlights_them() {
    let mut db = TestDb::new();
    let feed = db.feed("ci");
    db.store.accept(&kept(&feed, "", None, "deploy of api failed on step 3")).unwrap();
    db.store.accept(&kept(&feed, "", None, "deploy of web passed")).unwrap();
    db.store.accept(&kept(&feed, "", None, "Café menu <b>updated</b>")).unwrap();
    let hits =
        db.store.history(&HistoryQuery { search: Some("deploy fail".into()), ..q(10) }).unwrap();
    assert_eq!(datas(&hits), ["deploy of api failed on step 3"]);
    let snippet = hits[0].snippet.clone().unwrap();
    assert!(snippet.contains(&format!("{HIGHLIGHT_START}failed{HIGHLIGHT_END}")), "{snippet:?}");
    let cafe = db.store.history(&HistoryQuery { search: Some("cafe".into()), ..q(10) }).unwrap();
    assert_eq!(cafe.len(), 1, "diacritics do not matter");
    // Whatever a person types is not FTS syntax: quotes, operators and stars are just text.
    for odd in ["\"", "AND OR NOT", "*", "a:b", "(", "<b>"] {
        db.store.history(&HistoryQuery { search: Some(odd.into()), ..q(10) }).unwrap();
    }
    let newest_first =
        db.store.history(&HistoryQuery { search: Some("deploy".into()), ..q(10) }).unwrap();
    assert_eq!(datas(&newest_first), ["deploy of web passed", "deploy of api failed on step 3"]);
}

#[test]
fn read_flags_and_unread_counts() {
    let mut db = TestDb::new();
    let (a, b) = (db.feed("a"), db.feed("b"));
    for i in 0..3 {
        db.store.accept(&kept(&a, "", None, &format!("a{i}"))).unwrap();
    }
    db.store.accept(&kept(&b, "", None, "b0")).unwrap();
    let counts: std::collections::HashMap<_, _> =
        db.store.unread_counts().unwrap().into_iter().collect();
    assert_eq!(counts, [(a.clone(), 3), (b.clone(), 1)].into_iter().collect());
    let newest = db.store.history(&q(1)).unwrap()[0].id;
    assert_eq!(db.store.set_read(&Scope::One(newest), true).unwrap(), 1);
    assert_eq!(db.store.set_read(&Scope::Feed(a.clone()), true).unwrap(), 3);
    assert!(db.store.unread_counts().unwrap().is_empty());
    assert_eq!(db.store.set_read(&Scope::All, false).unwrap(), 4);
}

#[test]
fn deletes_remove_rows_and_their_search_index() {
    let mut db = TestDb::new();
    let (a, b) = (db.feed("a"), db.feed("b"));
    db.store.accept(&kept(&a, "", None, "needle one")).unwrap();
    db.store.accept(&kept(&b, "", None, "needle two")).unwrap();
    db.store.accept(&kept(&b, "", None, "needle three")).unwrap();
    let newest = db.store.history(&q(1)).unwrap()[0].id;
    assert_eq!(db.store.delete_history(&Scope::One(newest)).unwrap(), 1);
    assert_eq!(db.store.delete_history(&Scope::Feed(a)).unwrap(), 1);
    let found = db.store.history(&HistoryQuery { search: Some("needle".into()), ..q(10) }).unwrap();
    assert_eq!(datas(&found), ["needle two"]);
    assert_eq!(db.store.delete_history(&Scope::All).unwrap(), 1);
}

/// Deleting many entries goes in batches (each its own transaction, so that the resident's
/// writer is never kept from the store for long): every one goes, exactly a batch's worth or
/// not, and another feed's stay.
#[test]
fn big_deletes_remove_every_entry_of_their_scope_and_no_other() {
    let mut db = TestDb::new();
    let (a, b) = (db.feed("a"), db.feed("b"));
    let fill = |db: &mut TestDb, feed: &str, count: usize| {
        let events: Vec<_> =
            (0..count).map(|i| kept(feed, "", None, &format!("row {i}"))).collect();
        for chunk in events.chunks(500) {
            db.store.accept_batch(chunk).unwrap();
        }
    };
    fill(&mut db, &a, 25_001);
    fill(&mut db, &b, 3);
    fill(&mut db, &a, 4);
    assert_eq!(db.store.delete_history(&Scope::Feed(a.clone())).unwrap(), 25_005);
    let left = db.store.history(&q(100)).unwrap();
    assert_eq!(left.len(), 3, "entries of another feed went, or some of the feed's stayed");
    assert!(left.iter().all(|e| e.feed_id == b));
    fill(&mut db, &a, 19_997);
    assert_eq!(db.store.delete_history(&Scope::All).unwrap(), 20_000);
    assert!(db.store.history(&q(10)).unwrap().is_empty());
}

#[test]
fn retention_by_count_per_feed_and_by_age() {
    let mut db = TestDb::new();
    let (a, b) = (db.feed("a"), db.feed("b"));
    for i in 0..10 {
        let mut event = kept(&a, "", None, &format!("a{i}"));
        event.received_at = 1_000 * i;
        db.store.accept(&event).unwrap();
    }
    let mut old = kept(&b, "", None, "b-old");
    old.received_at = 0;
    db.store.accept(&old).unwrap();
    let mut new = kept(&b, "", None, "b-new");
    new.received_at = 9_500;
    db.store.accept(&new).unwrap();
    let deleted = db.store.apply_retention(Some(3), None, Some(500)).unwrap();
    let left = db.store.history(&q(100)).unwrap();
    assert_eq!(datas(&left), ["b-new", "a9", "a8", "a7"]);
    assert_eq!(deleted, 8);
}

#[test]
fn exports_see_every_entry_oldest_first() {
    let mut db = TestDb::new();
    let feed = db.feed("x");
    for i in 0..3 {
        db.store.accept(&kept(&feed, "", Some(&i.to_string()), &format!("e{i}"))).unwrap();
    }
    let mut seen = Vec::new();
    db.store
        .for_each_entry(|e| {
            seen.push(e.clone());
            Ok(())
        })
        .unwrap();
    assert_eq!(seen.len(), 3);
    assert_eq!(seen[0].data, "e0");
    assert_eq!(seen[0].event_id.as_deref(), Some("0"));
    assert_eq!(herald_store::rfc3339(seen[0].received_at), "2023-11-14T22:13:20.000Z");
    assert!(!seen[0].read);
}

#[test]
fn search_is_complete_across_deletes_and_new_rows() {
    // Rows are indexed in bulk up to a watermark; deleting the newest row and storing another
    // must not leave the new one unsearchable (its id must not be reused below the watermark).
    let mut db = TestDb::new();
    let feed = db.feed("f");
    db.store.accept(&kept(&feed, "", None, "alpha first")).unwrap();
    db.store.accept(&kept(&feed, "", None, "alpha second")).unwrap();
    assert_eq!(
        db.store.history(&HistoryQuery { search: Some("alpha".into()), ..q(10) }).unwrap().len(),
        2
    );
    let newest = db.store.history(&q(1)).unwrap()[0].id;
    db.store.delete_history(&Scope::One(newest)).unwrap();
    db.store.accept(&kept(&feed, "", None, "alpha third")).unwrap();
    let found = db.store.history(&HistoryQuery { search: Some("alpha".into()), ..q(10) }).unwrap();
    assert_eq!(datas(&found), ["alpha third", "alpha first"]);
    assert!(found[0].id > newest, "row ids are never reused");
    assert_eq!(db.store.index_pending().unwrap(), 0, "nothing left to index");
}

/// Index entries for `word`, read from the index itself (not joined to the rows): a row deleted
/// with other text than it was indexed with would leave entries behind.
fn index_hits(db: &TestDb, word: &str) -> i64 {
    let conn = rusqlite::Connection::open(herald_store::Store::path_in(db.dir.path())).unwrap();
    conn.query_row("SELECT count(*) FROM history_fts WHERE history_fts MATCH ?1", [word], |r| {
        r.get(0)
    })
    .unwrap()
}

#[test]
fn huge_data_is_searchable_by_its_start_and_leaves_nothing_behind_when_deleted() {
    let mut db = TestDb::new();
    let feed = db.feed("big");
    let data = format!("openingword {} trailingword", "filler ".repeat(20_000));
    let mut event = kept(&feed, "", None, &data);
    let rendered = event.kept.as_mut().unwrap();
    (rendered.title, rendered.body) = ("a title".into(), "a short body".into());
    db.store.accept(&event).unwrap();
    let search = |db: &TestDb, word: &str| {
        db.store.history(&HistoryQuery { search: Some(word.into()), ..q(10) }).unwrap().len()
    };
    assert_eq!(search(&db, "openingword"), 1);
    // Past the first 65,536 characters the data is kept whole but not indexed.
    assert_eq!(search(&db, "trailingword"), 0);
    assert_eq!(index_hits(&db, "openingword"), 1);
    db.store.delete_history(&Scope::All).unwrap();
    assert_eq!(index_hits(&db, "openingword"), 0);
    assert_eq!(index_hits(&db, "filler"), 0);
}

#[test]
fn retention_keeps_each_feed_within_its_byte_budget_and_always_its_newest_entry() {
    let mut db = TestDb::new();
    let (a, b) = (db.feed("a"), db.feed("b"));
    for i in 0..10 {
        db.store.accept(&kept(&a, "", None, &format!("{i}{}", "x".repeat(999)))).unwrap();
    }
    db.store.accept(&kept(&b, "", None, &"y".repeat(50_000))).unwrap();
    db.store.accept(&kept(&b, "", None, &"z".repeat(50_000))).unwrap();
    // A row of a weighs its data, its title ("title " + data) and its body (the data): 3,006
    // bytes, so 10,000 bytes keep the newest three.
    let deleted = db.store.apply_retention(None, Some(10_000), None).unwrap();
    let left = db.store.history(&q(100)).unwrap();
    let firsts: Vec<char> = left.iter().map(|e| e.data.chars().next().unwrap()).collect();
    assert_eq!(firsts, ['z', '9', '8', '7'], "b keeps only its newest, too large as it is");
    assert_eq!(deleted, 7 + 1);
    // The search index lost them too.
    let found = db.store.history(&HistoryQuery { search: Some("title".into()), ..q(100) }).unwrap();
    assert_eq!(found.len(), 4);
}
