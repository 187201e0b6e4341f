//! How a feed proves who it is. The kind is stored with the feed; the secret lives only in the
//! OS keyring (or, for `herald tail`, comes from stdin) and is applied to a request here.

use base64::Engine;
use herald_model::AuthKind;
use herald_sse::Request;
use reqwest::header::{AUTHORIZATION, HeaderName, HeaderValue};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    #[error("{0:?} is not a valid HTTP header name")]
    BadHeaderName(String),
    #[error("the secret for basic auth must be written user:password")]
    BasicWithoutColon,
    #[error(
        "the secret cannot be sent in a header (it contains a line break or control character)"
    )]
    BadSecret,
    #[error("the secret is empty")]
    EmptySecret,
}

/// Puts the secret where `kind` says. Header values are marked sensitive, so HTTP libraries
/// never print them.
pub fn apply(kind: &AuthKind, secret: &str, request: &mut Request) -> Result<(), AuthError> {
    if kind.needs_secret() && secret.is_empty() {
        return Err(AuthError::EmptySecret);
    }
    if kind.needs_secret() {
        request.secrets.push(secret.to_owned());
    }
    let sensitive = |value: String| {
        let mut value = HeaderValue::from_str(&value).map_err(|_| AuthError::BadSecret)?;
        value.set_sensitive(true);
        Ok::<_, AuthError>(value)
    };
    match kind {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_go_where_the_kind_says_and_are_marked_sensitive() {
        let mut request = Request::get("http://127.0.0.1/x?topic=a".parse().unwrap());
        apply(&AuthKind::Basic, "alice:s3cret", &mut request).unwrap();
        let value = &request.headers[AUTHORIZATION];
        assert_eq!(value, "Basic YWxpY2U6czNjcmV0");
        assert!(value.is_sensitive());
        apply(&AuthKind::Query("auth".into()), "tok", &mut request).unwrap();
        assert_eq!(request.url.unwrap().as_str(), "http://127.0.0.1/x?topic=a&auth=tok");
        let mut request = Request::get("http://127.0.0.1/".parse().unwrap());
        assert_eq!(
            apply(&AuthKind::Basic, "nocolon", &mut request),
            Err(AuthError::BasicWithoutColon)
        );
        assert_eq!(apply(&AuthKind::Bearer, "", &mut request), Err(AuthError::EmptySecret));
        assert_eq!(apply(&AuthKind::Bearer, "a\nb", &mut request), Err(AuthError::BadSecret));
    }
}
