//! The form's logic over a real store; secrets go to an in-memory stand-in for the keyring (the
//! real keyring behind the same calls is tested end to end, through the window).

use std::collections::HashMap;
use std::sync::Mutex;

use herald_secrets::{SecretError, SecretStore, Sensitive};
use herald_store::Store;

use super::*;
use crate::Field;

#[derive(Default)]
struct Secrets(Mutex<HashMap<String, String>>);

impl SecretStore for Secrets {
    fn get(&self, feed_id: &str) -> Result<Option<Sensitive<String>>, SecretError> {
        Ok(self.0.lock().unwrap().get(feed_id).cloned().map(Sensitive::new))
    }
    fn set(&self, feed_id: &str, secret: &Sensitive<String>) -> Result<(), SecretError> {
        self.0.lock().unwrap().insert(feed_id.into(), secret.expose().clone());
        Ok(())
    }
    fn delete(&self, feed_id: &str) -> Result<(), SecretError> {
        self.0.lock().unwrap().remove(feed_id);
        Ok(())
    }
}

fn store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&Store::path_in(dir.path())).unwrap();
    (dir, store)
}

fn form(url: &str) -> FeedForm {
    FeedForm { url: url.into(), name: "Deploys".into(), enabled: true, ..FeedForm::default() }
}

#[test]
fn a_new_feed_with_a_secret_stores_it_in_the_keyring_only_and_edits_keep_it() {
    let (_dir, mut store) = store();
    let secrets = Secrets::default();
    let mut new = form("https://ci.example.com/events");
    new.auth = "bearer".parse().unwrap();
    new.headers = vec!["X-Team: ops".into(), "  ".into()];
    let err = save(&mut store, &secrets, None, &new, None).unwrap_err();
    assert!(err.to_string().contains("secret"), "{err}");

    let view = save(&mut store, &secrets, None, &new, Some(Sensitive::new("t0k".into()))).unwrap();
    assert_eq!(
        (view.name.as_str(), &view.auth, view.enabled),
        ("Deploys", &AuthKind::Bearer, true)
    );
    assert_eq!(secrets.get(&view.id).unwrap().unwrap().expose(), "t0k");
    let stored = super::form(&store, Some(&view.id)).unwrap();
    assert_eq!(stored.headers, vec!["X-Team: ops"]);

    // An edit that keeps the kind keeps the secret; an empty secret field means "unchanged".
    let mut edit = stored.clone();
    edit.title_template = "{{ json.title }}".into();
    save(&mut store, &secrets, Some(&view.id), &edit, Some(Sensitive::new(String::new()))).unwrap();
    assert_eq!(secrets.get(&view.id).unwrap().unwrap().expose(), "t0k");
    assert_eq!(
        store.feed(&view.id).unwrap().spec.title_template.as_deref(),
        Some("{{ json.title }}")
    );

    // A new kind needs its secret; `none` removes it.
    edit.auth = "header:X-Api-Key".parse().unwrap();
    assert!(save(&mut store, &secrets, Some(&view.id), &edit, None).is_err());
    assert_eq!(store.feed(&view.id).unwrap().spec.auth, AuthKind::Bearer, "nothing half-changed");
    edit.auth = "none".parse().unwrap();
    save(&mut store, &secrets, Some(&view.id), &edit, None).unwrap();
    assert!(secrets.get(&view.id).unwrap().is_none());

    // Clearing a template in the form clears it in the feed.
    edit.title_template = String::new();
    save(&mut store, &secrets, Some(&view.id), &edit, None).unwrap();
    assert_eq!(store.feed(&view.id).unwrap().spec.title_template, None);

    crate::credentials::remove(&mut store, &secrets, &view.id, false).unwrap();
    assert!(store.feeds().unwrap().is_empty());
}

#[test]
fn bad_fields_are_named_so_the_form_can_point_at_them() {
    let (_dir, mut store) = store();
    let cases = [
        (form("ftp://example.com/"), Field::Url),
        (FeedForm { title_template: "{{ x".into(), ..form("https://h/a") }, Field::TitleTemplate),
        (FeedForm { headers: vec!["no colon".into()], ..form("https://h/a") }, Field::Header),
        // What the window builds from its parts is held to the rules of the settings' text.
        (
            FeedForm { auth: AuthKind::Header("bad name".into()), ..form("https://h/a") },
            Field::Auth,
        ),
        (FeedForm { auth: AuthKind::Query(String::new()), ..form("https://h/a") }, Field::Auth),
        (FeedForm { resume: Resume::Query(String::new()), ..form("https://h/a") }, Field::Resume),
        (
            FeedForm { id_source: IdSource::Json("id".into()), ..form("https://h/a") },
            Field::IdSource,
        ),
        (
            FeedForm { conditions: vec!["priority = 5".into()], ..form("https://h/a") },
            Field::Condition,
        ),
        (FeedForm { idle_timeout_s: Some(1), ..form("https://h/a") }, Field::IdleTimeout),
    ];
    for (bad, field) in cases {
        match save(&mut store, &Secrets::default(), None, &bad, None) {
            Err(ApiError::Invalid { field: got, .. }) => assert_eq!(got, field),
            other => panic!("{field:?}: {other:?}"),
        }
    }
    assert!(store.feeds().unwrap().is_empty());
}

#[test]
fn the_preview_renders_a_sample_then_the_latest_event_and_reports_template_errors() {
    let (_dir, mut store) = store();
    let mut ntfy = form("https://ntfy.example.com/deploys/sse");
    ntfy.preset = "ntfy".parse().unwrap();
    ntfy.title_template = "[{{ json.topic }}] {{ json.title }}".into();
    let sample = preview(&store, None, &ntfy);
    assert_eq!(sample.source, "a sample event");
    assert_eq!(sample.title, "[deploys] Deploy finished");
    assert_eq!(sample.error, None);

    let broken =
        preview(&store, None, &FeedForm { body_template: "{% if %}".into(), ..ntfy.clone() });
    assert!(broken.error.unwrap().contains("body"));
    assert!(!broken.body.is_empty(), "the preset's body stands in");

    let feed = save(&mut store, &Secrets::default(), None, &ntfy, None).unwrap();
    let event = herald_store::Incoming {
        feed_id: feed.id.clone(),
        resume_position: "m1".into(),
        event_id: Some("m1".into()),
        event_type: "message".into(),
        data: r#"{"topic":"live","title":"Real one"}"#.into(),
        kept: Some(herald_store::Rendered {
            title: "t".into(),
            body: "b".into(),
            link: None,
            priority: None,
        }),
        received_at: 1,
    };
    store.accept(&event).unwrap();
    let latest = preview(&store, Some(&feed.id), &ntfy);
    assert_eq!(
        (latest.source.as_str(), latest.title.as_str()),
        ("the latest event", "[live] Real one")
    );
}

#[test]
fn the_preview_says_when_a_template_does_too_much_work() {
    let hostile =
        "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}x";
    let form = FeedForm { body_template: hostile.into(), ..form("https://ci.example/sse") };
    // On a thread, so that losing the limit fails the test instead of hanging the suite.
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let (_dir, store) = store();
        let _ = tx.send(preview(&store, None, &form));
    });
    let shown = rx.recv_timeout(std::time::Duration::from_secs(120)).expect("not cut off");
    let error = shown.error.unwrap();
    assert!(error.starts_with("the body template does too much work"), "{error}");
    assert!(!shown.body.is_empty() && shown.body != "x", "the preset's body stands in");
}

#[test]
fn an_export_imports_into_another_store_without_secrets() {
    let (_dir, mut store) = store();
    let secrets = Secrets::default();
    let mut feed = form("https://ci.example.com/events");
    feed.auth = "bearer".parse().unwrap();
    save(&mut store, &secrets, None, &feed, Some(Sensitive::new("very-secret".into()))).unwrap();
    let text = crate::feed_file::export(&store).unwrap();
    assert!(!text.contains("very-secret"));

    let (_other_dir, mut other) = self::store();
    assert_eq!(crate::feed_file::import(&mut other, &text, "feeds.json").unwrap(), 1);
    assert_eq!(other.feeds().unwrap()[0].spec.auth, AuthKind::Bearer);
    let again = crate::feed_file::import(&mut other, &text, "feeds.json").unwrap_err();
    assert!(again.to_string().contains("Deploys"), "{again}");
    let junk = crate::feed_file::import(&mut other, "{", "feeds.json").unwrap_err();
    assert!(junk.to_string().contains("feeds.json is not a Herald feed export"), "{junk}");
}

#[test]
fn choosing_a_preset_in_the_form_brings_its_connection_settings_unless_changed() {
    let ntfy = form("https://ntfy.example.com/alerts/sse").with_preset(Preset::Ntfy);
    assert_eq!(
        (ntfy.resume.to_string(), ntfy.id_source.to_string(), ntfy.idle_timeout_s),
        ("query:since".into(), "json:/id".into(), Some(90)),
    );
    // Back to a generic server: ntfy's settings go as they came.
    let generic = ntfy.clone().with_preset(Preset::Generic);
    assert_eq!(
        (generic.resume, generic.id_source, generic.idle_timeout_s),
        (Resume::Header, IdSource::Sse, None)
    );
    // A setting the form changed itself stays as chosen.
    let mut own = form("https://ntfy.example.com/other/sse");
    own.resume = Resume::Query("after".into());
    let own = own.with_preset(Preset::Ntfy);
    assert_eq!(
        (own.resume.to_string(), own.id_source.to_string()),
        ("query:after".into(), "json:/id".into())
    );
    // Saved, the feed has what the form showed.
    let (_dir, mut store) = store();
    let view = save(&mut store, &Secrets::default(), None, &ntfy, None).unwrap();
    assert_eq!(store.feed(&view.id).unwrap().spec.resume, Resume::Query("since".into()));
}

#[test]
fn a_stored_kind_of_credentials_that_does_not_read_is_shown_and_its_secret_never_left_behind() {
    let (_dir, mut store) = store();
    let secrets = Secrets::default();
    let new = FeedForm { auth: AuthKind::Bearer, ..form("https://ci.example.com/events") };
    let view = save(&mut store, &secrets, None, &new, Some(Sensitive::new("tok".into()))).unwrap();
    let raw = herald_store::RawConnection::open(store.path()).unwrap();
    raw.execute("UPDATE feeds SET auth = 'weird' WHERE id = ?1", [&view.id]).unwrap();
    let shown = super::form(&store, Some(&view.id)).unwrap();
    assert_eq!(shown.auth, AuthKind::None, "the default, shown as such");
    assert!(
        shown.unreadable[0].contains("its stored auth does not read"),
        "{:?}",
        shown.unreadable
    );
    crate::credentials::remove(&mut store, &secrets, &view.id, false).unwrap();
    assert!(secrets.get(&view.id).unwrap().is_none(), "the secret was left behind");
}
