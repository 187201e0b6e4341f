//! What the presets fill in for the servers Herald knows: ntfy (`/sse`, JSON messages, resume
//! with `since=`), Mercure, Wikimedia EventStreams, and any other SSE server.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use crate::{IdSource, Resume, SettingError};

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize, ts_rs::TS,
)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
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

pub const ALL: [Preset; 4] = [Preset::Generic, Preset::Ntfy, Preset::Mercure, Preset::Wikimedia];
pub const NAMES: &[&str] = &["generic", "ntfy", "mercure", "wikimedia"];

/// The connection settings a preset implies, used when a feed is added with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PresetDefaults {
    pub resume: Resume,
    pub id_source: IdSource,
    pub idle_timeout_s: Option<u32>,
}

impl FromStr for Preset {
    type Err = SettingError;

    /// A preset's name, in any case.
    fn from_str(name: &str) -> Result<Self, Self::Err> {
        ALL.into_iter().find(|p| p.name().eq_ignore_ascii_case(name.trim())).ok_or_else(|| {
            SettingError::UnknownPreset { name: name.to_owned(), known: NAMES.join(", ") }
        })
    }
}

impl fmt::Display for Preset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl Preset {
    pub fn name(self) -> &'static str {
        NAMES[self as usize]
    }

    /// Switching a feed from this preset to `new`: each connection setting that still holds this
    /// preset's default takes `new`'s (ntfy resumes with `since=` and takes its ids from its
    /// JSON); one that was chosen stays. The command line, an import and the settings window
    /// all switch by this rule.
    pub fn switch(
        self,
        new: Preset,
        resume: &mut Resume,
        id_source: &mut IdSource,
        idle_timeout_s: &mut Option<u32>,
    ) {
        let (old, new) = (self.defaults(), new.defaults());
        if *resume == old.resume {
            *resume = new.resume;
        }
        if *id_source == old.id_source {
            *id_source = new.id_source;
        }
        if *idle_timeout_s == old.idle_timeout_s {
            *idle_timeout_s = new.idle_timeout_s;
        }
    }

    pub fn defaults(self) -> PresetDefaults {
        match self {
            // ntfy replays everything on an unknown `since`, and its SSE `id` is the message id
            // too; `since=<id>` is the resume it documents. Keepalives come every 45 s.
            Preset::Ntfy => PresetDefaults {
                resume: Resume::Query("since".into()),
                id_source: IdSource::Json("/id".into()),
                idle_timeout_s: Some(90),
            },
            Preset::Generic | Preset::Mercure | Preset::Wikimedia => PresetDefaults {
                resume: Resume::Header,
                id_source: IdSource::Sse,
                idle_timeout_s: None,
            },
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_switch_brings_the_new_presets_settings_where_the_old_ones_were() {
        let (mut resume, mut id, mut idle) = (Resume::Header, IdSource::Sse, None);
        Preset::Generic.switch(Preset::Ntfy, &mut resume, &mut id, &mut idle);
        assert_eq!(
            (resume.to_string(), id.to_string(), idle),
            ("query:since".into(), "json:/id".into(), Some(90))
        );
        Preset::Ntfy.switch(Preset::Generic, &mut resume, &mut id, &mut idle);
        assert_eq!((resume, id, idle), (Resume::Header, IdSource::Sse, None));
        let (mut resume, mut id, mut idle) =
            (Resume::Query("mine".into()), IdSource::Json("/uid".into()), Some(30));
        Preset::Generic.switch(Preset::Ntfy, &mut resume, &mut id, &mut idle);
        assert_eq!(
            (resume.to_string(), id.to_string(), idle),
            ("query:mine".into(), "json:/uid".into(), Some(30))
        );
    }

    #[test]
    fn every_preset_reads_its_own_name() {
        for (preset, name) in ALL.into_iter().zip(NAMES) {
            assert_eq!(preset.name(), *name);
            assert_eq!(name.parse::<Preset>(), Ok(preset));
            assert_eq!(serde_json::to_string(&preset).unwrap(), format!("{name:?}"));
        }
        let e = "gotify".parse::<Preset>().unwrap_err();
        assert_eq!(
            e.to_string(),
            "unknown preset \"gotify\": use one of generic, ntfy, mercure, wikimedia"
        );
    }
}
