//! How a feed proves who it is. The kind is stored with the feed; the secret lives only in the
//! OS keyring (or, for `herald tail`, comes from stdin) and is applied to a request here.

use std::fmt;
use std::str::FromStr;

use base64::Engine;
use herald_sse::Request;
use reqwest::header::{AUTHORIZATION, HeaderName, HeaderValue};

#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", content = "name", rename_all = "snake_case")]
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

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    #[error("unknown auth kind {0:?}: use none, bearer, basic, header:NAME or query:NAME")]
    UnknownKind(String),
    #[error("{0:?} is not a valid HTTP header name")]
    BadHeaderName(String),
    #[error("a query parameter name is needed (query:NAME)")]
    EmptyQueryName,
    #[error("the secret for basic auth must be written user:password")]
    BasicWithoutColon,
    #[error(
        "the secret cannot be sent in a header (it contains a line break or control character)"
    )]
    BadSecret,
    #[error("the secret is empty")]
    EmptySecret,
}

impl FromStr for AuthKind {
    type Err = AuthError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "none" => Ok(AuthKind::None),
            "bearer" => Ok(AuthKind::Bearer),
            "basic" => Ok(AuthKind::Basic),
            _ => match s.split_once(':') {
                Some(("header", name)) => {
                    HeaderName::from_bytes(name.as_bytes())
                        .map_err(|_| AuthError::BadHeaderName(name.into()))?;
                    Ok(AuthKind::Header(name.to_owned()))
                }
                Some(("query", "")) => Err(AuthError::EmptyQueryName),
                Some(("query", name)) => Ok(AuthKind::Query(name.to_owned())),
                _ => Err(AuthError::UnknownKind(s.to_owned())),
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

impl AuthKind {
    pub fn needs_secret(&self) -> bool {
        *self != AuthKind::None
    }

    /// Puts the secret where this kind says. Header values are marked sensitive, so HTTP
    /// libraries never print them.
    pub fn apply(&self, secret: &str, request: &mut Request) -> Result<(), AuthError> {
        if self.needs_secret() && secret.is_empty() {
            return Err(AuthError::EmptySecret);
        }
        if self.needs_secret() {
            request.secrets.push(secret.to_owned());
        }
        let sensitive = |value: String| {
            let mut value = HeaderValue::from_str(&value).map_err(|_| AuthError::BadSecret)?;
            value.set_sensitive(true);
            Ok::<_, AuthError>(value)
        };
        match self {
            AuthKind::None => {}
            AuthKind::Bearer => {
                request.headers.insert(AUTHORIZATION, sensitive(format!("Bearer {secret}"))?);
            }
            AuthKind::Basic => {
                if !secret.contains(':') {
                    return Err(AuthError::BasicWithoutColon);
                }
                let encoded = base64::engine::general_purpose::STANDARD.encode(secret);
                request.headers.insert(AUTHORIZATION, sensitive(format!("Basic {encoded}"))?);
            }
            AuthKind::Header(name) => {
                let name = HeaderName::from_bytes(name.as_bytes())
                    .map_err(|_| AuthError::BadHeaderName(name.clone()))?;
                request.headers.insert(name, sensitive(secret.to_owned())?);
            }
            AuthKind::Query(name) => {
                if let Some(url) = request.url.as_mut() {
                    url.query_pairs_mut().append_pair(name, secret);
                }
            }
        }
        Ok(())
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
        assert_eq!("query:".parse::<AuthKind>(), Err(AuthError::EmptyQueryName));
        assert!(matches!("header:bad name".parse::<AuthKind>(), Err(AuthError::BadHeaderName(_))));
        assert!(matches!("token".parse::<AuthKind>(), Err(AuthError::UnknownKind(_))));
    }

    #[test]
    fn secrets_go_where_the_kind_says_and_are_marked_sensitive() {
        let mut request = Request::get("http://127.0.0.1/x?topic=a".parse().unwrap());
        AuthKind::Basic.apply("alice:s3cret", &mut request).unwrap();
        let value = &request.headers[AUTHORIZATION];
        assert_eq!(value, "Basic YWxpY2U6czNjcmV0");
        assert!(value.is_sensitive());
        AuthKind::Query("auth".into()).apply("tok", &mut request).unwrap();
        assert_eq!(request.url.unwrap().as_str(), "http://127.0.0.1/x?topic=a&auth=tok");
        let mut request = Request::get("http://127.0.0.1/".parse().unwrap());
        assert_eq!(
            AuthKind::Basic.apply("nocolon", &mut request),
            Err(AuthError::BasicWithoutColon)
        );
        assert_eq!(AuthKind::Bearer.apply("", &mut request), Err(AuthError::EmptySecret));
        assert_eq!(AuthKind::Bearer.apply("a\nb", &mut request), Err(AuthError::BadSecret));
    }
}
