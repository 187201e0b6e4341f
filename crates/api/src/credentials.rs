//! Feeds that need credentials. The secret goes to the OS keyring (one entry per feed); the
//! store records only which kind of credentials a feed uses. A URL given with `user:pass@` or a
//! token parameter is split: the secret to the keyring, the URL stored without it.

use herald_secrets::{SecretStore, Sensitive};
use herald_store::Feed;

use crate::feeds::{self, FeedOptions, SECRET_PARAMS};
use crate::store_access::StoreAccess;
use crate::{ApiError, Field};
use herald_model::{AuthKind, Stored};

/// A URL with the credentials it carried taken out.
#[derive(Debug)]
pub struct SplitUrl {
    pub url: String,
    pub credentials: Option<(AuthKind, Sensitive<String>)>,
}

/// Takes `user:pass@` (basic) or a secret query parameter (`auth=`, `token=`, `access_token=`)
/// out of a URL. A URL that does not parse is returned as it is, for validation to explain.
pub fn split_url(text: &str) -> SplitUrl {
    let Ok(mut url) = url::Url::parse(text.trim()) else {
        return SplitUrl { url: text.to_owned(), credentials: None };
    };
    let mut credentials = None;
    if !url.username().is_empty() || url.password().is_some() {
        let user = percent_decode(url.username());
        let password = url.password().map(percent_decode).unwrap_or_default();
        credentials = Some((AuthKind::Basic, Sensitive::new(format!("{user}:{password}"))));
        let _ = url.set_username("");
        let _ = url.set_password(None);
    }
    let secret_param = url
        .query_pairs()
        .find(|(k, _)| SECRET_PARAMS.contains(&k.to_ascii_lowercase().as_str()))
        .map(|(k, v)| (k.into_owned(), v.into_owned()));
    if let Some((param, value)) = secret_param {
        let kept: Vec<(String, String)> = url
            .query_pairs()
            .filter(|(k, _)| *k != param)
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        if kept.is_empty() {
            url.set_query(None);
        } else {
            url.query_pairs_mut().clear().extend_pairs(kept);
        }
        credentials.get_or_insert((AuthKind::Query(param), Sensitive::new(value)));
    }
    SplitUrl { url: url.to_string(), credentials }
}

fn percent_decode(text: &str) -> String {
    url::form_urlencoded::parse(format!("x={text}").as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

/// Adds a feed; when its kind of auth needs a secret, the secret goes to the keyring. If the
/// keyring cannot take it, the feed is not added (never a feed whose secret went nowhere).
pub(crate) fn add(
    store: &mut impl StoreAccess,
    secrets: &dyn SecretStore,
    mut options: FeedOptions,
    secret: Option<Sensitive<String>>,
) -> Result<Feed, ApiError> {
    let kind = options.auth.clone().unwrap_or_default().check()?;
    check_secret(&kind, secret.as_ref())?;
    let Some(secret) = secret.filter(|_| kind.needs_secret()) else {
        return store.with(|store| feeds::add(store, options));
    };
    // Added switched off, so the resident never tries it before its secret is in the keyring;
    // switched on once it is.
    let enable = options.enabled != Some(false);
    options.enabled = Some(false);
    let feed = store.with(|store| feeds::add(store, options))?;
    if let Err(e) = secrets.set(&feed.id, &secret) {
        let _ = store.with(|store| store.remove_feed(&feed.id, false));
        return Err(e.into());
    }
    let added = store.with(|store| {
        if enable {
            store.set_enabled(&feed.id, true)?;
        }
        Ok(store.feed(&feed.id)?)
    });
    forget_secret_of_a_removed_feed(&added, secrets, &feed.id);
    added
}

/// Changes the kind of credentials a feed uses and its secret (`none` removes it).
pub(crate) fn set(
    store: &mut impl StoreAccess,
    secrets: &dyn SecretStore,
    name_or_id: &str,
    kind: AuthKind,
    secret: Option<Sensitive<String>>,
) -> Result<Feed, ApiError> {
    let kind = kind.check()?;
    let feed = store.with(|store| store.find_feed(name_or_id))?;
    crate::feeds::refuse_unless_given(&feed, |setting| setting == Stored::Auth)?;
    check_secret(&kind, secret.as_ref())?;
    match secret.filter(|_| kind.needs_secret()) {
        Some(secret) => secrets.set(&feed.id, &secret)?,
        None => secrets.delete(&feed.id)?,
    }
    let changed = store.with(|store| {
        // Read again: the store was free during the keyring call, and another window or the
        // command line may have changed the feed meanwhile.
        let mut spec = store.feed(&feed.id)?.spec;
        spec.auth = kind.clone();
        store.update_feed(&feed.id, &spec)?;
        store.touch_feed(&feed.id)?;
        Ok(store.feed(&feed.id)?)
    });
    forget_secret_of_a_removed_feed(&changed, secrets, &feed.id);
    changed
}

/// The store is free while the keyring works, so the feed may be removed meanwhile (by another
/// window or the command line): then the secret just stored belongs to nothing and goes too.
fn forget_secret_of_a_removed_feed(
    result: &Result<Feed, ApiError>,
    secrets: &dyn SecretStore,
    feed_id: &str,
) {
    if let Err(ApiError::Store(herald_store::StoreError::UnknownFeed(_))) = result {
        let _ = secrets.delete(feed_id);
    }
}

/// Removes a feed and its secret.
pub(crate) fn remove(
    store: &mut impl StoreAccess,
    secrets: &dyn SecretStore,
    name_or_id: &str,
    keep_history: bool,
) -> Result<Feed, ApiError> {
    let feed = store.with(|store| store.find_feed(name_or_id))?;
    // A kind that did not read may have had a secret: it goes too.
    if feed.spec.auth.needs_secret()
        || feed.spec.unreadable.iter().any(|u| u.setting == Stored::Auth)
    {
        // The secret first: a feed whose secret could not be deleted stays, so it can be
        // removed again once the keyring is back.
        secrets.delete(&feed.id)?;
    }
    store.with(|store| store.remove_feed(&feed.id, keep_history))?;
    Ok(feed)
}

fn check_secret(kind: &AuthKind, secret: Option<&Sensitive<String>>) -> Result<(), ApiError> {
    let invalid = |message: &str| ApiError::Invalid { field: Field::Auth, message: message.into() };
    if !kind.needs_secret() {
        return Ok(());
    }
    let Some(secret) = secret else {
        return Err(invalid("this kind of credentials needs a secret"));
    };
    // The same checks the connection makes, now rather than at the first attempt.
    let mut probe = herald_sse::Request::default();
    herald_engine::auth::apply(kind, secret.expose(), &mut probe)
        .map_err(|e| invalid(&e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc::{Receiver, Sender, channel};
    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    use herald_secrets::SecretError;
    use herald_store::Store;

    use crate::store_access::Shared;

    /// A keyring that, inside each call, says so and waits for the test to let it go: a keyring
    /// asking the user to unlock it.
    struct SlowKeyring {
        inside: Mutex<Sender<()>>,
        go: Mutex<Receiver<()>>,
        deleted: Mutex<Vec<String>>,
    }

    fn slow_keyring() -> (Arc<SlowKeyring>, Receiver<()>, Sender<()>) {
        let (inside_tx, inside) = channel();
        let (go, go_rx) = channel();
        let keyring = SlowKeyring {
            inside: Mutex::new(inside_tx),
            go: Mutex::new(go_rx),
            deleted: Mutex::default(),
        };
        (Arc::new(keyring), inside, go)
    }

    /// Adds a feed with a secret on another thread, as the windows' requests run.
    fn add_in_the_background(
        store: &Arc<Mutex<Store>>,
        keyring: &Arc<SlowKeyring>,
    ) -> std::thread::JoinHandle<Result<Feed, ApiError>> {
        let (shared, secrets) = (store.clone(), keyring.clone());
        std::thread::spawn(move || {
            let secret = Some(Sensitive::new("tk_secret".to_owned()));
            add(&mut Shared(&shared), &*secrets, private_feed(), secret)
        })
    }

    fn private_feed() -> FeedOptions {
        FeedOptions {
            name: Some("Private".into()),
            url: Some("https://127.0.0.1:9/sse".into()),
            auth: Some(AuthKind::Bearer),
            ..FeedOptions::default()
        }
    }

    impl SlowKeyring {
        fn wait(&self) {
            let _ = self.inside.lock().unwrap().send(());
            let _ = self.go.lock().unwrap().recv_timeout(Duration::from_secs(10));
        }
    }

    impl SecretStore for SlowKeyring {
        fn get(&self, _: &str) -> Result<Option<Sensitive<String>>, SecretError> {
            self.wait();
            Ok(None)
        }
        fn set(&self, _: &str, _: &Sensitive<String>) -> Result<(), SecretError> {
            self.wait();
            Ok(())
        }
        fn delete(&self, feed_id: &str) -> Result<(), SecretError> {
            self.wait();
            self.deleted.lock().unwrap().push(feed_id.to_owned());
            Ok(())
        }
    }

    #[test]
    fn the_store_is_free_while_the_keyring_is_slow() {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(Mutex::new(Store::open(&Store::path_in(dir.path())).unwrap()));
        let (keyring, inside, go) = slow_keyring();
        let adding = add_in_the_background(&store, &keyring);
        // While the keyring takes its time, the windows' other requests still get the store.
        inside.recv_timeout(Duration::from_secs(10)).expect("the keyring was called");
        assert!(store.try_lock().is_ok(), "the store was held across the keyring call");
        go.send(()).unwrap();
        let feed = adding.join().unwrap().unwrap();
        assert!(feed.spec.enabled, "switched on once its secret is stored");

        let (shared, secrets) = (store.clone(), keyring.clone());
        let id = feed.id.clone();
        let removing =
            std::thread::spawn(move || remove(&mut Shared(&shared), &*secrets, &id, false));
        inside.recv_timeout(Duration::from_secs(10)).expect("the keyring was called");
        assert!(store.try_lock().is_ok(), "the store was held across the keyring call");
        go.send(()).unwrap();
        removing.join().unwrap().unwrap();
        assert!(store.lock().unwrap().feeds().unwrap().is_empty());
    }

    #[test]
    fn a_feed_removed_while_its_secret_is_stored_leaves_no_secret_behind() {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(Mutex::new(Store::open(&Store::path_in(dir.path())).unwrap()));
        let (keyring, inside, go) = slow_keyring();
        let adding = add_in_the_background(&store, &keyring);
        inside.recv_timeout(Duration::from_secs(10)).expect("the keyring was called");
        // Another window removes the feed meanwhile (it was added switched off, no secret yet).
        let id = store.lock().unwrap().feeds().unwrap()[0].id.clone();
        store.lock().unwrap().remove_feed(&id, false).unwrap();
        go.send(()).unwrap();
        // The secret stored for it is deleted again.
        inside.recv_timeout(Duration::from_secs(10)).expect("the secret is deleted");
        go.send(()).unwrap();
        assert!(adding.join().unwrap().is_err(), "the feed is gone: the add says so");
        assert_eq!(*keyring.deleted.lock().unwrap(), [id]);
    }

    #[test]
    fn userinfo_and_token_parameters_are_split_off() {
        let s = split_url("https://alice:p%40ss@ntfy.example/alerts/sse");
        assert_eq!(s.url, "https://ntfy.example/alerts/sse");
        let (kind, secret) = s.credentials.unwrap();
        assert_eq!((kind, secret.expose().as_str()), (AuthKind::Basic, "alice:p@ss"));
        let s = split_url("https://ntfy.example/alerts/sse?since=all&auth=tk_123");
        assert_eq!(s.url, "https://ntfy.example/alerts/sse?since=all");
        let (kind, secret) = s.credentials.unwrap();
        assert_eq!((kind, secret.expose().as_str()), (AuthKind::Query("auth".into()), "tk_123"));
        assert!(split_url("https://h/x?token=t").url.ends_with("/x"));
        assert!(split_url("https://h/x?topic=a").credentials.is_none());
    }
}
