//! A feed's whole configuration: what `herald feeds add/edit`, the settings window and an
//! import write, and what the store keeps. Everything but its secret, which lives in the OS
//! keyring.

use crate::{AuthKind, IdSource, Method, OnEnd, Preset, Resume};

/// Milliseconds since the Unix epoch.
pub type Millis = i64;

/// How long a feed may be silent before it is reconnected, in seconds: 5 s to a day.
pub const IDLE_TIMEOUT_S: std::ops::RangeInclusive<u32> = 5..=86_400;

/// The priorities a feed can keep from (ntfy's 1 to 5).
pub const PRIORITIES: std::ops::RangeInclusive<u8> = 1..=5;

/// A feed's configuration. Its settings are types, checked where their text came in; files
/// and the command line's JSON carry them as their text (`query:since`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct FeedSpec {
    pub name: String,
    pub url: String,
    #[serde(with = "crate::text")]
    pub method: Method,
    /// The JSON body to POST.
    pub body: Option<String>,
    pub enabled: bool,
    /// Non-secret headers only.
    pub headers: Vec<(String, String)>,
    /// The kind of credentials; never the secret.
    #[serde(with = "crate::text")]
    pub auth: AuthKind,
    #[serde(with = "crate::text")]
    pub preset: Preset,
    pub title_template: Option<String>,
    pub body_template: Option<String>,
    pub link_template: Option<String>,
    pub filters: Filters,
    #[serde(with = "crate::text")]
    pub resume: Resume,
    #[serde(with = "crate::text")]
    pub id_source: IdSource,
    pub ca_file: Option<String>,
    pub idle_timeout_s: Option<u32>,
    pub muted: bool,
    pub snooze_until: Option<Millis>,
    pub tuning: Tuning,
    /// The stored settings that no longer read (a row edited by hand): each fell back to its
    /// default, and the feed does not run, export or change until every one is given again.
    /// Never stored, never in files.
    #[serde(skip)]
    pub unreadable: Vec<Unreadable>,
}

/// One of a feed's settings as the store keeps it, one column each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stored {
    Name,
    Url,
    Method,
    Body,
    Enabled,
    Headers,
    Auth,
    Preset,
    TitleTemplate,
    BodyTemplate,
    LinkTemplate,
    Filters,
    Resume,
    IdSource,
    CaFile,
    IdleTimeout,
    Muted,
    SnoozeUntil,
    Tuning,
}

impl Stored {
    /// Its name in the store, and in files.
    pub fn name(self) -> &'static str {
        match self {
            Stored::Name => "name",
            Stored::Url => "url",
            Stored::Method => "method",
            Stored::Body => "body",
            Stored::Enabled => "enabled",
            Stored::Headers => "headers",
            Stored::Auth => "auth",
            Stored::Preset => "preset",
            Stored::TitleTemplate => "title_template",
            Stored::BodyTemplate => "body_template",
            Stored::LinkTemplate => "link_template",
            Stored::Filters => "filters",
            Stored::Resume => "resume",
            Stored::IdSource => "id_source",
            Stored::CaFile => "ca_file",
            Stored::IdleTimeout => "idle_timeout_s",
            Stored::Muted => "muted",
            Stored::SnoozeUntil => "snooze_until",
            Stored::Tuning => "tuning",
        }
    }
}

/// A stored setting that no longer reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unreadable {
    pub setting: Stored,
    /// Why, in words.
    pub why: String,
}

impl std::fmt::Display for Unreadable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "its stored {} does not read ({}); give it again or remove the feed",
            self.setting.name(),
            self.why
        )
    }
}

impl FeedSpec {
    /// Another preset, with its connection settings where this feed still has the old
    /// preset's ([`Preset::switch`]).
    pub fn switch_preset(&mut self, preset: Preset) {
        self.preset.switch(preset, &mut self.resume, &mut self.id_source, &mut self.idle_timeout_s);
        self.preset = preset;
    }

    /// Whether a snooze keeps this feed's notifications back at `now`.
    pub fn snoozed(&self, now: Millis) -> bool {
        snoozed(self.snooze_until, now)
    }

    /// Whether its events notify nobody at `now`: muted, or snoozed. What the tray and the
    /// windows show as "muted".
    pub fn quiet(&self, now: Millis) -> bool {
        self.muted || self.snoozed(now)
    }
}

/// A snooze until `until` holds before it and ends at it.
pub fn snoozed(until: Option<Millis>, now: Millis) -> bool {
    until.is_some_and(|until| until > now)
}

/// Per-feed settings most feeds leave alone; `None` means the app-wide default.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct Tuning {
    /// More than this many events within `coalesce_window_s` become one summary notification.
    pub coalesce_count: Option<u32>,
    pub coalesce_window_s: Option<u32>,
    /// A live feed that delivered no event for this long raises one notification (off: None).
    pub silence_alert_s: Option<u32>,
    /// The longest wait between reconnection attempts (default 5 minutes).
    pub max_backoff_s: Option<u32>,
    /// When the stream ends cleanly; none: the method's default (`OnEnd::default_for`).
    pub on_end: Option<OnEnd>,
}

impl Default for FeedSpec {
    fn default() -> Self {
        Self {
            name: String::new(),
            url: String::new(),
            method: Method::Get,
            body: None,
            enabled: true,
            headers: Vec::new(),
            auth: AuthKind::None,
            preset: Preset::Generic,
            title_template: None,
            body_template: None,
            link_template: None,
            filters: Filters::default(),
            resume: Resume::Header,
            id_source: IdSource::Sse,
            ca_file: None,
            idle_timeout_s: None,
            muted: false,
            snooze_until: None,
            tuning: Tuning::default(),
            unreadable: Vec::new(),
        }
    }
}

/// Which events a feed keeps.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct Filters {
    pub include_types: Vec<String>,
    pub exclude_types: Vec<String>,
    /// Conditions on the JSON data, written `/pointer OP VALUE` (OP: `=`, `~`, `=~`).
    pub conditions: Vec<String>,
    pub min_priority: Option<u8>,
}
