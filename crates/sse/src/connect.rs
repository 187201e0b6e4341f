//! One connection attempt: send the request, check that the answer really is an event stream,
//! and hand out its body chunk by chunk. Every way it can fail becomes an error that says, in
//! plain words, what the server or the network did; the caller decides whether to retry.

use std::time::Duration;

use bytes::Bytes;
use reqwest::header::{
    ACCEPT, CACHE_CONTROL, CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue, LOCATION, RETRY_AFTER,
};
use url::Url;

use crate::redirect::{self, MAX_REDIRECTS, RedirectError};
use crate::scrub::{SECRET_QUERY_KEYS, Scrubber};

pub use herald_model::Method;

/// What to ask the server for. Headers may carry secrets: they are never logged or shown.
#[derive(Clone, Default)]
pub struct Request {
    pub url: Option<Url>,
    pub method: Method,
    pub body: Option<Vec<u8>>,
    pub headers: HeaderMap,
    /// Sent as `Last-Event-ID` when not empty.
    pub last_event_id: String,
    /// The feed's secrets as entered (whatever auth kind placed them), so that a server's echo
    /// of them is hidden from errors; sensitive headers and URL tokens are found on their own.
    pub secrets: Vec<String>,
}

impl std::fmt::Debug for Request {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Request")
            .field("url", &self.url.as_ref().map(redacted_url))
            .field("method", &self.method)
            .field("headers", &self.headers.keys().collect::<Vec<_>>())
            .field("last_event_id", &self.last_event_id)
            .finish_non_exhaustive()
    }
}

impl Request {
    pub fn get(url: Url) -> Self {
        Self { url: Some(url), ..Self::default() }
    }

    /// Hides every secret this request carries in text its server sends back.
    pub fn scrubber(&self) -> Scrubber {
        Scrubber::for_parts(&self.secrets, &self.headers, self.url.as_ref())
    }
}

/// A URL fit for logs and messages: no userinfo, and token-like query values hidden.
pub fn redacted_url(url: &Url) -> String {
    let mut url = url.clone();
    let _ = url.set_username("");
    let _ = url.set_password(None);
    if url.query().is_some() {
        let pairs: Vec<(String, String)> = url
            .query_pairs()
            .map(|(k, v)| {
                let secret = SECRET_QUERY_KEYS.contains(&k.to_ascii_lowercase().as_str());
                (k.into_owned(), if secret { "<redacted>".to_owned() } else { v.into_owned() })
            })
            .collect();
        url.query_pairs_mut().clear().extend_pairs(pairs);
    }
    url.to_string()
}

#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error("the server asked Herald to stop (204 No Content)")]
    Stop,
    #[error("the server answered {status}{}", excerpt_words(.excerpt))]
    Status { status: u16, status_text: String, excerpt: String, retry_after: Option<Duration> },
    #[error("the server did not send an event stream (Content-Type: {found})")]
    ContentType { found: String },
    #[error("{0}")]
    Network(String),
    #[error("the request is not valid: {0}")]
    InvalidRequest(String),
    #[error(transparent)]
    Redirect(#[from] RedirectError),
}

fn excerpt_words(excerpt: &str) -> String {
    if excerpt.is_empty() { String::new() } else { format!(": {excerpt}") }
}

/// What a failed attempt means for the next one (ARCHITECTURE.md, "Reconnection rules").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    /// Network errors, 5xx, clean ends: try again after the usual backoff.
    Retry,
    /// 404 and 410: the URL may come back, but not soon; wait the longest delay.
    RetryAtCap,
    /// 204: the server said stop.
    Stop,
    /// 401 and 403: nothing changes until the credentials do.
    StopUntilCredentialsChange,
    /// The request itself is wrong (bad URL, bad header); retrying cannot help.
    StopInvalid,
}

impl ConnectError {
    pub fn next(&self) -> Next {
        match self {
            ConnectError::Stop => Next::Stop,
            ConnectError::Status { status: 401 | 403, .. } => Next::StopUntilCredentialsChange,
            // A moved-away URL, like a redirect Herald refuses to follow, is not fixed soon.
            ConnectError::Status { status: 404 | 410, .. } | ConnectError::Redirect(_) => {
                Next::RetryAtCap
            }
            ConnectError::InvalidRequest(_) => Next::StopInvalid,
            ConnectError::Status { .. }
            | ConnectError::ContentType { .. }
            | ConnectError::Network(_) => Next::Retry,
        }
    }

    /// 401 and 403: the credentials were rejected, and retrying will not change that.
    pub fn is_auth_rejection(&self) -> bool {
        matches!(self, ConnectError::Status { status: 401 | 403, .. })
    }

    /// How long the server asked us to wait (Retry-After on 429 and 503).
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            ConnectError::Status { retry_after, .. } => *retry_after,
            _ => None,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StreamError {
    #[error("the connection broke while reading: {0}")]
    Interrupted(String),
}

/// Builds the HTTP client feeds share: rustls with the platform's trust store (plus an optional
/// extra CA for a self-hosted server). There is no switch to accept any certificate, by design.
pub fn http_client(extra_ca_pem: Option<&[u8]>) -> Result<reqwest::Client, ConnectError> {
    install_crypto_provider();
    let mut builder = reqwest::Client::builder()
        // Redirects are followed by `Attempt::start`, which keeps credentials on their origin;
        // no Referer, which would carry a `query:` secret to wherever the server points.
        .redirect(reqwest::redirect::Policy::none())
        .referer(false)
        .connect_timeout(Duration::from_secs(15))
        .user_agent(concat!("Herald/", env!("CARGO_PKG_VERSION")));
    if let Some(pem) = extra_ca_pem {
        let certs = reqwest::Certificate::from_pem_bundle(pem).map_err(|e| {
            ConnectError::InvalidRequest(format!("the CA certificate is not valid PEM: {e}"))
        })?;
        if certs.is_empty() {
            return Err(ConnectError::InvalidRequest("the CA file holds no certificate".into()));
        }
        // Merged with the platform's roots: the extra CA adds trust, it never replaces it.
        builder = builder.tls_certs_merge(certs);
    }
    builder.build().map_err(|e| ConnectError::Network(error_words(&e)))
}

fn install_crypto_provider() {
    // Once per process; a second call (or another crate's) is harmless.
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// A connection whose status and content type were accepted.
#[derive(Debug)]
pub struct Connection {
    response: reqwest::Response,
}

/// Starting an attempt.
#[derive(Debug)]
pub struct Attempt;

impl Attempt {
    pub async fn start(
        client: &reqwest::Client,
        request: &Request,
    ) -> Result<Connection, ConnectError> {
        let mut url =
            request.url.clone().ok_or_else(|| ConnectError::InvalidRequest("no URL".into()))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(ConnectError::InvalidRequest(format!(
                "only http and https URLs can be subscribed to, not {}:",
                url.scheme()
            )));
        }
        let first = url.origin();
        let scrubber = request.scrubber();
        let mut method = request.method;
        let mut same_origin = true;
        for _ in 0..=MAX_REDIRECTS {
            let response = send(client, request, url.clone(), method, same_origin).await?;
            let status = response.status();
            let location = response.headers().get(LOCATION).map(|v| v.as_bytes().to_vec());
            match location {
                Some(location) if redirect::is_redirect(status) => {
                    let location = String::from_utf8_lossy(&location);
                    let hop =
                        redirect::next_hop(&first, &url, method, same_origin, status, &location)?;
                    if same_origin && !hop.same_origin {
                        tracing::info!(
                            "the server redirected to another origin ({}); the feed's headers \
                             and credentials are not sent there",
                            scrubber.scrub(&redacted_url(&hop.url))
                        );
                    }
                    (url, method, same_origin) = (hop.url, hop.method, hop.same_origin);
                }
                _ => return accept(response, &scrubber).await,
            }
        }
        Err(RedirectError::TooMany.into())
    }
}

/// One request of an attempt, to `url` (the feed's, or a redirect's). The feed's configured
/// headers (where its credentials live) go only to the feed's own origin.
async fn send(
    client: &reqwest::Client,
    request: &Request,
    url: Url,
    method: Method,
    same_origin: bool,
) -> Result<reqwest::Response, ConnectError> {
    let mut builder = match method {
        Method::Get => client.get(url),
        Method::Post => client.post(url).header(CONTENT_TYPE, "application/json"),
    };
    if same_origin {
        builder = builder.headers(request.headers.clone());
    }
    builder = builder.header(ACCEPT, "text/event-stream").header(CACHE_CONTROL, "no-cache");
    if !request.last_event_id.is_empty() {
        // `id: bad\x01id` is legal SSE but no legal header value. Refusing the request
        // would stop the feed for good (the id is saved as its position), so the attempt
        // goes out without it: the server starts over and own ids catch what repeats.
        match HeaderValue::from_str(&request.last_event_id) {
            Ok(value) => {
                builder = builder.header(HeaderName::from_static("last-event-id"), value);
            }
            Err(_) => tracing::warn!(
                "the last event id cannot be sent as a header (it holds control characters); \
                 connecting without it"
            ),
        }
    }
    if let (Method::Post, Some(body)) = (method, &request.body) {
        builder = builder.body(body.clone());
    }
    builder.send().await.map_err(|e| ConnectError::Network(error_words(&e)))
}

/// Checks the final answer's status and content type. What the server wrote goes through
/// `scrubber`: an error page may echo the request's credentials.
async fn accept(
    response: reqwest::Response,
    scrubber: &Scrubber,
) -> Result<Connection, ConnectError> {
    let status = response.status();
    if status == reqwest::StatusCode::NO_CONTENT {
        return Err(ConnectError::Stop);
    }
    if status != reqwest::StatusCode::OK {
        let retry_after = response.headers().get(RETRY_AFTER).and_then(parse_retry_after);
        let status_text = status.canonical_reason().unwrap_or("").to_owned();
        let excerpt = body_excerpt(response, scrubber).await;
        return Err(ConnectError::Status {
            status: status.as_u16(),
            status_text: status_text.clone(),
            excerpt: if status_text.is_empty() { excerpt } else { join(&status_text, &excerpt) },
            retry_after,
        });
    }
    let content_type = response
        .headers()
        .get(CONTENT_TYPE)
        .map(|v| scrubber.scrub(&String::from_utf8_lossy(v.as_bytes())).into_owned());
    let is_stream = content_type.as_deref().is_some_and(|ct| {
        ct.split(';')
            .next()
            .is_some_and(|essence| essence.trim().eq_ignore_ascii_case("text/event-stream"))
    });
    if !is_stream {
        return Err(ConnectError::ContentType {
            found: content_type.unwrap_or_else(|| "none".into()),
        });
    }
    Ok(Connection { response })
}

impl Connection {
    /// Response headers, for "Test connection" (the caller redacts what it shows).
    pub fn headers(&self) -> &HeaderMap {
        self.response.headers()
    }

    /// The next piece of the body, or None when the server ended the stream cleanly.
    pub async fn chunk(&mut self) -> Result<Option<Bytes>, StreamError> {
        self.response.chunk().await.map_err(|e| StreamError::Interrupted(error_words(&e)))
    }
}

fn join(status_text: &str, excerpt: &str) -> String {
    if excerpt.is_empty() { status_text.to_owned() } else { format!("{status_text}: {excerpt}") }
}

/// The start of an error body, on one line: enough to recognise "wrong topic" or a proxy's page.
/// Secrets are hidden before the text is cut, so that no cut leaves half of one behind.
async fn body_excerpt(mut response: reqwest::Response, scrubber: &Scrubber) -> String {
    let max = 512 + scrubber.longest();
    let mut bytes = Vec::new();
    let read = async {
        while bytes.len() < max {
            match response.chunk().await {
                Ok(Some(chunk)) => bytes.extend_from_slice(&chunk),
                _ => break,
            }
        }
    };
    // A server that sends a status and then stalls must not stall the attempt.
    let _ = tokio::time::timeout(Duration::from_secs(2), read).await;
    let cut = bytes.len() > max;
    bytes.truncate(max);
    let text = String::from_utf8_lossy(&bytes);
    let text = if cut { scrubber.cut_partial_tail(&text) } else { &text };
    let text = scrubber.scrub(text);
    let mut line: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if line.chars().count() > 200 {
        line = line.chars().take(200).collect::<String>() + "…";
    }
    line
}

/// `Retry-After` as delay-seconds or as an HTTP date (a date in the past is no wait). Any
/// value is safe: the caller bounds it.
fn parse_retry_after(value: &HeaderValue) -> Option<Duration> {
    let text = value.to_str().ok()?.trim();
    if let Ok(seconds) = text.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = httpdate::parse_http_date(text).ok()?;
    Some(at.duration_since(std::time::SystemTime::now()).unwrap_or(Duration::ZERO))
}

/// reqwest's error and its causes, in words: "error sending request: ... : Connection refused".
fn error_words(error: &reqwest::Error) -> String {
    let mut words = if error.is_connect() {
        "cannot connect to the server".to_owned()
    } else if error.is_timeout() {
        "the server did not answer in time".to_owned()
    } else {
        "the request failed".to_owned()
    };
    let mut source = std::error::Error::source(error);
    let mut last = String::new();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !text.is_empty() && !last.contains(&text) {
            last = text;
        }
        source = cause.source();
    }
    if !last.is_empty() {
        words.push_str(": ");
        words.push_str(&last);
    }
    words
}
