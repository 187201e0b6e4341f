//! Adding and editing feeds: every field is validated here, once, for the command line and the
//! settings window alike. Options whose behaviour comes with later work (templates, filters,
//! presets) are checked now so a stored feed is always one that can run.

use herald_model::{AuthKind, HeaderLine, IdSource, Method, OnEnd, Preset, Resume, Stored};
use herald_store::{Feed, FeedSpec, Store};

use crate::{ApiError, Field};

/// What a user asked to set; `None` leaves a field as it is (for edits) or at its default.
#[derive(Debug, Clone, Default)]
pub struct FeedOptions {
    pub url: Option<String>,
    pub name: Option<String>,
    pub preset: Option<Preset>,
    /// `Name: value` lines; replaces the feed's headers when given.
    pub headers: Option<Vec<String>>,
    pub method: Option<Method>,
    /// The JSON body to POST, as text.
    pub body: Option<String>,
    pub auth: Option<AuthKind>,
    pub resume: Option<Resume>,
    pub id_source: Option<IdSource>,
    pub title_template: Option<String>,
    pub body_template: Option<String>,
    pub link_template: Option<String>,
    pub include_types: Option<Vec<String>>,
    pub exclude_types: Option<Vec<String>>,
    pub conditions: Option<Vec<String>>,
    pub min_priority: Option<u8>,
    pub ca_file: Option<String>,
    pub idle_timeout_s: Option<u32>,
    /// When the stream ends; `Some(None)` sets the method's default (finish for POST,
    /// reconnect for GET).
    pub on_end: Option<Option<OnEnd>>,
    pub enabled: Option<bool>,
    /// Mute: the feed's events go to the history without notifications.
    pub muted: Option<bool>,
    /// Snooze notifications until this time (Some(None) ends a snooze).
    pub snooze_until: Option<Option<herald_store::Millis>>,
}

fn invalid(field: Field, message: impl Into<String>) -> ApiError {
    ApiError::Invalid { field, message: message.into() }
}

pub(crate) fn add(store: &mut Store, options: FeedOptions) -> Result<Feed, ApiError> {
    let url = options.url.clone().ok_or_else(|| invalid(Field::Url, "a feed needs a URL"))?;
    let mut spec = FeedSpec { name: default_name(&url), url, ..FeedSpec::default() };
    apply(&mut spec, options)?;
    Ok(store.add_feed(&spec)?)
}

pub(crate) fn edit(
    store: &mut Store,
    name_or_id: &str,
    options: FeedOptions,
) -> Result<Feed, ApiError> {
    let feed = store.find_feed(name_or_id)?;
    refuse_unless_given(&feed, |setting| gives(&options, setting))?;
    let mut spec = feed.spec.clone();
    apply(&mut spec, options)?;
    Ok(store.update_feed(&feed.id, &spec)?)
}

/// A feed with a stored setting that no longer reads changes only by giving that setting again:
/// writing its other settings would store the default in its place (a feed's credentials
/// would become none) without anyone having chosen it.
pub(crate) fn refuse_unless_given(
    feed: &Feed,
    given: impl Fn(Stored) -> bool,
) -> Result<(), ApiError> {
    match feed.spec.unreadable.iter().find(|u| !given(u.setting)) {
        Some(unreadable) => Err(invalid(
            field_of(unreadable.setting),
            format!("the feed {:?} cannot change: {unreadable}", feed.spec.name),
        )),
        None => Ok(()),
    }
}

/// Whether `o` gives a feed's stored setting.
fn gives(o: &FeedOptions, setting: Stored) -> bool {
    match setting {
        Stored::Name => o.name.is_some(),
        Stored::Url => o.url.is_some(),
        Stored::Method => o.method.is_some(),
        Stored::Body => o.body.is_some(),
        Stored::Enabled => o.enabled.is_some(),
        Stored::Headers => o.headers.is_some(),
        Stored::Auth => o.auth.is_some(),
        Stored::Preset => o.preset.is_some(),
        Stored::TitleTemplate => o.title_template.is_some(),
        Stored::BodyTemplate => o.body_template.is_some(),
        Stored::LinkTemplate => o.link_template.is_some(),
        Stored::Filters => {
            o.include_types.is_some()
                || o.exclude_types.is_some()
                || o.conditions.is_some()
                || o.min_priority.is_some()
        }
        Stored::Resume => o.resume.is_some(),
        Stored::IdSource => o.id_source.is_some(),
        Stored::CaFile => o.ca_file.is_some(),
        Stored::IdleTimeout => o.idle_timeout_s.is_some(),
        Stored::Muted => o.muted.is_some(),
        Stored::SnoozeUntil => o.snooze_until.is_some(),
        Stored::Tuning => o.on_end.is_some(),
    }
}

fn field_of(setting: Stored) -> Field {
    match setting {
        Stored::Url => Field::Url,
        Stored::Method => Field::Method,
        Stored::Body => Field::Body,
        Stored::Headers => Field::Header,
        Stored::Auth => Field::Auth,
        Stored::Preset => Field::Preset,
        Stored::TitleTemplate => Field::TitleTemplate,
        Stored::BodyTemplate => Field::BodyTemplate,
        Stored::LinkTemplate => Field::LinkTemplate,
        Stored::Filters => Field::Condition,
        Stored::Resume => Field::Resume,
        Stored::IdSource => Field::IdSource,
        Stored::CaFile => Field::CaFile,
        Stored::IdleTimeout => Field::IdleTimeout,
        Stored::SnoozeUntil => Field::Snooze,
        Stored::Tuning => Field::OnEnd,
        Stored::Name | Stored::Enabled | Stored::Muted => Field::Name,
    }
}

/// Checks a whole spec (for imports, which bypass the options); returns it as the options would
/// have stored it (names, URLs and headers trimmed and normalised), which is what is stored.
pub(crate) fn validate(spec: &FeedSpec) -> Result<FeedSpec, ApiError> {
    let mut copy =
        FeedSpec { name: spec.name.clone(), url: spec.url.clone(), ..FeedSpec::default() };
    apply(
        &mut copy,
        FeedOptions {
            url: Some(spec.url.clone()),
            name: Some(spec.name.clone()),
            preset: Some(spec.preset),
            headers: Some(spec.headers.iter().map(|(n, v)| format!("{n}: {v}")).collect()),
            method: Some(spec.method),
            body: spec.body.clone(),
            auth: Some(spec.auth.clone()),
            resume: Some(spec.resume.clone()),
            id_source: Some(spec.id_source.clone()),
            title_template: spec.title_template.clone(),
            body_template: spec.body_template.clone(),
            link_template: spec.link_template.clone(),
            include_types: Some(spec.filters.include_types.clone()),
            exclude_types: Some(spec.filters.exclude_types.clone()),
            conditions: Some(spec.filters.conditions.clone()),
            min_priority: spec.filters.min_priority,
            ca_file: spec.ca_file.clone(),
            idle_timeout_s: spec.idle_timeout_s,
            on_end: Some(spec.tuning.on_end),
            enabled: Some(spec.enabled),
            muted: Some(spec.muted),
            snooze_until: Some(spec.snooze_until),
        },
    )?;
    // Not options of their own, so taken as they are: the idle timeout as given (none too), and
    // the tuning beside `on_end`.
    copy.idle_timeout_s = spec.idle_timeout_s;
    copy.tuning = herald_model::Tuning { on_end: copy.tuning.on_end, ..spec.tuning.clone() };
    Ok(copy)
}

pub(crate) fn apply(spec: &mut FeedSpec, o: FeedOptions) -> Result<(), ApiError> {
    if let Some(url) = o.url {
        spec.url = check_url(&url)?;
    }
    if let Some(name) = o.name {
        // A name is printed by the command line and shown in menus and notifications: it must
        // not be able to carry a terminal escape or reorder the text around it. Checked before
        // trimming, as trim would quietly drop a trailing NEL or CR. The message names the
        // character by its code point and never echoes the name itself.
        if let Some(c) = name.chars().find(|&c| crate::control_chars::is_hostile(c)) {
            return Err(invalid(
                Field::Name,
                format!("a name cannot contain control characters (it has U+{:04X})", u32::from(c)),
            ));
        }
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 100 {
            return Err(invalid(Field::Name, "a name needs 1 to 100 characters"));
        }
        spec.name = name.to_owned();
    }
    if let Some(preset) = o.preset {
        // Its connection settings come along; any given explicitly are set below.
        spec.switch_preset(preset);
    }
    if let Some(headers) = o.headers {
        spec.headers = headers.iter().map(|h| check_header(h)).collect::<Result<_, _>>()?;
    }
    if let Some(method) = o.method {
        spec.method = method;
    }
    if let Some(body) = o.body {
        serde_json::from_str::<serde_json::Value>(&body)
            .map_err(|e| invalid(Field::Body, format!("the body is not valid JSON: {e}")))?;
        spec.body = Some(body);
    }
    if spec.body.is_some() && spec.method != Method::Post {
        return Err(invalid(Field::Body, "a body needs the POST method"));
    }
    // The settings window builds these from their parts: the same rules as their text.
    if let Some(auth) = o.auth {
        spec.auth = auth.check()?;
    }
    if let Some(resume) = o.resume {
        spec.resume = resume.check()?;
    }
    if let Some(id_source) = o.id_source {
        spec.id_source = id_source.check()?;
    }
    for (field, template, slot) in [
        (Field::TitleTemplate, o.title_template, &mut spec.title_template),
        (Field::BodyTemplate, o.body_template, &mut spec.body_template),
        (Field::LinkTemplate, o.link_template, &mut spec.link_template),
    ] {
        if let Some(template) = template {
            check_template(field, &template)?;
            *slot = (!template.is_empty()).then_some(template);
        }
    }
    if let Some(types) = o.include_types {
        spec.filters.include_types = types;
    }
    if let Some(types) = o.exclude_types {
        spec.filters.exclude_types = types;
    }
    if let Some(conditions) = o.conditions {
        for condition in &conditions {
            check_condition(condition)?;
        }
        spec.filters.conditions = conditions;
    }
    if let Some(p) = o.min_priority {
        if !herald_model::PRIORITIES.contains(&p) {
            return Err(invalid(Field::MinPriority, "the minimum priority is 1 to 5"));
        }
        spec.filters.min_priority = Some(p);
    }
    if let Some(path) = o.ca_file {
        let pem =
            crate::input_file::read(std::path::Path::new(&path), crate::input_file::CA_BUNDLE)
                .map_err(|e| invalid(Field::CaFile, e.to_string()))?;
        if !String::from_utf8_lossy(&pem).contains("-----BEGIN CERTIFICATE-----") {
            return Err(invalid(Field::CaFile, format!("{path} holds no PEM certificate")));
        }
        spec.ca_file = Some(path);
    }
    if let Some(on_end) = o.on_end {
        spec.tuning.on_end = on_end;
    }
    if let Some(seconds) = o.idle_timeout_s {
        if !herald_model::IDLE_TIMEOUT_S.contains(&seconds) {
            return Err(invalid(Field::IdleTimeout, "the idle timeout is 5 seconds to 1 day"));
        }
        spec.idle_timeout_s = Some(seconds);
    }
    if let Some(enabled) = o.enabled {
        spec.enabled = enabled;
    }
    if let Some(muted) = o.muted {
        spec.muted = muted;
    }
    if let Some(until) = o.snooze_until {
        spec.snooze_until = until;
    }
    Ok(())
}

/// Query parameters that carry secrets by convention (ntfy's `auth`, OAuth's `access_token`).
pub const SECRET_PARAMS: &[&str] = &["auth", "token", "access_token"];

fn check_url(url: &str) -> Result<String, ApiError> {
    let parsed = url::Url::parse(url.trim())
        .map_err(|e| invalid(Field::Url, format!("{url:?} is not a valid URL: {e}")))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(invalid(
            Field::Url,
            format!("only http and https URLs can be subscribed to, not {}:", parsed.scheme()),
        ));
    }
    if parsed.host_str().is_none_or(str::is_empty) {
        return Err(invalid(Field::Url, "the URL has no host"));
    }
    // Secrets never go into the database: a URL that carries one is refused here, and the
    // credentials go through --auth (the keyring) instead.
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(invalid(
            Field::Url,
            "the URL contains a user name or password; give them as basic credentials instead, which keeps them in the keyring",
        ));
    }
    if let Some((param, _)) =
        parsed.query_pairs().find(|(k, _)| SECRET_PARAMS.contains(&k.to_ascii_lowercase().as_str()))
    {
        return Err(invalid(
            Field::Url,
            format!(
                "the URL carries a secret in ?{param}=; give it as credentials (query:{param}) instead, which keeps it in the keyring"
            ),
        ));
    }
    Ok(parsed.to_string())
}

fn check_header(line: &str) -> Result<(String, String), ApiError> {
    let header: HeaderLine = line.parse()?;
    if header.carries_credentials() {
        let name = &header.name;
        return Err(invalid(
            Field::Header,
            format!(
                "{name} carries credentials; set them as the feed's credentials, which keeps them in the keyring"
            ),
        ));
    }
    Ok((header.name, header.value))
}

/// Parsed exactly as the engine will compile it, so what is accepted here also runs there.
fn check_template(field: Field, template: &str) -> Result<(), ApiError> {
    let t = Some(template);
    let (title, body, link) = match field {
        Field::TitleTemplate => (t, None, None),
        Field::LinkTemplate => (None, None, t),
        _ => (None, t, None),
    };
    herald_engine::mapping::Mapping::compile(Preset::Generic, title, body, link)
        .map(|_| ())
        .map_err(|e| invalid(field, e))
}

/// `/pointer OP VALUE` with OP one of `=`, `~` (contains), `=~` (regex).
pub(crate) fn check_condition(condition: &str) -> Result<(), ApiError> {
    herald_engine::filters::Condition::parse(condition)
        .map(|_| ())
        .map_err(|e| invalid(Field::Condition, e))
}

/// A name from the URL when none is given: host and last path segment (`ntfy.sh/alerts`).
pub(crate) fn default_name(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(u) => {
            let host = u.host_str().unwrap_or("feed");
            let segment =
                u.path_segments().and_then(|mut s| s.rfind(|s| !s.is_empty() && *s != "sse"));
            match segment {
                Some(segment) => format!("{host}/{segment}"),
                None => host.to_owned(),
            }
        }
        Err(_) => "feed".to_owned(),
    }
}

/// Asks the resident to reconnect a feed now (it carries it out within half a second).
pub(crate) fn reconnect(store: &mut Store, name_or_id: &str) -> Result<Feed, ApiError> {
    let feed = store.find_feed(name_or_id)?;
    store.request(&herald_store::ResidentRequest::Reconnect(feed.id.clone()))?;
    Ok(feed)
}

pub(crate) fn set_enabled(
    store: &mut Store,
    name_or_id: &str,
    enabled: bool,
) -> Result<Feed, ApiError> {
    let feed = store.find_feed(name_or_id)?;
    store.set_enabled(&feed.id, enabled)?;
    Ok(store.feed(&feed.id)?)
}

/// Every feed on or off.
pub(crate) fn set_all_enabled(store: &mut Store, enabled: bool) -> Result<(), ApiError> {
    for feed in store.feeds()? {
        store.set_enabled(&feed.id, enabled)?;
    }
    Ok(())
}

/// Runs a feed again: a finished one (a POST job's stream) starts over, now if the resident
/// runs, else when it starts; any other reconnects at once.
pub(crate) fn run(store: &mut Store, name_or_id: &str) -> Result<Feed, ApiError> {
    let feed = store.find_feed(name_or_id)?;
    store.run_again(&feed.id)?;
    Ok(feed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_checked_and_secrets_in_them_refused() {
        assert_eq!(check_url("https://ntfy.sh/alerts/sse").unwrap(), "https://ntfy.sh/alerts/sse");
        for bad in [
            "ftp://x/",
            "not a url",
            "https://user:pw@ntfy.sh/a",
            "https://ntfy.sh/a/sse?auth=tk_1",
        ] {
            assert!(check_url(bad).is_err(), "{bad}");
        }
        let err = check_url("https://h/x?token=abc").unwrap_err().to_string();
        assert!(
            err.contains("query:token") && !err.contains("abc"),
            "the secret is never echoed: {err}"
        );
    }

    #[test]
    fn names_default_from_the_url() {
        assert_eq!(default_name("https://ntfy.sh/alerts/sse"), "ntfy.sh/alerts");
        assert_eq!(default_name("http://127.0.0.1:8080/"), "127.0.0.1");
    }

    #[test]
    fn names_refuse_control_characters_without_echoing_them() {
        let named = |name: &str| {
            let mut spec = FeedSpec::default();
            apply(&mut spec, FeedOptions { name: Some(name.into()), ..FeedOptions::default() })
                .map(|()| spec.name)
        };
        for bad in
            ["a\x1b]0;x\x07", "a\tb", "trailing NEL\u{85}", "\r", "rlo\u{202e}", "fsi\u{2068}"]
        {
            let err = named(bad).unwrap_err().to_string();
            assert!(err.contains("control characters (it has U+"), "{bad:?}: {err}");
            assert!(!err.contains(bad), "the name is not echoed: {err:?}");
        }
        assert_eq!(named("  Déploiements ✓ \u{5d0}  ").unwrap(), "Déploiements ✓ \u{5d0}");
    }

    #[test]
    fn pointers_templates_and_conditions() {
        assert!(check_template(Field::TitleTemplate, "{{ json.title }}").is_ok());
        assert!(check_template(Field::TitleTemplate, "{{ json.title ").is_err());
        for ok in ["/priority = 5", "/title ~ deploy", "/user =~ ^bot"] {
            assert!(check_condition(ok).is_ok(), "{ok}");
        }
        for bad in ["priority = 5", "/x > 3", "/x =~ (", "/x"] {
            assert!(check_condition(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_preset_brings_its_connection_settings_unless_given() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&Store::path_in(dir.path())).unwrap();
        let options = |name: &str| FeedOptions {
            url: Some("https://ntfy.example/alerts/sse".into()),
            name: Some(name.into()),
            preset: Some(Preset::Ntfy),
            ..FeedOptions::default()
        };
        let ntfy = add(&mut store, options("a")).unwrap().spec;
        let (resume, id_source) = (ntfy.resume.to_string(), ntfy.id_source.to_string());
        assert_eq!((resume.as_str(), id_source.as_str()), ("query:since", "json:/id"));
        assert_eq!(ntfy.idle_timeout_s, Some(90));
        let explicit = FeedOptions { resume: Some(Resume::Header), ..options("b") };
        assert_eq!(add(&mut store, explicit).unwrap().spec.resume, Resume::Header);
    }

    #[test]
    fn headers_that_carry_credentials_are_refused() {
        assert!(check_header("X-Team: ops").is_ok());
        assert!(check_header("Authorization: Bearer x").is_err());
        assert!(check_header("nocolon").is_err());
    }
}
