//! "Test connection" against a real loopback server: what the form shows for a good feed, a
//! rejected one, one that is not an event stream, and one that never answers.

use std::time::Duration;

use herald_engine::probe::{ProbeLimits, probe};
use herald_secrets::Sensitive;
use herald_sse_server::{End, Reply, SseServer};
use herald_store::{Feed, FeedSpec};

fn feed(url: String, tweak: impl FnOnce(&mut FeedSpec)) -> Feed {
    let mut spec = FeedSpec { name: "Probe".into(), url, ..FeedSpec::default() };
    tweak(&mut spec);
    Feed { id: "probe".into(), spec, created_at: 0, updated_at: 0 }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap()
}

const LIMITS: ProbeLimits = ProbeLimits { max_events: 2, wait: Duration::from_secs(10) };

#[test]
fn a_good_feed_shows_its_headers_with_secrets_hidden_and_its_first_events_as_notified() {
    let server = SseServer::start(|request, _| {
        let token = request.header("authorization").unwrap_or("").to_owned();
        let body = format!(
            "event: deploy\nid: 1\ndata: {{\"title\":\"Deployed\",\"message\":\"v2 is out\"}}\n\n\
             event: noise\ndata: skip me\n\ndata: third\n\n: seen {}\n\n",
            token.len()
        );
        Reply::Raw(
            format!(
                "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nSet-Cookie: s=abc\r\n\
                 X-Api-Key: echoed\r\nServer: loopback\r\n\r\n{body}"
            )
            .into_bytes(),
        )
    });
    let feed = feed(server.url("/events"), |spec| {
        spec.auth = "bearer".parse().unwrap();
        spec.filters.exclude_types = vec!["noise".into()];
        spec.title_template = Some("{{ json.title }}!".into());
    });
    let secret = Sensitive::new("t0ken".to_owned());
    let report = runtime().block_on(probe(&feed, Some(&secret), LIMITS));

    assert!(report.connected, "{report:?}");
    assert_eq!(server.requests()[0].header("authorization"), Some("Bearer t0ken"));
    let header =
        |name: &str| report.headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str());
    assert_eq!(header("content-type"), Some("text/event-stream"));
    assert_eq!(header("server"), Some("loopback"));
    assert_eq!(header("set-cookie"), Some("<redacted>"));
    assert_eq!(header("x-api-key"), Some("<redacted>"));
    assert_eq!(report.events.len(), 2, "stops at the limit: {:?}", report.events);
    let first = &report.events[0];
    assert_eq!((first.event_type.as_str(), first.id.as_deref()), ("deploy", Some("1")));
    assert_eq!(first.title, "Deployed!");
    assert!(first.kept);
    assert_eq!(report.events[1].event_type, "noise");
    assert!(!report.events[1].kept, "the filter drops it");
    assert_eq!(report.error, None);
}

#[test]
fn failures_are_reported_in_words() {
    let server = SseServer::start(|request, _| match request.target.as_str() {
        "/denied" => Reply::status(401, "Unauthorized", &[], "bad token"),
        "/page" => Reply::status(200, "OK", &[("Content-Type", "text/html")], "<html>"),
        "/quiet" => Reply::stream(vec![b": hello\n\n".to_vec()], End::Hold),
        _ => Reply::status(404, "Not Found", &[], "no such topic"),
    });
    let rt = runtime();
    let run = |path: &str, limits: ProbeLimits| {
        rt.block_on(probe(&feed(server.url(path), |_| {}), None, limits))
    };

    let denied = run("/denied", LIMITS);
    assert!(!denied.connected);
    let words = denied.error.unwrap();
    assert!(words.contains("401") && words.contains("bad token"), "{words}");

    let page = run("/page", LIMITS);
    assert!(page.error.unwrap().contains("text/html"));

    let quiet = run("/quiet", ProbeLimits { max_events: 2, wait: Duration::from_millis(300) });
    assert!(quiet.connected && quiet.events.is_empty() && quiet.error.is_none(), "{quiet:?}");

    let needs = feed(server.url("/x"), |spec| spec.auth = "bearer".parse().unwrap());
    let report = rt.block_on(probe(&needs, None, LIMITS));
    assert!(report.error.unwrap().contains("secret"));
    assert!(server.requests().iter().all(|r| r.target != "/x"), "never tried without it");

    let bad = feed("ftp://127.0.0.1/".into(), |_| {});
    assert!(rt.block_on(probe(&bad, None, LIMITS)).error.is_some());
}

#[test]
fn heartbeats_and_control_events_are_shown_as_not_kept_as_the_engine_treats_them() {
    let server = SseServer::start(|request, _| match request.target.as_str() {
        "/django" => Reply::events(
            "event: stream-open\ndata:\n\nevent: keep-alive\ndata:\n\ndata: hello\n\n",
        ),
        _ => Reply::events(
            "event: open\ndata: {\"id\":\"o1\",\"event\":\"open\"}\n\n\
             event: message\ndata: {\"id\":\"m1\",\"event\":\"message\",\"message\":\"hi\"}\n\n",
        ),
    });
    let rt = runtime();
    let limits = ProbeLimits { max_events: 3, wait: Duration::from_secs(10) };
    let django = rt.block_on(probe(&feed(server.url("/django"), |_| {}), None, limits));
    let seen: Vec<_> = django.events.iter().map(|e| (e.event_type.as_str(), e.kept)).collect();
    assert_eq!(seen, [("stream-open", false), ("keep-alive", false), ("message", true)]);

    let asked = feed(server.url("/django"), |spec| {
        spec.filters.include_types = vec!["keep-alive".into()];
    });
    let report = rt.block_on(probe(&asked, None, limits));
    assert!(report.events[1].kept, "a heartbeat the feed includes by name is kept");

    let ntfy = feed(server.url("/ntfy"), |spec| {
        spec.preset = "ntfy".parse().unwrap();
        spec.id_source = "json:/id".parse().unwrap();
        spec.resume = "query:since".parse().unwrap();
    });
    let report = rt.block_on(probe(&ntfy, None, ProbeLimits { max_events: 2, ..limits }));
    let seen: Vec<_> =
        report.events.iter().map(|e| (e.event_type.as_str(), e.id.as_deref(), e.kept)).collect();
    assert_eq!(seen, [("open", Some("o1"), false), ("message", Some("m1"), true)]);
}
