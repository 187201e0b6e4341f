//! Redirects against real servers on two origins (127.0.0.1 and 127.0.0.2, or two ports): the
//! feed's credentials go only to the origin they were configured for, nothing is sent as
//! Referer, and chains that loop or leave http(s) end with words instead of hanging.

use std::net::SocketAddr;

use herald_sse::{Attempt, ConnectError, Method, Next, Request, http_client};
use herald_sse_server::{Reply, SseServer};
use reqwest::header::{AUTHORIZATION, HeaderName, HeaderValue};

/// A request carrying a credential of every kind Herald has: bearer (Authorization), a custom
/// header, and a query parameter.
fn with_credentials(url: &str) -> Request {
    let mut request = Request::get(format!("{url}?auth=query-secret").parse().unwrap());
    request.headers.insert(AUTHORIZATION, HeaderValue::from_static("Bearer bearer-secret"));
    request
        .headers
        .insert(HeaderName::from_static("x-api-key"), HeaderValue::from_static("header-secret"));
    request.last_event_id = "41".into();
    request
}

fn other_origin(
    script: impl Fn(&herald_sse_server::Request, usize) -> Reply + Send + Sync + 'static,
) -> SseServer {
    SseServer::start_on(SocketAddr::from(([127, 0, 0, 2], 0)), script).expect("bind 127.0.0.2")
}

async fn attempt(request: &Request) -> Result<(), ConnectError> {
    Attempt::start(&http_client(None).unwrap(), request).await.map(drop)
}

fn assert_no_secret(seen: &herald_sse_server::Request) {
    let text =
        format!("{} {:?} {}", seen.target, seen.headers, String::from_utf8_lossy(&seen.body));
    for secret in ["query-secret", "bearer-secret", "header-secret"] {
        assert!(!text.contains(secret), "{secret} reached the other origin: {text}");
    }
    assert_eq!(seen.header("referer"), None);
}

#[tokio::test]
async fn a_redirect_to_another_host_carries_no_credential_of_any_kind() {
    for code in [301u16, 302, 303, 307, 308] {
        let elsewhere = other_origin(|_, _| Reply::events("data: there\n\n"));
        let target = elsewhere.url("/landing");
        let feed = SseServer::start(move |_, _| {
            Reply::status(code, "Moved", &[("Location", target.as_str())], "")
        });
        attempt(&with_credentials(&feed.url("/events"))).await.unwrap();

        let first = &feed.requests()[0];
        assert_eq!(first.header("x-api-key"), Some("header-secret"), "sent to its own origin");
        assert_eq!(first.header("authorization"), Some("Bearer bearer-secret"));
        let landed = &elsewhere.requests()[0];
        assert_eq!(landed.target, "/landing", "{code}");
        assert_no_secret(landed);
        // The position is no credential: the other origin may resume the stream.
        assert_eq!(landed.header("last-event-id"), Some("41"));
    }
}

#[tokio::test]
async fn another_port_is_another_origin_and_the_chain_never_gets_them_back() {
    // 127.0.0.1:A -> 127.0.0.1:B -> 127.0.0.1:A again: only the very first request has them.
    let home = std::sync::Arc::new(std::sync::OnceLock::<String>::new());
    let back = home.clone();
    let port_b = SseServer::start(move |_, _| {
        Reply::status(302, "Found", &[("Location", back.get().unwrap().as_str())], "")
    });
    let to_b = port_b.url("/b");
    let port_a = SseServer::start(move |req, _| {
        if req.target.starts_with("/events") {
            Reply::status(307, "Temporary Redirect", &[("Location", to_b.as_str())], "")
        } else {
            Reply::events("data: home\n\n")
        }
    });
    home.set(port_a.url("/final")).unwrap();
    attempt(&with_credentials(&port_a.url("/events"))).await.unwrap();

    let a = port_a.requests();
    assert_eq!(a.len(), 2);
    assert_eq!(a[0].header("x-api-key"), Some("header-secret"));
    assert_eq!(a[1].target, "/final");
    assert_no_secret(&a[1]);
    assert_no_secret(&port_b.requests()[0]);
}

#[tokio::test]
async fn a_same_origin_redirect_keeps_the_credentials_and_sends_no_referer() {
    let feed = SseServer::start(|req, _| {
        if req.target.starts_with("/old") {
            Reply::status(308, "Permanent Redirect", &[("Location", "/new")], "")
        } else {
            Reply::events("data: moved\n\n")
        }
    });
    attempt(&with_credentials(&feed.url("/old"))).await.unwrap();
    let moved = &feed.requests()[1];
    assert_eq!(moved.target, "/new");
    assert_eq!(moved.header("x-api-key"), Some("header-secret"));
    assert_eq!(moved.header("authorization"), Some("Bearer bearer-secret"));
    assert_eq!(moved.header("referer"), None);
}

#[tokio::test]
async fn post_is_repeated_on_307_and_308_and_becomes_get_on_301_302_303() {
    for (code, method, body) in [
        (307u16, "POST", &b"{\"q\":1}"[..]),
        (308, "POST", b"{\"q\":1}"),
        (301, "GET", b""),
        (302, "GET", b""),
        (303, "GET", b""),
    ] {
        let feed = SseServer::start(move |req, _| {
            if req.target == "/run" {
                Reply::status(code, "Moved", &[("Location", "/stream")], "")
            } else {
                Reply::events("data: ok\n\n")
            }
        });
        let mut request = Request::get(feed.url("/run").parse().unwrap());
        request.method = Method::Post;
        request.body = Some(br#"{"q":1}"#.to_vec());
        attempt(&request).await.unwrap();
        let second = &feed.requests()[1];
        assert_eq!((second.method.as_str(), second.body.as_slice()), (method, body), "{code}");
    }
}

#[tokio::test]
async fn a_redirect_loop_ends_in_words_after_a_bounded_number_of_requests() {
    let feed = SseServer::start(|_, _| Reply::status(302, "Found", &[("Location", "/loop")], ""));
    let err = attempt(&Request::get(feed.url("/loop").parse().unwrap())).await.unwrap_err();
    assert!(err.to_string().contains("redirected more than 10 times"), "{err}");
    assert_eq!(err.next(), Next::RetryAtCap);
    assert_eq!(feed.requests().len(), 11);
}

#[tokio::test]
async fn a_redirect_out_of_http_is_refused() {
    for (location, scheme) in [("file:///etc/passwd", "file"), ("ftp://127.0.0.1/x", "ftp")] {
        let feed = SseServer::start(move |_, _| {
            Reply::status(302, "Found", &[("Location", location)], "")
        });
        let err = attempt(&Request::get(feed.url("/").parse().unwrap())).await.unwrap_err();
        assert!(err.to_string().contains(&format!("a {scheme}: address")), "{err}");
    }
}

#[tokio::test]
async fn a_redirect_without_location_is_the_status_it_is() {
    let feed = SseServer::start(|_, _| Reply::status(302, "Found", &[], "nowhere"));
    let err = attempt(&Request::get(feed.url("/").parse().unwrap())).await.unwrap_err();
    assert!(matches!(err, ConnectError::Status { status: 302, .. }), "{err:?}");
}
