//! The settings window's feed form: one feed's settings as the form edits them, saving (with
//! its secret going to the keyring, never anywhere else), deleting, a live preview of the
//! templates and "Test connection". Checks are the same as the command line's (`feeds`).

use herald_engine::mapping::{EventContext, Mapping};
use herald_engine::probe::{self, ProbeLimits};
use herald_secrets::{SecretStore, Sensitive};
use herald_store::{Feed, FeedSpec, HistoryQuery, Store};

use herald_model::{AuthKind, IdSource, Method, OnEnd, Preset, Resume};

use crate::feeds::{self, FeedOptions};
use crate::store_access::StoreAccess;
use crate::views::FeedView;
use crate::{ApiError, Field};

/// A feed's settings as the form shows them; text fields are "" when unset.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct FeedForm {
    pub name: String,
    pub url: String,
    pub preset: Preset,
    /// The kind of credentials; the secret is never here.
    pub auth: AuthKind,
    /// Non-secret request headers, one `Name: value` each.
    pub headers: Vec<String>,
    pub method: Method,
    /// The JSON body to POST.
    pub body: String,
    pub resume: Resume,
    pub id_source: IdSource,
    pub title_template: String,
    pub body_template: String,
    pub link_template: String,
    pub include_types: Vec<String>,
    pub exclude_types: Vec<String>,
    /// `/pointer OP VALUE` conditions the JSON data must meet.
    pub conditions: Vec<String>,
    pub min_priority: Option<u8>,
    pub idle_timeout_s: Option<u32>,
    /// When the stream ends; none: the method's default.
    pub on_end: Option<OnEnd>,
    pub muted: bool,
    pub enabled: bool,
    /// What of the stored feed did not read (a row edited by hand), in words: the form shows
    /// those settings' defaults, and saving stores what it shows. Only shown: what comes back
    /// from the window is ignored.
    #[serde(default)]
    pub unreadable: Vec<String>,
}

impl Default for FeedForm {
    fn default() -> Self {
        FeedForm::from(&FeedSpec::default())
    }
}

impl From<&FeedSpec> for FeedForm {
    fn from(spec: &FeedSpec) -> Self {
        let text = |s: &Option<String>| s.clone().unwrap_or_default();
        FeedForm {
            name: spec.name.clone(),
            url: spec.url.clone(),
            preset: spec.preset,
            auth: spec.auth.clone(),
            headers: spec.headers.iter().map(|(n, v)| format!("{n}: {v}")).collect(),
            method: spec.method,
            body: text(&spec.body),
            resume: spec.resume.clone(),
            id_source: spec.id_source.clone(),
            title_template: text(&spec.title_template),
            body_template: text(&spec.body_template),
            link_template: text(&spec.link_template),
            include_types: spec.filters.include_types.clone(),
            exclude_types: spec.filters.exclude_types.clone(),
            conditions: spec.filters.conditions.clone(),
            min_priority: spec.filters.min_priority,
            idle_timeout_s: spec.idle_timeout_s,
            on_end: spec.tuning.on_end,
            muted: spec.muted,
            enabled: spec.enabled,
            unreadable: spec.unreadable.iter().map(ToString::to_string).collect(),
        }
    }
}

impl FeedForm {
    /// The form with another preset chosen, its connection settings brought along where the
    /// form still shows the old preset's ([`Preset::switch`], as `feeds add --preset` does).
    pub fn with_preset(mut self, preset: Preset) -> FeedForm {
        self.preset.switch(preset, &mut self.resume, &mut self.id_source, &mut self.idle_timeout_s);
        self.preset = preset;
        self
    }

    fn auth_kind(&self) -> Result<AuthKind, ApiError> {
        Ok(self.auth.clone().check()?)
    }

    /// The options this form sets.
    fn options(&self) -> Result<FeedOptions, ApiError> {
        let lines = |list: &[String]| -> Vec<String> {
            list.iter().map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()).collect()
        };
        let body = self.body.trim();
        let options = FeedOptions {
            url: Some(self.url.trim().to_owned()),
            name: Some(self.name.clone()).filter(|n| !n.trim().is_empty()),
            preset: Some(self.preset),
            headers: Some(lines(&self.headers)),
            method: Some(self.method),
            body: (!body.is_empty()).then(|| body.to_owned()),
            auth: Some(self.auth_kind()?),
            resume: Some(self.resume.clone()),
            id_source: Some(self.id_source.clone()),
            title_template: Some(self.title_template.clone()),
            body_template: Some(self.body_template.clone()),
            link_template: Some(self.link_template.clone()),
            include_types: Some(lines(&self.include_types)),
            exclude_types: Some(lines(&self.exclude_types)),
            conditions: Some(lines(&self.conditions)),
            min_priority: self.min_priority,
            ca_file: None,
            idle_timeout_s: self.idle_timeout_s,
            on_end: Some(self.on_end),
            enabled: Some(self.enabled),
            muted: Some(self.muted),
            snooze_until: None,
        };
        Ok(options)
    }

    /// The spec this form describes, on top of `base` (the stored feed, or a new one).
    fn spec(&self, base: Option<&FeedSpec>) -> Result<FeedSpec, ApiError> {
        let mut spec = match base {
            Some(base) => base.clone(),
            None => FeedSpec { name: feeds::default_name(self.url.trim()), ..FeedSpec::default() },
        };
        let options = self.options()?;
        // The form switched presets as they were chosen (`with_preset`), showing what came
        // along: switching again here would bring back a setting the user cleared since.
        spec.preset = self.preset;
        if options.body.is_none() {
            spec.body = None;
        }
        if options.min_priority.is_none() {
            spec.filters.min_priority = None;
        }
        if options.idle_timeout_s.is_none() {
            spec.idle_timeout_s = None;
        }
        feeds::apply(&mut spec, options)?;
        Ok(spec)
    }
}

/// The form for a stored feed, or a blank one for a new feed.
pub(crate) fn form(store: &Store, feed_id: Option<&str>) -> Result<FeedForm, ApiError> {
    Ok(match feed_id {
        Some(id) => FeedForm::from(&store.feed(id)?.spec),
        None => FeedForm::default(),
    })
}

/// Adds (`feed_id` None) or changes a feed. `secret` is the newly typed secret, if any: an edit
/// that keeps its kind of credentials keeps the stored secret.
pub(crate) fn save(
    store: &mut impl StoreAccess,
    secrets: &dyn SecretStore,
    feed_id: Option<&str>,
    form: &FeedForm,
    secret: Option<Sensitive<String>>,
) -> Result<FeedView, ApiError> {
    let secret = secret.filter(|s| !s.expose().is_empty());
    let Some(id) = feed_id else {
        let feed = crate::credentials::add(store, secrets, form.options()?, secret)?;
        return store.with(|store| view(store, &feed.id));
    };
    let kind = form.auth_kind()?;
    let auth_changes = store.with(|store| -> Result<bool, ApiError> {
        let feed = store.feed(id)?;
        let mut spec = form.spec(Some(&feed.spec))?;
        // The kind of credentials changes with its secret, below, so the two never disagree;
        // a stored kind that did not read is replaced by what the form shows (it showed its
        // default, and said so), never by that default unseen.
        let unreadable =
            feed.spec.unreadable.iter().any(|u| u.setting == herald_model::Stored::Auth);
        spec.auth = if unreadable { kind.clone() } else { feed.spec.auth.clone() };
        let auth_changes = kind != feed.spec.auth || secret.is_some() || unreadable;
        if auth_changes && kind.needs_secret() && secret.is_none() {
            return Err(ApiError::Invalid {
                field: Field::Secret,
                message: "enter the secret for these credentials".into(),
            });
        }
        store.update_feed(id, &spec)?;
        Ok(auth_changes)
    })?;
    if auth_changes {
        crate::credentials::set(store, secrets, id, kind, secret)?;
    }
    store.with(|store| view(store, id))
}

fn view(store: &Store, id: &str) -> Result<FeedView, ApiError> {
    let statuses = store.feed_statuses()?;
    let status = statuses
        .iter()
        .find(|s| s.feed.id == id)
        .ok_or_else(|| herald_store::StoreError::UnknownFeed(id.to_owned()))?;
    Ok(FeedView::from(status))
}

/// The templates applied to an event, as the notification would show it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, ts_rs::TS)]
#[ts(export)]
pub struct PreviewView {
    /// What was rendered: "the latest event" or "a sample event".
    pub source: String,
    pub event_type: String,
    pub data: String,
    pub title: String,
    pub body: String,
    pub link: Option<String>,
    /// A template that does not parse, or failed on this event (the preset's text is shown).
    pub error: Option<String>,
}

fn template(text: &str) -> Option<&str> {
    (!text.trim().is_empty()).then_some(text)
}

/// Renders `form`'s templates against the feed's latest event, or a sample for its preset.
pub(crate) fn preview(store: &Store, feed_id: Option<&str>, form: &FeedForm) -> PreviewView {
    let preset = form.preset;
    let latest = feed_id.and_then(|id| {
        let query = HistoryQuery { feed_id: Some(id.to_owned()), limit: 1, ..Default::default() };
        store.history(&query).ok()?.into_iter().next()
    });
    let (source, event_type, data) = match latest {
        Some(entry) => ("the latest event", entry.event_type, entry.data),
        None => {
            let (event_type, data) = preset.sample_event();
            ("a sample event", event_type.to_owned(), data.to_owned())
        }
    };
    let mut preview = PreviewView {
        source: source.into(),
        event_type,
        data,
        title: String::new(),
        body: String::new(),
        link: None,
        error: None,
    };
    // A template that does not parse is reported, and the preset's own rendering is shown.
    let (mapping, error) = match Mapping::compile(
        preset,
        template(&form.title_template),
        template(&form.body_template),
        template(&form.link_template),
    ) {
        Ok(mapping) => (Some(mapping), None),
        Err(e) => (Mapping::compile(preset, None, None, None).ok(), Some(e)),
    };
    preview.error = error;
    let Some(mapping) = mapping else { return preview };
    let json = serde_json::from_str(&preview.data).ok();
    let name = if form.name.trim().is_empty() { "New feed" } else { form.name.trim() };
    let mapped = mapping.render(&EventContext {
        feed: name,
        event_type: &preview.event_type,
        id: None,
        data: &preview.data,
        json: json.as_ref(),
    });
    preview.title = mapped.rendered.title;
    preview.body = mapped.rendered.body;
    preview.link = mapped.rendered.link;
    preview.error = preview.error.or(mapped.template_error);
    preview
}

/// What "Test connection" found.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, ts_rs::TS)]
#[ts(export)]
pub struct ConnectionTest {
    pub connected: bool,
    /// Response headers; secret-looking values read `<redacted>`.
    pub headers: Vec<(String, String)>,
    pub events: Vec<TestEvent>,
    pub error: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, ts_rs::TS)]
#[ts(export)]
pub struct TestEvent {
    pub event_type: String,
    pub id: Option<String>,
    pub data: String,
    pub title: String,
    pub body: String,
    pub link: Option<String>,
    /// Whether the feed keeps it: not a heartbeat, and through the feed's filters.
    pub kept: bool,
}

/// What a test connects with: the form checked as a feed, and the secret (the one typed, or
/// the stored feed's). Blocking (the keyring); run it off the UI's async threads.
pub(crate) fn prepare_test(
    store: &mut impl StoreAccess,
    secrets: &dyn SecretStore,
    feed_id: Option<&str>,
    form: &FeedForm,
    secret: Option<Sensitive<String>>,
) -> Result<(Feed, Option<Sensitive<String>>), ApiError> {
    let stored = feed_id.map(|id| store.with(|store| store.feed(id))).transpose()?;
    let spec = form.spec(stored.as_ref().map(|f| &f.spec))?;
    let kind = form.auth_kind()?;
    let mut secret = secret.filter(|s| !s.expose().is_empty());
    if secret.is_none()
        && kind.needs_secret()
        && let Some(feed) = stored.as_ref().filter(|f| f.spec.auth == kind)
    {
        secret = secrets.get(&feed.id)?;
    }
    let feed =
        Feed { id: feed_id.unwrap_or("test").to_owned(), spec, created_at: 0, updated_at: 0 };
    Ok((feed, secret))
}

/// Connects once and reports (at most 3 events, at most 5 s). Nothing is stored or notified.
pub(crate) async fn test_connection(
    feed: Feed,
    secret: Option<Sensitive<String>>,
) -> ConnectionTest {
    let report = probe::probe(&feed, secret.as_ref(), ProbeLimits::default()).await;
    ConnectionTest {
        connected: report.connected,
        headers: report.headers,
        events: report
            .events
            .into_iter()
            .map(|e| TestEvent {
                event_type: e.event_type,
                id: e.id,
                data: e.data,
                title: e.title,
                body: e.body,
                link: e.link,
                kept: e.kept,
            })
            .collect(),
        error: report.error,
    }
}

#[cfg(test)]
#[path = "feed_form_tests.rs"]
mod tests;
