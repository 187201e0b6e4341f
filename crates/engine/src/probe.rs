//! "Test connection": one attempt with a feed's settings, nothing stored, nothing notified. It
//! reports what a person needs to fix a feed: the answer's headers (secrets hidden), the first
//! events as they would be notified, or what went wrong, in words.

use std::time::Duration;

use herald_secrets::Sensitive;
use herald_sse::{Attempt, Item, Parser};
use herald_store::Feed;

use crate::plan::FeedPlan;
use crate::shaper;

/// How long a test waits, and for how many events.
#[derive(Debug, Clone, Copy)]
pub struct ProbeLimits {
    pub max_events: usize,
    /// From the start of the attempt; a live feed that sends nothing ends the test after this.
    pub wait: Duration,
}

impl Default for ProbeLimits {
    fn default() -> Self {
        Self { max_events: 3, wait: Duration::from_secs(5) }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ProbeReport {
    /// Whether the server answered with an event stream.
    pub connected: bool,
    /// Response headers, with the values of secret-looking ones replaced by `<redacted>`.
    pub headers: Vec<(String, String)>,
    pub events: Vec<ProbeEvent>,
    /// What went wrong, in words (also after a good start, when the stream broke).
    pub error: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProbeEvent {
    pub event_type: String,
    pub id: Option<String>,
    pub data: String,
    pub title: String,
    pub body: String,
    pub link: Option<String>,
    /// Whether the feed keeps it: not a heartbeat or control event, and through the filters (a
    /// dropped event goes nowhere, not even the history).
    pub kept: bool,
}

/// Connects once with `feed`'s settings and `secret`, and reports.
pub async fn probe(
    feed: &Feed,
    secret: Option<&Sensitive<String>>,
    limits: ProbeLimits,
) -> ProbeReport {
    let failed = |error: String| ProbeReport { error: Some(error), ..ProbeReport::default() };
    let plan = match FeedPlan::compile(feed) {
        Ok(plan) => plan,
        Err(e) => return failed(e.to_string()),
    };
    if plan.connection.auth.needs_secret() && secret.is_none() {
        return failed("this feed's credentials are needed: enter the secret".into());
    }
    let request = match plan.connection.request("", secret) {
        Ok(request) => request,
        Err(e) => return failed(e.to_string()),
    };
    let client = match herald_sse::http_client(plan.connection.ca_pem.as_deref()) {
        Ok(client) => client,
        Err(e) => return failed(e.to_string()),
    };
    let mut report = ProbeReport::default();
    let scrubber = request.scrubber();
    let run = async {
        let mut connection = match Attempt::start(&client, &request).await {
            Ok(connection) => connection,
            Err(e) => {
                report.error = Some(e.to_string());
                return;
            }
        };
        report.connected = true;
        report.headers = redacted_headers(connection.headers(), &plan, &scrubber);
        let mut parser = Parser::new();
        while report.events.len() < limits.max_events {
            match connection.chunk().await {
                Ok(Some(chunk)) => parser.feed(&chunk, &mut |item| match item {
                    Item::Event(event) => report.events.push(describe(&plan, &event)),
                    Item::EventTooLarge { limit } => {
                        report.error =
                            Some(format!("an event larger than {limit} bytes was dropped"));
                    }
                    Item::Comment(_) | Item::Retry(_) => {}
                }),
                Ok(None) => {
                    report.error = Some("the server ended the stream".into());
                    return;
                }
                Err(e) => {
                    report.error = Some(e.to_string());
                    return;
                }
            }
        }
    };
    if tokio::time::timeout(limits.wait, run).await.is_err() && !report.connected {
        report.error = Some(format!("no answer within {} s", limits.wait.as_secs()));
    }
    report.events.truncate(limits.max_events);
    report
}

/// The event as the engine would take it: the same reading, rule for chatter and filters.
fn describe(plan: &FeedPlan, event: &herald_sse::EventRef<'_>) -> ProbeEvent {
    let shaper::Look { chatter, json, own_id } = shaper::look(plan, event);
    let (mapped, keep) = shaper::judge(plan, event, own_id.as_deref(), json.as_ref());
    ProbeEvent {
        event_type: event.event_type.to_owned(),
        id: own_id,
        data: event.data.to_owned(),
        title: mapped.rendered.title,
        body: mapped.rendered.body,
        link: mapped.rendered.link,
        kept: chatter.is_none() && keep,
    }
}

/// Headers as shown to a person: credentials and session cookies never are, nor the feed's own
/// auth header should a server echo it.
fn redacted_headers(
    headers: &reqwest::header::HeaderMap,
    plan: &FeedPlan,
    scrubber: &herald_sse::Scrubber,
) -> Vec<(String, String)> {
    let own = match &plan.connection.auth {
        herald_model::AuthKind::Header(name) => Some(name.to_ascii_lowercase()),
        _ => None,
    };
    headers
        .iter()
        .map(|(name, value)| {
            let name = name.as_str().to_owned();
            let secret = is_secret_header(&name) || own.as_deref() == Some(name.as_str());
            let value = if secret {
                "<redacted>".to_owned()
            } else {
                scrubber.scrub(&String::from_utf8_lossy(value.as_bytes())).into_owned()
            };
            (name, value)
        })
        .collect()
}

fn is_secret_header(lowercase_name: &str) -> bool {
    matches!(
        lowercase_name,
        "authorization" | "proxy-authorization" | "cookie" | "set-cookie" | "www-authenticate"
    ) || ["token", "secret", "key", "auth", "session", "password"]
        .iter()
        .any(|word| lowercase_name.contains(word))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_looking_headers_are_recognised() {
        for name in ["authorization", "set-cookie", "x-api-key", "x-auth-token", "x-session-id"] {
            assert!(is_secret_header(name), "{name}");
        }
        for name in ["content-type", "cache-control", "x-accel-buffering", "server"] {
            assert!(!is_secret_header(name), "{name}");
        }
    }
}
