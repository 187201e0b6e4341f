//! Steps 2 to 4 of "From bytes to a notification": an event's own id, its rendering and whether
//! the feed keeps it, and where the feed resumes after it. The result goes to the store, which
//! decides (in one transaction) whether it is new.

use herald_sse::EventRef;
use herald_store::{Incoming, Millis};
use serde_json::Value;

use crate::mapping::EventContext;
use crate::plan::{FeedPlan, IdSource};

/// Per-connection state of the shaping step: the resume position it has reached.
#[derive(Debug, Clone)]
pub struct Shaper {
    /// For a JSON id source, the last own id seen; for SSE ids, the parser's last event id.
    position: String,
}

/// One shaped event, and a template error to report for the feed if there was one.
#[derive(Debug)]
pub struct Shaped {
    pub incoming: Incoming,
    pub template_error: Option<String>,
}

impl Shaper {
    pub fn new(position: String) -> Self {
        Self { position }
    }

    pub fn position(&self) -> &str {
        &self.position
    }

    /// `None` for the preset's control events (ntfy's `open`, `keepalive`): protocol, not news.
    pub fn shape(&mut self, plan: &FeedPlan, event: &EventRef<'_>, now: Millis) -> Option<Shaped> {
        if plan.preset.control_types().contains(&event.event_type) {
            return None;
        }
        // Parse only what looks like JSON: plain-text feeds pay nothing.
        let json: Option<Value> = match event.data.as_bytes().first() {
            Some(b'{' | b'[') => serde_json::from_str(event.data).ok(),
            _ => None,
        };
        let own_id = match &plan.connection.id_source {
            IdSource::Sse => event.own_id.map(str::to_owned),
            IdSource::Json(pointer) => {
                json.as_ref().and_then(|j| j.pointer(pointer)).and_then(|v| match v {
                    Value::String(s) if !s.is_empty() => Some(s.clone()),
                    Value::Number(n) => Some(n.to_string()),
                    _ => None,
                })
            }
        };
        match &plan.connection.id_source {
            IdSource::Sse => event.last_event_id.clone_into(&mut self.position),
            IdSource::Json(_) => {
                if let Some(id) = &own_id {
                    id.clone_into(&mut self.position);
                }
            }
        }
        let mapped = plan.mapping.render(&EventContext {
            feed: &plan.name,
            event_type: event.event_type,
            id: own_id.as_deref(),
            data: event.data,
            json: json.as_ref(),
        });
        let keep = plan.filters.keeps(event.event_type, json.as_ref(), mapped.rendered.priority);
        Some(Shaped {
            incoming: Incoming {
                feed_id: plan.id.clone(),
                resume_position: self.position.clone(),
                event_id: own_id,
                event_type: event.event_type.to_owned(),
                data: event.data.to_owned(),
                kept: keep.then_some(mapped.rendered),
                received_at: now,
            },
            template_error: mapped.template_error,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use herald_store::{Feed, FeedSpec, Filters};

    fn plan(spec: FeedSpec) -> FeedPlan {
        let feed = Feed {
            id: "f".into(),
            spec: FeedSpec { name: "F".into(), url: "http://127.0.0.1/".into(), ..spec },
            created_at: 0,
            updated_at: 0,
        };
        FeedPlan::compile(&feed).unwrap()
    }

    fn ev<'a>(t: &'a str, data: &'a str, last: &'a str, own: Option<&'a str>) -> EventRef<'a> {
        EventRef { event_type: t, data, last_event_id: last, own_id: own }
    }

    #[test]
    fn sse_ids_are_judged_by_the_own_id_and_resume_at_the_carried_one() {
        let p = plan(FeedSpec::default());
        let mut shaper = Shaper::new(String::new());
        let a = shaper.shape(&p, &ev("message", "a", "1", Some("1")), 0).unwrap().incoming;
        assert_eq!((a.event_id.as_deref(), a.resume_position.as_str()), (Some("1"), "1"));
        let b = shaper.shape(&p, &ev("message", "b", "1", None), 0).unwrap().incoming;
        assert_eq!(b.event_id, None, "the carried-over id is not this event's identity");
        assert_eq!(b.resume_position, "1");
    }

    #[test]
    fn ntfy_ids_come_from_the_json_and_control_events_are_skipped() {
        let p = plan(FeedSpec {
            preset: "ntfy".into(),
            id_source: "json:/id".into(),
            resume: "query:since".into(),
            ..FeedSpec::default()
        });
        let mut shaper = Shaper::new("old".into());
        assert!(
            shaper.shape(&p, &ev("open", r#"{"id":"o1","event":"open"}"#, "", None), 0).is_none()
        );
        assert_eq!(shaper.position(), "old", "an open event never moves the position");
        let m = r#"{"id":"m1","event":"message","topic":"t","message":"hi"}"#;
        let s = shaper.shape(&p, &ev("message", m, "m1", Some("m1")), 0).unwrap().incoming;
        assert_eq!((s.event_id.as_deref(), s.resume_position.as_str()), (Some("m1"), "m1"));
        assert_eq!(s.kept.unwrap().body, "hi");
    }

    #[test]
    fn filtered_events_still_move_the_position() {
        let p = plan(FeedSpec {
            filters: Filters { exclude_types: vec!["ping".into()], ..Default::default() },
            ..FeedSpec::default()
        });
        let mut shaper = Shaper::new(String::new());
        let s = shaper.shape(&p, &ev("ping", "x", "9", Some("9")), 0).unwrap().incoming;
        assert_eq!(s.kept, None);
        assert_eq!(s.resume_position, "9");
    }
}
