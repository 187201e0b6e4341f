//! Which events a feed keeps: event types to include or exclude, conditions on JSON fields, and
//! a minimum priority. A filtered event still moves the feed's resume position. Before any of
//! that, protocol chatter (control events, heartbeats) is told apart from news.

use herald_store::Filters;
use regex::Regex;
use serde_json::Value;

use herald_model::Preset;

/// Event types that servers commonly send, with empty data, only to show the stream is alive:
/// django-eventstream's `stream-open` on each connect and `keep-alive` every 20 s, and the
/// usual names of others. By the spec they are events, but nobody wants them as unread news.
pub const HEARTBEAT_TYPES: &[&str] =
    &["keep-alive", "keepalive", "ping", "heartbeat", "stream-open"];

/// Why an event is not news. Either way it is not stored or notified; it still proves the
/// connection alive, as any bytes do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Chatter {
    /// One of the preset's control events with data (ntfy's `open` JSON): never kept, and its
    /// id is not a position (ntfy's `open` carries an id that is not a message id).
    Control,
    /// An event with empty data under a heartbeat name ([`HEARTBEAT_TYPES`] or the preset's
    /// control types). An `id:` of its own still moves the resume position.
    Heartbeat,
}

/// `/pointer OP VALUE`: `=` equals, `~` contains, `=~` matches a regular expression.
#[derive(Debug, Clone)]
pub struct Condition {
    pointer: String,
    test: Test,
}

#[derive(Debug, Clone)]
enum Test {
    Equals(String),
    Contains(String),
    Matches(Regex),
}

impl Condition {
    pub fn parse(text: &str) -> Result<Self, String> {
        let bad = || format!("{text:?} is not \"/pointer OP VALUE\" (OP: =, ~ or =~)");
        let (pointer, rest) = text.trim().split_once(' ').ok_or_else(bad)?;
        herald_model::check_pointer(pointer).map_err(|e| e.to_string())?;
        let rest = rest.trim_start();
        let test = if let Some(pattern) = rest.strip_prefix("=~") {
            Test::Matches(
                Regex::new(pattern.trim())
                    .map_err(|e| format!("the regular expression does not parse: {e}"))?,
            )
        } else if let Some(value) = rest.strip_prefix('=') {
            Test::Equals(value.trim().to_owned())
        } else if let Some(value) = rest.strip_prefix('~') {
            Test::Contains(value.trim().to_owned())
        } else {
            return Err(bad());
        };
        Ok(Self { pointer: pointer.to_owned(), test })
    }

    /// A missing field, or data that is not JSON, does not match.
    pub fn matches(&self, json: Option<&Value>) -> bool {
        let Some(found) = json.and_then(|j| crate::json_pointer::lookup(j, &self.pointer)) else {
            return false;
        };
        let text = match found {
            Value::String(s) => std::borrow::Cow::Borrowed(s.as_str()),
            other => std::borrow::Cow::Owned(other.to_string()),
        };
        match &self.test {
            Test::Equals(v) => text == *v,
            Test::Contains(v) => text.contains(v.as_str()),
            Test::Matches(re) => re.is_match(&text),
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct FilterSet {
    include_types: Vec<String>,
    exclude_types: Vec<String>,
    conditions: Vec<Condition>,
    min_priority: Option<u8>,
}

/// Events without a priority count as the middle one (ntfy's default).
pub const DEFAULT_PRIORITY: u8 = 3;

impl FilterSet {
    pub fn compile(filters: &Filters) -> Result<Self, String> {
        Ok(Self {
            include_types: filters.include_types.clone(),
            exclude_types: filters.exclude_types.clone(),
            conditions: filters
                .conditions
                .iter()
                .map(|c| Condition::parse(c))
                .collect::<Result<_, _>>()?,
            min_priority: filters.min_priority,
        })
    }

    /// The one rule for chatter, used by the engine and by "Test connection". A heartbeat type
    /// the feed includes by name is news: the user asked for it. Only empty data counts, so a
    /// server that puts news in a `ping` event loses nothing. A control event with data stays
    /// chatter even when included: its id would become the feed's position.
    pub fn chatter(&self, preset: Preset, event_type: &str, data: &str) -> Option<Chatter> {
        let control = preset.control_types().contains(&event_type);
        if !data.is_empty() {
            return control.then_some(Chatter::Control);
        }
        let heartbeat = control || HEARTBEAT_TYPES.contains(&event_type);
        let asked_for = self.include_types.iter().any(|t| t == event_type);
        (heartbeat && !asked_for).then_some(Chatter::Heartbeat)
    }

    pub fn keeps(&self, event_type: &str, json: Option<&Value>, priority: Option<u8>) -> bool {
        if !self.include_types.is_empty() && !self.include_types.iter().any(|t| t == event_type) {
            return false;
        }
        if self.exclude_types.iter().any(|t| t == event_type) {
            return false;
        }
        if let Some(min) = self.min_priority
            && priority.unwrap_or(DEFAULT_PRIORITY) < min
        {
            return false;
        }
        self.conditions.iter().all(|c| c.matches(json))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn set(filters: Filters) -> FilterSet {
        FilterSet::compile(&filters).unwrap()
    }

    #[test]
    fn types_include_and_exclude() {
        let only_deploys =
            set(Filters { include_types: vec!["deploy".into()], ..Default::default() });
        assert!(only_deploys.keeps("deploy", None, None));
        assert!(!only_deploys.keeps("message", None, None));
        let no_pings = set(Filters { exclude_types: vec!["ping".into()], ..Default::default() });
        assert!(no_pings.keeps("message", None, None));
        assert!(!no_pings.keeps("ping", None, None));
    }

    #[test]
    fn empty_heartbeats_are_chatter_unless_the_feed_asks_for_them() {
        let plain = set(Filters::default());
        for name in HEARTBEAT_TYPES {
            assert_eq!(
                plain.chatter(Preset::Generic, name, ""),
                Some(Chatter::Heartbeat),
                "{name}"
            );
            assert_eq!(plain.chatter(Preset::Generic, name, "x"), None, "{name} with data is news");
            let asked = set(Filters { include_types: vec![(*name).into()], ..Default::default() });
            assert_eq!(asked.chatter(Preset::Generic, name, ""), None, "{name} included by name");
        }
        assert_eq!(plain.chatter(Preset::Generic, "message", ""), None, "an empty message is news");
        assert_eq!(plain.chatter(Preset::Generic, "Keep-Alive", ""), None, "types are exact");
        // ntfy's own control types: heartbeats when empty, control events with data.
        assert_eq!(plain.chatter(Preset::Ntfy, "poll_request", ""), Some(Chatter::Heartbeat));
        assert_eq!(plain.chatter(Preset::Ntfy, "open", "{}"), Some(Chatter::Control));
        assert_eq!(plain.chatter(Preset::Generic, "open", ""), None, "only the preset's own");
        let asked = set(Filters { include_types: vec!["open".into()], ..Default::default() });
        assert_eq!(asked.chatter(Preset::Ntfy, "open", "{}"), Some(Chatter::Control));
    }

    #[test]
    fn conditions_on_json_fields() {
        let data = json!({"wiki": "enwiki", "bot": false, "title": "Rust (language)", "n": 7});
        let keeps = |c: &str| {
            set(Filters { conditions: vec![c.into()], ..Default::default() }).keeps(
                "message",
                Some(&data),
                None,
            )
        };
        assert!(keeps("/wiki = enwiki"));
        assert!(!keeps("/wiki = dewiki"));
        assert!(keeps("/bot = false"), "non-strings compare by their JSON text");
        assert!(keeps("/n = 7"));
        assert!(keeps("/title ~ Rust"));
        assert!(keeps("/title =~ ^Rust \\("));
        assert!(!keeps("/missing = x"), "a missing field does not match");
        let not_json = set(Filters { conditions: vec!["/a = b".into()], ..Default::default() });
        assert!(!not_json.keeps("message", None, None));
    }

    #[test]
    fn minimum_priority_with_the_default_for_events_without_one() {
        let urgent = set(Filters { min_priority: Some(4), ..Default::default() });
        assert!(urgent.keeps("m", None, Some(5)));
        assert!(!urgent.keeps("m", None, Some(3)));
        assert!(!urgent.keeps("m", None, None));
        let any = set(Filters { min_priority: Some(3), ..Default::default() });
        assert!(any.keeps("m", None, None));
    }

    #[test]
    fn bad_conditions_say_why() {
        assert!(Condition::parse("wiki = x").unwrap_err().contains("JSON pointer"));
        assert!(Condition::parse("/a =~ (").unwrap_err().contains("regular expression"));
        assert!(Condition::parse("/a > 3").unwrap_err().contains("OP"));
    }
}
