//! Following redirects by hand, because reqwest's own policy strips only `Authorization` and
//! cookies when a redirect leaves the origin: a feed's `X-Api-Key` header would go to whatever
//! host the server names, on every reconnect, and an https -> http hop would send it in clear.
//!
//! The rule, in one place: a hop to another origin (scheme, host or port) drops every
//! configured header (which is where every credential kind but `query:` lives; a query secret
//! stays in the original URL, which a hop replaces), and they stay dropped for the rest of the
//! chain; a hop from https to http, to a non-http(s) scheme, or past [`MAX_REDIRECTS`] is
//! refused in words.

use reqwest::StatusCode;
use url::Url;

use herald_model::Method;

/// As many hops as browsers' fetch allows (20) is more than any SSE deployment needs; a chain
/// longer than this is a loop or a misconfiguration.
pub const MAX_REDIRECTS: usize = 10;

/// Where one redirect answer sends the attempt next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hop {
    pub url: Url,
    pub method: Method,
    /// False once the chain has left the first origin: no configured header goes with the
    /// request any more (the body of a 307/308 POST does, as the redirect asks).
    pub same_origin: bool,
}

/// Why a redirect is not followed. Shown to the user as the attempt's error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RedirectError {
    #[error("the server redirected to an address that is not valid ({0})")]
    BadLocation(String),
    #[error("the server redirected to a {0}: address; Herald follows only http and https")]
    Scheme(String),
    #[error(
        "the server redirected from https to plain http; Herald refuses, so that nothing is sent \
         unencrypted"
    )]
    Downgrade,
    #[error("the server redirected more than {MAX_REDIRECTS} times (a redirect loop?)")]
    TooMany,
}

/// True for the statuses that carry a `Location` to follow (not 300 or 304).
pub fn is_redirect(status: StatusCode) -> bool {
    matches!(status.as_u16(), 301 | 302 | 303 | 307 | 308)
}

/// The next hop after `status` with `location`, from `current` (reached by `method`); `first`
/// is the origin the feed's URL names and `same_origin` whether the chain is still on it.
pub fn next_hop(
    first: &url::Origin,
    current: &Url,
    method: Method,
    same_origin: bool,
    status: StatusCode,
    location: &str,
) -> Result<Hop, RedirectError> {
    let url =
        current.join(location.trim()).map_err(|e| RedirectError::BadLocation(e.to_string()))?;
    match url.scheme() {
        "http" | "https" => {}
        other => return Err(RedirectError::Scheme(other.to_owned())),
    }
    if current.scheme() == "https" && url.scheme() == "http" {
        return Err(RedirectError::Downgrade);
    }
    // 301 and 302 turn a POST into a GET as every browser does; 303 always means GET; 307 and
    // 308 repeat the request as it was.
    let method = match status.as_u16() {
        301..=303 => Method::Get,
        _ => method,
    };
    let same_origin = same_origin && url.origin() == *first;
    Ok(Hop { url, method, same_origin })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hop(from: &str, status: u16, location: &str) -> Result<Hop, RedirectError> {
        let current: Url = from.parse().unwrap();
        let status = StatusCode::from_u16(status).unwrap();
        next_hop(&current.origin(), &current, Method::Post, true, status, location)
    }

    #[test]
    fn relative_locations_resolve_and_stay_on_the_origin() {
        let next = hop("https://a.example/x/old?auth=s", 307, "new").unwrap();
        assert_eq!(next.url.as_str(), "https://a.example/x/new");
        assert!(next.same_origin);
        assert_eq!(next.method, Method::Post);
    }

    #[test]
    fn another_host_port_or_scheme_is_another_origin() {
        for location in [
            "https://b.example/x",
            "https://a.example:8443/x",
            "//b.example/x",
            "https://user:pw@a.example.evil/x",
        ] {
            assert!(!hop("https://a.example/x", 302, location).unwrap().same_origin, "{location}");
        }
        assert!(!hop("http://a.example/x", 301, "https://a.example/x").unwrap().same_origin);
    }

    #[test]
    fn once_off_the_origin_the_chain_never_gets_its_credentials_back() {
        let first: Url = "https://a.example/".parse().unwrap();
        let away: Url = "https://b.example/".parse().unwrap();
        let back = next_hop(
            &first.origin(),
            &away,
            Method::Get,
            false,
            StatusCode::FOUND,
            "https://a.example/",
        )
        .unwrap();
        assert!(!back.same_origin);
    }

    #[test]
    fn https_to_http_and_other_schemes_are_refused() {
        assert_eq!(
            hop("https://a.example/", 302, "http://a.example/"),
            Err(RedirectError::Downgrade)
        );
        for (location, scheme) in
            [("file:///etc/passwd", "file"), ("ftp://a.example/", "ftp"), ("data:,x", "data")]
        {
            assert_eq!(
                hop("http://a.example/", 302, location),
                Err(RedirectError::Scheme(scheme.into()))
            );
        }
        assert!(matches!(
            hop("http://a.example/", 302, "http://[::1"),
            Err(RedirectError::BadLocation(_))
        ));
    }

    #[test]
    fn methods_follow_the_status() {
        assert_eq!(hop("http://a/", 301, "/n").unwrap().method, Method::Get);
        assert_eq!(hop("http://a/", 302, "/n").unwrap().method, Method::Get);
        assert_eq!(hop("http://a/", 303, "/n").unwrap().method, Method::Get);
        assert_eq!(hop("http://a/", 307, "/n").unwrap().method, Method::Post);
        assert_eq!(hop("http://a/", 308, "/n").unwrap().method, Method::Post);
    }

    #[test]
    fn only_the_statuses_with_a_location_are_redirects() {
        let redirects: Vec<u16> =
            (100..600).filter(|&c| is_redirect(StatusCode::from_u16(c).unwrap())).collect();
        assert_eq!(redirects, [301, 302, 303, 307, 308]);
    }
}
