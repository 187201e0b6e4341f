//! Feed definitions.

use herald_store::{Filters, StoreError};

use crate::{TestDb, kept, spec};

#[test]
fn names_are_unique_without_regard_to_case() {
    let mut db = TestDb::new();
    db.feed("Deploys");
    let err = db.store.add_feed(&spec("deploys")).unwrap_err();
    assert!(matches!(err, StoreError::DuplicateName(_)), "{err:?}");
    assert_eq!(err.to_string(), "a feed named \"deploys\" already exists");
}

#[test]
fn find_by_id_or_name_and_everything_round_trips() {
    let mut db = TestDb::new();
    let mut full = spec("Full");
    full.headers = vec![("X-Team".into(), "ops".into())];
    full.filters = Filters {
        include_types: vec!["deploy".into()],
        min_priority: Some(3),
        ..Default::default()
    };
    full.title_template = Some("{{ json.title }}".into());
    full.idle_timeout_s = Some(90);
    full.tuning.coalesce_count = Some(20);
    full.tuning.silence_alert_s = Some(3600);
    let added = db.store.add_feed(&full).unwrap();
    assert_eq!(db.store.find_feed("full").unwrap(), added);
    assert_eq!(db.store.find_feed(&added.id).unwrap().spec, full);
    db.reopen();
    assert_eq!(db.store.feed(&added.id).unwrap().spec, full, "survives a reopen");
    assert!(matches!(db.store.find_feed("nope"), Err(StoreError::UnknownFeed(_))));
}

#[test]
fn edit_enable_disable() {
    let mut db = TestDb::new();
    let id = db.feed("a");
    let mut changed = spec("b");
    changed.url = "http://127.0.0.1/new".into();
    db.store.update_feed(&id, &changed).unwrap();
    db.store.set_enabled(&id, false).unwrap();
    let feed = db.store.find_feed("b").unwrap();
    assert_eq!(feed.spec.url, "http://127.0.0.1/new");
    assert!(!feed.spec.enabled);
    db.feed("c");
    let err = db.store.update_feed(&id, &spec("C")).unwrap_err();
    assert!(matches!(err, StoreError::DuplicateName(_)), "renaming onto another name fails");
}

#[test]
fn removing_takes_the_history_unless_asked_to_keep_it() {
    let mut db = TestDb::new();
    let (a, b) = (db.feed("a"), db.feed("b"));
    db.store.accept(&kept(&a, "1", None, "from a")).unwrap();
    db.store.accept(&kept(&b, "1", None, "from b")).unwrap();
    db.store.remove_feed(&a, false).unwrap();
    db.store.remove_feed(&b, true).unwrap();
    let left =
        db.store.history(&herald_store::HistoryQuery { limit: 10, ..Default::default() }).unwrap();
    assert_eq!(left.len(), 1);
    assert_eq!((left[0].feed.as_str(), left[0].data.as_str()), ("b", "from b"));
    assert!(db.store.feeds().unwrap().is_empty());
    // The kept history's old name is free for a new feed, and search still finds the old text.
    db.feed("b");
    let found = db.store.history(&herald_store::HistoryQuery {
        search: Some("from".into()),
        limit: 10,
        ..Default::default()
    });
    assert_eq!(found.unwrap().len(), 1);
}

#[test]
fn config_version_moves_on_feed_and_settings_changes_only() {
    let mut db = TestDb::new();
    let start = db.store.config_version().unwrap();
    let id = db.feed("a");
    let after_add = db.store.config_version().unwrap();
    assert!(after_add > start);
    db.store.accept(&kept(&id, "1", Some("1"), "x")).unwrap();
    assert_eq!(db.store.config_version().unwrap(), after_add, "events are not configuration");
    db.store.set_enabled(&id, false).unwrap();
    let after_disable = db.store.config_version().unwrap();
    assert!(after_disable > after_add);
    let mut settings = db.store.settings().unwrap();
    settings.do_not_disturb = true;
    db.store.set_settings(&settings).unwrap();
    assert!(db.store.config_version().unwrap() > after_disable);
}

#[test]
fn a_list_of_feeds_is_added_whole_or_not_at_all() {
    let mut db = TestDb::new();
    db.feed("Existing");
    let err = db.store.add_feeds(&[spec("A"), spec("B"), spec("existing")]).unwrap_err();
    assert!(matches!(err, StoreError::DuplicateName(ref n) if n == "existing"), "{err:?}");
    let names: Vec<String> = db.store.feeds().unwrap().into_iter().map(|f| f.spec.name).collect();
    assert_eq!(names, ["Existing"], "the feeds before the duplicate were rolled back");
    let added = db.store.add_feeds(&[spec("A"), spec("B")]).unwrap();
    assert_eq!(added.iter().map(|f| f.spec.name.as_str()).collect::<Vec<_>>(), ["A", "B"]);
    assert_eq!(db.store.feeds().unwrap().len(), 3);
}
