//! The kind of credentials a feed sends. The kind is a setting like any other; the secret
//! itself lives only in the OS keyring and is never part of this model.

use std::fmt;
use std::str::FromStr;

use crate::{Setting, SettingError};

/// Tagged for the windows as `{ kind: "header", name: "X-Api-Key" }`; written as text
/// (`header:X-Api-Key`) on the command line, in files and in the store.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize, ts_rs::TS)]
#[serde(tag = "kind", content = "name", rename_all = "snake_case")]
#[ts(export)]
pub enum AuthKind {
    #[default]
    None,
    /// `Authorization: Bearer <token>`.
    Bearer,
    /// `Authorization: Basic`, from a secret written `user:password`.
    Basic,
    /// A custom header carrying the secret (e.g. `X-API-Key`).
    Header(String),
    /// A query parameter carrying the secret (e.g. ntfy's `auth`).
    Query(String),
}

impl AuthKind {
    pub fn needs_secret(&self) -> bool {
        *self != AuthKind::None
    }

    /// The rule `FromStr` applies, for a value built from its parts (the settings window).
    pub fn check(self) -> Result<Self, SettingError> {
        match &self {
            AuthKind::Header(name) if http::HeaderName::from_bytes(name.as_bytes()).is_err() => {
                Err(SettingError::BadAuthHeaderName(name.clone()))
            }
            AuthKind::Query(name) if name.is_empty() => Err(SettingError::EmptyQueryName),
            AuthKind::Query(name) if name.chars().any(char::is_control) => {
                Err(SettingError::ControlInParamName { setting: Setting::Auth, name: name.clone() })
            }
            _ => Ok(self),
        }
    }
}

impl FromStr for AuthKind {
    type Err = SettingError;

    /// The kind in any case, spaces around the whole ignored; a name as given.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let s = text.trim();
        match s.to_ascii_lowercase().as_str() {
            "none" => Ok(AuthKind::None),
            "bearer" => Ok(AuthKind::Bearer),
            "basic" => Ok(AuthKind::Basic),
            _ => match s.split_once(':') {
                Some((kind, name)) if kind.eq_ignore_ascii_case("header") => {
                    AuthKind::Header(name.to_owned()).check()
                }
                Some((kind, name)) if kind.eq_ignore_ascii_case("query") => {
                    AuthKind::Query(name.to_owned()).check()
                }
                _ => Err(SettingError::UnknownAuth(text.to_owned())),
            },
        }
    }
}

impl fmt::Display for AuthKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AuthKind::None => f.write_str("none"),
            AuthKind::Bearer => f.write_str("bearer"),
            AuthKind::Basic => f.write_str("basic"),
            AuthKind::Header(name) => write!(f, "header:{name}"),
            AuthKind::Query(name) => write!(f, "query:{name}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_parse_and_print_back() {
        for text in ["none", "bearer", "basic", "header:X-Api-Key", "query:auth"] {
            assert_eq!(text.parse::<AuthKind>().unwrap().to_string(), text);
        }
        assert_eq!("query:".parse::<AuthKind>(), Err(SettingError::EmptyQueryName));
        assert!(matches!(
            "header:bad name".parse::<AuthKind>(),
            Err(SettingError::BadAuthHeaderName(_))
        ));
        assert!(matches!("token".parse::<AuthKind>(), Err(SettingError::UnknownAuth(_))));
        // What the windows send is checked by the same rule.
        assert!(AuthKind::Header("a\nb".into()).check().is_err());
        assert!(AuthKind::Query(String::new()).check().is_err());
    }

    #[test]
    fn the_windows_get_a_tagged_union() {
        let json = serde_json::to_string(&AuthKind::Header("X-Key".into())).unwrap();
        assert_eq!(json, r#"{"kind":"header","name":"X-Key"}"#);
        assert_eq!(serde_json::to_string(&AuthKind::Bearer).unwrap(), r#"{"kind":"bearer"}"#);
        let back: AuthKind = serde_json::from_str(r#"{"kind":"query","name":"auth"}"#).unwrap();
        assert_eq!(back, AuthKind::Query("auth".into()));
    }
}
