//! The OS keyring: Secret Service on Linux (GNOME Keyring, KWallet), the Keychain on macOS, the
//! Credential Manager on Windows. One entry per feed, service `herald`, user = the feed's id.
//! The platform store is opened on first use and again after a failure, so a keyring that was
//! missing or locked at start works as soon as it is there. There is never a plaintext fallback.

use std::sync::{Arc, Mutex};

use keyring_core::{CredentialStore, Entry, Error};

use crate::{SecretError, SecretStore, Sensitive};

/// The keyring service name every Herald entry uses.
pub const SERVICE: &str = "herald";

#[derive(Default)]
pub struct Keyring {
    store: Mutex<Option<Arc<CredentialStore>>>,
}

impl std::fmt::Debug for Keyring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Keyring")
    }
}

impl Keyring {
    pub fn new() -> Self {
        Self::default()
    }

    /// What the UI says the secret is stored in ("stored in <keyring>").
    pub fn name() -> &'static str {
        if cfg!(target_os = "macos") {
            "the macOS Keychain"
        } else if cfg!(windows) {
            "the Windows Credential Manager"
        } else {
            "the Secret Service keyring (GNOME Keyring or KWallet)"
        }
    }

    fn entry(&self, feed_id: &str) -> Result<Entry, SecretError> {
        let mut store = self.store.lock().unwrap_or_else(|p| p.into_inner());
        let opened = match store.as_ref() {
            Some(s) => s.clone(),
            None => {
                let s = open_platform_store().map_err(|e| words(&e))?;
                *store = Some(s.clone());
                s
            }
        };
        Entry::new_in_store(&opened, SERVICE, feed_id).map_err(|e| words(&e))
    }

    /// Forgets the platform store after a failure that may be the connection's.
    fn reset(&self, error: &SecretError) {
        if matches!(error, SecretError::Unavailable(_)) {
            *self.store.lock().unwrap_or_else(|p| p.into_inner()) = None;
        }
    }

    fn run<T>(&self, f: impl FnOnce() -> Result<T, SecretError>) -> Result<T, SecretError> {
        let result = f();
        if let Err(e) = &result {
            self.reset(e);
        }
        result
    }
}

impl SecretStore for Keyring {
    fn get(&self, feed_id: &str) -> Result<Option<Sensitive<String>>, SecretError> {
        self.run(|| match self.entry(feed_id)?.get_password() {
            Ok(secret) => Ok(Some(Sensitive::new(secret))),
            Err(Error::NoEntry) => Ok(None),
            Err(e) => Err(words(&e)),
        })
    }

    fn set(&self, feed_id: &str, secret: &Sensitive<String>) -> Result<(), SecretError> {
        self.run(|| self.entry(feed_id)?.set_password(secret.expose()).map_err(|e| words(&e)))
    }

    fn delete(&self, feed_id: &str) -> Result<(), SecretError> {
        self.run(|| match self.entry(feed_id)?.delete_credential() {
            Ok(()) | Err(Error::NoEntry) => Ok(()),
            Err(e) => Err(words(&e)),
        })
    }
}

/// keyring's errors, in words that say what to do. They never contain the secret.
fn words(error: &Error) -> SecretError {
    match error {
        Error::NoStorageAccess(e) => {
            SecretError::Unavailable(format!("the keyring is locked or refused access: {e}"))
        }
        Error::PlatformFailure(e) => SecretError::Unavailable(e.to_string()),
        Error::NoDefaultStore => SecretError::Unavailable("no keyring on this system".into()),
        Error::BadEncoding(_) => SecretError::Failed("the stored secret is not text".into()),
        other => SecretError::Failed(other.to_string()),
    }
}

#[cfg(any(target_os = "linux", target_os = "freebsd", target_os = "openbsd"))]
fn open_platform_store() -> keyring_core::Result<Arc<CredentialStore>> {
    Ok(zbus_secret_service_keyring_store::Store::new()?)
}

#[cfg(target_os = "macos")]
fn open_platform_store() -> keyring_core::Result<Arc<CredentialStore>> {
    Ok(apple_native_keyring_store::keychain::Store::new()?)
}

#[cfg(windows)]
fn open_platform_store() -> keyring_core::Result<Arc<CredentialStore>> {
    Ok(windows_native_keyring_store::Store::new()?)
}

#[cfg(not(any(
    target_os = "linux",
    target_os = "freebsd",
    target_os = "openbsd",
    target_os = "macos",
    windows
)))]
fn open_platform_store() -> keyring_core::Result<Arc<CredentialStore>> {
    Err(Error::NoDefaultStore)
}

/// The Credential Manager for real (Wine's under `make test`, Windows' own in the workflow),
/// under a feed id of the test's own.
#[cfg(all(test, windows))]
mod tests {
    use super::*;

    #[test]
    fn a_secret_goes_into_the_credential_manager_and_out_again() {
        let keyring = Keyring::new();
        let feed = format!("herald-test-{}", std::process::id());
        assert_eq!(keyring.get(&feed).unwrap().map(|s| s.expose().clone()), None);
        keyring.set(&feed, &Sensitive::new("tk_live_ünïcode".to_owned())).unwrap();
        let stored = keyring.get(&feed).unwrap().map(|s| s.expose().clone());
        keyring.set(&feed, &Sensitive::new("second".to_owned())).unwrap();
        let replaced = keyring.get(&feed).unwrap().map(|s| s.expose().clone());
        keyring.delete(&feed).unwrap();
        assert_eq!(stored.as_deref(), Some("tk_live_ünïcode"));
        assert_eq!(replaced.as_deref(), Some("second"), "a second set replaces the first");
        assert_eq!(keyring.get(&feed).unwrap().map(|s| s.expose().clone()), None, "deleted");
        keyring.delete(&feed).expect("deleting what is gone is fine");
    }
}
