//! A feed's stored configuration, checked and compiled once into what its supervisor runs:
//! the request, how it resumes, where an event's own id comes from, the mapping and filters.
//! A feed that cannot be compiled is stopped with the reason, never half-run.

use std::time::Duration;

use herald_model::{AuthKind, IdSource, Method, OnEnd, Preset, Resume};
use herald_secrets::Sensitive;
use herald_sse::Request;
use herald_store::{Feed, Millis};
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use url::Url;

use crate::auth::{AuthError, apply};
use crate::filters::FilterSet;
use crate::mapping::Mapping;
use herald_model::presets::DEFAULT_IDLE_TIMEOUT;

/// Everything that, when it changes, needs a new connection. Other changes (mapping, filters,
/// mute) apply to the running connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Connection {
    pub url: Url,
    pub method: Method,
    pub body: Option<Vec<u8>>,
    pub headers: Vec<(String, String)>,
    pub auth: AuthKind,
    pub resume: Resume,
    pub id_source: IdSource,
    pub ca_pem: Option<Vec<u8>>,
    pub idle_timeout: Duration,
    pub max_backoff: Duration,
    pub on_end: OnEnd,
}

#[derive(Debug)]
pub struct FeedPlan {
    pub id: String,
    pub name: String,
    pub preset: Preset,
    pub connection: Connection,
    pub mapping: Mapping,
    pub filters: FilterSet,
    pub notify: NotifyPolicy,
}

/// How a feed's stored events become notifications.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotifyPolicy {
    pub feed_name: String,
    pub preset: Preset,
    pub muted: bool,
    pub snooze_until: Option<Millis>,
    /// Per-feed overrides of the app-wide coalescing settings.
    pub coalesce_count: Option<u32>,
    pub coalesce_window: Option<Duration>,
    pub silence_alert: Option<Duration>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct PlanError(pub String);

impl FeedPlan {
    pub fn compile(feed: &Feed) -> Result<Self, PlanError> {
        let spec = &feed.spec;
        let err = |s: String| PlanError(s);
        if let Some(unreadable) = spec.unreadable.first() {
            return Err(err(unreadable.to_string()));
        }
        let url = Url::parse(&spec.url).map_err(|e| err(format!("the URL is not valid: {e}")))?;
        // The settings are types, checked where their text came in; what is left to check
        // here is what reads files or compiles templates.
        let (preset, method) = (spec.preset, spec.method);
        let ca_pem = match &spec.ca_file {
            Some(path) => Some(
                crate::input_file::read(std::path::Path::new(path), crate::input_file::CA_BUNDLE)
                    .map_err(|e| err(e.to_string()))?,
            ),
            None => None,
        };
        let mapping = Mapping::compile(
            preset,
            spec.title_template.as_deref(),
            spec.body_template.as_deref(),
            spec.link_template.as_deref(),
        )
        .map_err(err)?;
        let filters = FilterSet::compile(&spec.filters).map_err(err)?;
        let secs = |s: Option<u32>| s.map(|s| Duration::from_secs(u64::from(s)));
        let connection = Connection {
            url,
            method,
            body: spec.body.as_ref().map(|b| b.as_bytes().to_vec()),
            headers: spec.headers.clone(),
            auth: spec.auth.clone(),
            resume: spec.resume.clone(),
            id_source: spec.id_source.clone(),
            ca_pem,
            // At least a second, whatever a row edited by hand says: a zero would give up on
            // every connection at once.
            idle_timeout: secs(spec.idle_timeout_s)
                .unwrap_or(DEFAULT_IDLE_TIMEOUT)
                .max(Duration::from_secs(1)),
            max_backoff: secs(spec.tuning.max_backoff_s).unwrap_or(herald_sse::DEFAULT_CAP),
            on_end: spec.tuning.on_end.unwrap_or(OnEnd::default_for(method)),
        };
        // Build the request once now, so a bad header is reported at once, not at connect time.
        connection.request("", None).map_err(|e| err(e.to_string()))?;
        Ok(Self {
            id: feed.id.clone(),
            name: spec.name.clone(),
            preset,
            connection,
            mapping,
            filters,
            notify: NotifyPolicy::of(feed),
        })
    }
}

impl NotifyPolicy {
    pub fn of(feed: &Feed) -> Self {
        let spec = &feed.spec;
        let secs = |s: Option<u32>| s.map(|s| Duration::from_secs(u64::from(s)));
        NotifyPolicy {
            feed_name: spec.name.clone(),
            preset: spec.preset,
            muted: spec.muted,
            snooze_until: spec.snooze_until,
            coalesce_count: spec.tuning.coalesce_count,
            coalesce_window: secs(spec.tuning.coalesce_window_s),
            silence_alert: secs(spec.tuning.silence_alert_s),
        }
    }
}

impl Connection {
    /// The request for one attempt, resuming at `position` the way the feed says.
    pub fn request(
        &self,
        position: &str,
        secret: Option<&Sensitive<String>>,
    ) -> Result<Request, AuthError> {
        let mut url = self.url.clone();
        let mut last_event_id = String::new();
        match &self.resume {
            Resume::Header => last_event_id = position.to_owned(),
            Resume::Query(param) => {
                // Replace, never add a second: a URL saved with `since=all` resumes from the
                // position once there is one.
                let kept: Vec<(String, String)> = url
                    .query_pairs()
                    .filter(|(k, _)| position.is_empty() || k != param)
                    .map(|(k, v)| (k.into_owned(), v.into_owned()))
                    .collect();
                if !position.is_empty() {
                    let mut pairs = url.query_pairs_mut();
                    pairs.clear().extend_pairs(kept).append_pair(param, position);
                }
            }
        }
        let mut headers = HeaderMap::new();
        for (name, value) in &self.headers {
            let name = HeaderName::from_bytes(name.as_bytes())
                .map_err(|_| AuthError::BadHeaderName(name.clone()))?;
            let value = HeaderValue::from_str(value).map_err(|_| AuthError::BadSecret)?;
            headers.append(name, value);
        }
        let mut request = Request {
            url: Some(url),
            method: self.method,
            body: self.body.clone(),
            headers,
            last_event_id,
            secrets: Vec::new(),
        };
        if self.auth.needs_secret() {
            // Compiling checks the shape without a secret; connecting always has one.
            if let Some(secret) = secret {
                apply(&self.auth, secret.expose(), &mut request)?;
            }
        }
        Ok(request)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use herald_store::FeedSpec;

    fn feed(spec: FeedSpec) -> Feed {
        Feed { id: "f1".into(), spec, created_at: 0, updated_at: 0 }
    }

    #[test]
    fn a_query_resume_carries_any_id_percent_encoded() {
        let plan = FeedPlan::compile(&feed(FeedSpec {
            name: "n".into(),
            url: "http://127.0.0.1:1/t/sse?x=1".into(),
            resume: Resume::Query("since".into()),
            ..FeedSpec::default()
        }))
        .unwrap();
        let request = plan.connection.request("a&b=c d\u{1}#é", None).unwrap();
        let url = request.url.unwrap();
        assert_eq!(url.query(), Some("x=1&since=a%26b%3Dc+d%01%23%C3%A9"));
        let since = url.query_pairs().find(|(k, _)| k == "since").unwrap().1.into_owned();
        assert_eq!(since, "a&b=c d\u{1}#é", "the server reads back exactly the id it sent");
    }

    #[test]
    fn query_resume_replaces_the_parameter_and_header_resume_sets_last_event_id() {
        let plan = FeedPlan::compile(&feed(FeedSpec {
            name: "n".into(),
            url: "http://127.0.0.1:1/t/sse?since=all&x=1".into(),
            resume: Resume::Query("since".into()),
            ..FeedSpec::default()
        }))
        .unwrap();
        let first = plan.connection.request("", None).unwrap();
        assert_eq!(first.url.unwrap().query(), Some("since=all&x=1"));
        let later = plan.connection.request("abc", None).unwrap();
        assert_eq!(later.url.unwrap().query(), Some("x=1&since=abc"));
        assert_eq!(later.last_event_id, "");
        let header = FeedPlan::compile(&feed(FeedSpec {
            name: "n".into(),
            url: "http://127.0.0.1:1/".into(),
            ..FeedSpec::default()
        }))
        .unwrap();
        assert_eq!(header.connection.request("42", None).unwrap().last_event_id, "42");
    }

    #[test]
    fn a_bad_configuration_is_refused_with_the_reason() {
        let bad = |spec: FeedSpec| FeedPlan::compile(&feed(spec)).unwrap_err().0;
        let base =
            FeedSpec { name: "n".into(), url: "http://127.0.0.1/".into(), ..FeedSpec::default() };
        assert!(bad(FeedSpec { url: "nope".into(), ..base.clone() }).contains("URL"));
        let unreadable = vec![herald_model::Unreadable {
            setting: herald_model::Stored::Auth,
            why: "\"magic\"".into(),
        }];
        assert!(
            bad(FeedSpec { unreadable, ..base.clone() }).contains("its stored auth does not read")
        );
        assert!(
            bad(FeedSpec { ca_file: Some("/nonexistent/ca.pem".into()), ..base.clone() })
                .contains("cannot read the CA certificate")
        );
        assert!(
            bad(FeedSpec { title_template: Some("{% if %}".into()), ..base.clone() })
                .contains("title template")
        );
        let headers = vec![("Bad Name".into(), "v".into())];
        assert!(bad(FeedSpec { headers, ..base }).contains("header name"));
    }
}
