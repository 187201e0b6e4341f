//! Credentials. A secret lives only in the OS keyring; in memory it is wrapped in
//! [`Sensitive`], which never prints its value, so a stray `{:?}` in a log line, an error or a
//! panic message cannot leak it.

mod keyring;

use std::fmt;

pub use keyring::{Keyring, SERVICE};

/// A value that must never be shown: Debug and Display print `<redacted>`.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Sensitive<T>(T);

impl<T> Sensitive<T> {
    pub fn new(value: T) -> Self {
        Self(value)
    }

    /// The value itself, for the one place that must use it (building a request).
    pub fn expose(&self) -> &T {
        &self.0
    }
}

impl<T> From<T> for Sensitive<T> {
    fn from(value: T) -> Self {
        Self(value)
    }
}

impl<T> fmt::Debug for Sensitive<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl<T> fmt::Display for Sensitive<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// Why a secret could not be read or written, in words that say what to do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SecretError {
    /// No keyring service, or it is locked: the feed waits until it becomes available.
    #[error("the keyring is not available ({0}); start or unlock GNOME Keyring or KWallet")]
    Unavailable(String),
    #[error("the keyring refused access ({0})")]
    Denied(String),
    #[error("the keyring failed: {0}")]
    Failed(String),
}

/// Where feeds' secrets are kept: one entry per feed.
pub trait SecretStore: Send + Sync {
    fn get(&self, feed_id: &str) -> Result<Option<Sensitive<String>>, SecretError>;
    fn set(&self, feed_id: &str, secret: &Sensitive<String>) -> Result<(), SecretError>;
    fn delete(&self, feed_id: &str) -> Result<(), SecretError>;
}

/// For feeds without credentials and for tools that never need any.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoSecrets;

impl SecretStore for NoSecrets {
    fn get(&self, _feed_id: &str) -> Result<Option<Sensitive<String>>, SecretError> {
        Ok(None)
    }

    fn set(&self, _feed_id: &str, _secret: &Sensitive<String>) -> Result<(), SecretError> {
        Err(SecretError::Unavailable("this tool keeps no secrets".into()))
    }

    fn delete(&self, _feed_id: &str) -> Result<(), SecretError> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sensitive_values_never_print() {
        let secret = Sensitive::new("hunter2".to_owned());
        assert_eq!(
            format!("{secret:?} {secret} {:?}", Some(&secret)),
            "<redacted> <redacted> Some(<redacted>)"
        );
        assert_eq!(secret.expose(), "hunter2");
    }
}
