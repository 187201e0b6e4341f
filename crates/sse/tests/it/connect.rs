//! One connection attempt against a real HTTP server on 127.0.0.1.

use herald_sse::{Attempt, ConnectError, Method, Parser, Request, http_client};
use herald_sse_server::{End, Reply, SseServer};
use reqwest::header::{HeaderName, HeaderValue};

fn request(url: &str) -> Request {
    Request::get(url.parse().unwrap())
}

async fn read_all(request: &Request) -> Result<Vec<herald_sse::OwnedItem>, ConnectError> {
    let client = http_client(None).unwrap();
    let mut connection = Attempt::start(&client, request).await?;
    let mut parser = Parser::new();
    let mut items = Vec::new();
    while let Ok(Some(chunk)) = connection.chunk().await {
        items.extend(parser.feed_owned(&chunk));
    }
    Ok(items)
}

#[tokio::test]
async fn a_stream_is_read_and_the_right_headers_are_sent() {
    let server = SseServer::start(|_, _| Reply::events("id: 1\ndata: hello\n\n"));
    let mut req = request(&server.url("/events?topic=a"));
    req.last_event_id = "41".into();
    req.headers.insert(HeaderName::from_static("x-extra"), HeaderValue::from_static("yes"));
    let items = read_all(&req).await.unwrap();
    assert_eq!(items, [crate::ev("message", "hello", "1", Some("1"))]);
    let seen = &server.requests()[0];
    assert_eq!(seen.method, "GET");
    assert_eq!(seen.target, "/events?topic=a");
    assert_eq!(seen.header("accept"), Some("text/event-stream"));
    assert_eq!(seen.header("cache-control"), Some("no-cache"));
    assert_eq!(seen.header("last-event-id"), Some("41"));
    assert_eq!(seen.header("x-extra"), Some("yes"));
}

#[tokio::test]
async fn no_last_event_id_header_when_there_is_none() {
    let server = SseServer::start(|_, _| Reply::events("data: a\n\n"));
    read_all(&request(&server.url("/"))).await.unwrap();
    assert_eq!(server.requests()[0].header("last-event-id"), None);
}

#[tokio::test]
async fn post_with_a_json_body() {
    let server = SseServer::start(|_, _| Reply::events("data: token\n\n"));
    let mut req = request(&server.url("/v1/run"));
    req.method = Method::Post;
    req.body = Some(br#"{"prompt":"hi"}"#.to_vec());
    assert_eq!(read_all(&req).await.unwrap(), [crate::msg("token")]);
    let seen = &server.requests()[0];
    assert_eq!(seen.method, "POST");
    assert_eq!(seen.header("content-type"), Some("application/json"));
    assert_eq!(seen.body, br#"{"prompt":"hi"}"#);
}

#[tokio::test]
async fn content_types_with_parameters_are_accepted_and_others_refused() {
    for accepted in ["text/event-stream; charset=utf-8", "Text/Event-Stream", "text/event-stream;"]
    {
        let ct = accepted.to_owned();
        let server = SseServer::start(move |_, _| Reply::Stream {
            content_type: ct.clone(),
            pieces: vec![b"data: a\n\n".to_vec()],
            pause: Default::default(),
            end: End::Close,
        });
        assert_eq!(
            read_all(&request(&server.url("/"))).await.unwrap(),
            [crate::msg("a")],
            "{accepted}"
        );
    }
    let server = SseServer::start(|_, _| {
        Reply::status(200, "OK", &[("Content-Type", "text/html")], "<html>")
    });
    let err = read_all(&request(&server.url("/"))).await.unwrap_err();
    assert!(matches!(&err, ConnectError::ContentType { found } if found == "text/html"), "{err:?}");
    assert_eq!(
        err.to_string(),
        "the server did not send an event stream (Content-Type: text/html)"
    );
    let server = SseServer::start(|_, _| Reply::status(200, "OK", &[], "data: a\n\n"));
    let err = read_all(&request(&server.url("/"))).await.unwrap_err();
    assert!(err.to_string().contains("Content-Type: none"), "{err}");
}

#[tokio::test]
async fn status_204_means_stop() {
    let server = SseServer::start(|_, _| {
        Reply::Raw(b"HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n".to_vec())
    });
    let err = read_all(&request(&server.url("/"))).await.unwrap_err();
    assert!(matches!(err, ConnectError::Stop));
    assert_eq!(err.to_string(), "the server asked Herald to stop (204 No Content)");
}

#[tokio::test]
async fn error_statuses_say_what_the_server_said() {
    let cases = [
        (401, "Unauthorized", "bad token", true),
        (403, "Forbidden", "", true),
        (404, "Not Found", "no such topic", false),
        (500, "Internal Server Error", "<html><body>\n  boom\n</body></html>", false),
    ];
    for (code, reason, body, auth) in cases {
        let server = SseServer::start(move |_, _| Reply::status(code, reason, &[], body));
        let err = read_all(&request(&server.url("/"))).await.unwrap_err();
        assert_eq!(err.is_auth_rejection(), auth, "{code}");
        let words = err.to_string();
        assert!(words.starts_with(&format!("the server answered {code}: {reason}")), "{words}");
        if code == 500 {
            assert!(
                words.ends_with("<html><body> boom </body></html>"),
                "excerpt on one line: {words}"
            );
        }
    }
}

#[tokio::test]
async fn retry_after_is_read_on_503_and_429() {
    for code in [429u16, 503] {
        let server =
            SseServer::start(move |_, _| Reply::status(code, "Busy", &[("Retry-After", "7")], ""));
        let err = read_all(&request(&server.url("/"))).await.unwrap_err();
        assert_eq!(err.retry_after(), Some(std::time::Duration::from_secs(7)), "{code}");
    }
}

#[tokio::test]
async fn retry_after_may_be_an_http_date() {
    let in_ten_minutes =
        httpdate::fmt_http_date(std::time::SystemTime::now() + std::time::Duration::from_secs(600));
    for (value, low, high) in
        [(in_ten_minutes.as_str(), 590, 600), ("Wed, 21 Oct 2015 07:28:00 GMT", 0, 0)]
    {
        let value = value.to_owned();
        let server = SseServer::start(move |_, _| {
            Reply::status(503, "Busy", &[("Retry-After", &value)], "")
        });
        let err = read_all(&request(&server.url("/"))).await.unwrap_err();
        let wait = err.retry_after().unwrap().as_secs();
        assert!((low..=high).contains(&wait), "{wait}");
    }
}

#[tokio::test]
async fn relative_redirects_are_followed() {
    for code in [301u16, 307] {
        let server = SseServer::start(move |req, _| {
            if req.target == "/old" {
                Reply::status(code, "Moved", &[("Location", "/new/stream")], "")
            } else {
                Reply::events("data: moved\n\n")
            }
        });
        assert_eq!(read_all(&request(&server.url("/old"))).await.unwrap(), [crate::msg("moved")]);
        let targets: Vec<String> = server.requests().into_iter().map(|r| r.target).collect();
        assert_eq!(targets, ["/old", "/new/stream"]);
    }
}

#[tokio::test]
async fn an_abrupt_close_mid_event_never_dispatches_the_partial_event() {
    let server = SseServer::start(|_, _| Reply::events("data: whole\n\ndata: par"));
    assert_eq!(read_all(&request(&server.url("/"))).await.unwrap(), [crate::msg("whole")]);
}

#[tokio::test]
async fn a_refused_connection_says_so() {
    // Bind and drop a listener: nothing listens on that port afterwards.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let err = read_all(&request(&format!("http://127.0.0.1:{port}/"))).await.unwrap_err();
    let words = err.to_string();
    assert!(words.starts_with("cannot connect to the server"), "{words}");
    assert!(words.to_lowercase().contains("refused"), "{words}");
}

#[tokio::test]
async fn only_http_and_https_urls() {
    let err = read_all(&request("file:///etc/passwd")).await.unwrap_err();
    assert!(matches!(err, ConnectError::InvalidRequest(_)));
    assert!(err.to_string().contains("only http and https"), "{err}");
}

#[tokio::test]
async fn a_bad_ca_file_is_a_clear_error() {
    let err = http_client(Some(b"not a certificate")).unwrap_err();
    assert!(err.to_string().contains("CA"), "{err}");
}

/// A legal event id that no header can carry must not stop the feed: the attempt goes out
/// without `Last-Event-ID` (it used to fail as "the request is not valid", forever).
#[tokio::test]
async fn an_id_that_cannot_be_a_header_is_left_out_instead_of_failing() {
    let server = SseServer::start(|_, _| Reply::events("data: a\n\n"));
    let mut req = request(&server.url("/"));
    req.last_event_id = "bad\u{1}id".into();
    let items = read_all(&req).await.expect("the attempt goes out");
    assert_eq!(items.len(), 1);
    assert_eq!(server.requests()[0].header("last-event-id"), None);
}

#[tokio::test]
async fn an_error_page_or_content_type_that_echoes_the_request_keeps_no_secret() {
    let server = SseServer::start(|req, n| {
        let echo = format!(
            "{} {} {}",
            req.target,
            req.header("authorization").unwrap_or(""),
            req.header("x-api-key").unwrap_or("")
        );
        if n == 0 {
            Reply::status(401, "Unauthorized", &[], &format!("<p>you sent {echo}</p>"))
        } else {
            Reply::status(200, "OK", &[("Content-Type", &format!("text/html; {echo}"))], "")
        }
    });
    let mut req = request(&server.url("/events?auth=q-secret-1&token=t-secret-2"));
    req.secrets.push("q-secret-1".into());
    let mut bearer = HeaderValue::from_static("Bearer b-secret-3");
    bearer.set_sensitive(true);
    req.headers.insert(reqwest::header::AUTHORIZATION, bearer);
    let mut key = HeaderValue::from_static("h-secret-4");
    key.set_sensitive(true);
    req.headers.insert(HeaderName::from_static("x-api-key"), key);
    for _ in 0..2 {
        let words = read_all(&req).await.unwrap_err().to_string();
        assert!(words.contains("you sent") || words.contains("Content-Type"), "{words}");
        for secret in ["q-secret-1", "t-secret-2", "b-secret-3", "h-secret-4"] {
            assert!(!words.contains(secret), "{secret} in {words}");
        }
    }
}
