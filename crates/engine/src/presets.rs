//! What the presets fill in for the servers Herald knows (facts in ARCHITECTURE.md).

use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Preset {
    #[default]
    Generic,
    /// ntfy's `/sse`: JSON messages, `open`/`keepalive`/`poll_request` control events, resume
    /// with `since=<id>`, a keepalive every 45 s.
    Ntfy,
    /// Mercure: `id:` on every event, Last-Event-ID; the user maps JSON fields.
    Mercure,
    /// Wikimedia EventStreams: high-volume JSON edits.
    Wikimedia,
}

pub const NAMES: &[&str] = &["generic", "ntfy", "mercure", "wikimedia"];

/// The connection settings a preset implies, used when a feed is added with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PresetDefaults {
    pub resume: &'static str,
    pub id_source: &'static str,
    pub idle_timeout_s: Option<u32>,
}

impl Preset {
    pub fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "generic" => Preset::Generic,
            "ntfy" => Preset::Ntfy,
            "mercure" => Preset::Mercure,
            "wikimedia" => Preset::Wikimedia,
            _ => return None,
        })
    }

    pub fn defaults(self) -> PresetDefaults {
        match self {
            // ntfy replays everything on an unknown `since`, and its SSE `id` is the message id
            // too; `since=<id>` is the resume it documents. Keepalives come every 45 s.
            Preset::Ntfy => PresetDefaults {
                resume: "query:since",
                id_source: "json:/id",
                idle_timeout_s: Some(90),
            },
            Preset::Generic | Preset::Mercure | Preset::Wikimedia => {
                PresetDefaults { resume: "header", id_source: "sse", idle_timeout_s: None }
            }
        }
    }

    /// Event types that are protocol chatter, not news: they never reach history and, with data,
    /// never move the resume position (ntfy's `open` event carries an id that is not a message
    /// id). The rule that uses them is `FilterSet::chatter`.
    pub fn control_types(self) -> &'static [&'static str] {
        match self {
            Preset::Ntfy => &["open", "keepalive", "poll_request"],
            _ => &[],
        }
    }

    /// A typical event of this preset's server (type, data), for previews of a feed's
    /// templates before it has received anything.
    pub fn sample_event(self) -> (&'static str, &'static str) {
        match self {
            Preset::Ntfy => (
                "message",
                r#"{"id":"sPs71M8A2T","time":1764072000,"event":"message","topic":"deploys","title":"Deploy finished","message":"api v2.14.0 is live on production","priority":4,"tags":["rocket"],"click":"https://ci.example.com/runs/4182"}"#,
            ),
            Preset::Mercure => (
                "message",
                r#"{"@id":"/books/1","title":"Book updated","status":"published","url":"https://example.com/books/1"}"#,
            ),
            Preset::Wikimedia => (
                "message",
                r#"{"type":"edit","title":"Server-sent events","user":"Example","comment":"copyedit","server_name":"en.wikipedia.org","meta":{"uri":"https://en.wikipedia.org/wiki/Server-sent_events"}}"#,
            ),
            Preset::Generic => (
                "deploy",
                r#"{"title":"Deploy finished","message":"api v2.14.0 is live","url":"https://ci.example.com/runs/4182"}"#,
            ),
        }
    }
}

/// The watchdog's default: a server that sends nothing for this long is presumed gone.
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(90);
