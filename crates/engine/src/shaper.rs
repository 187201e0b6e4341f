//! Steps 2 to 4 of "From bytes to a notification" (ARCHITECTURE.md): an event's own id, its
//! rendering and whether the feed keeps it, and where the feed resumes after it. The result goes
//! to the store, which decides (in one transaction) whether it is new.

use std::sync::Arc;

use herald_sse::EventRef;
use herald_store::{Incoming, Millis};
use reqwest::header::HeaderValue;
use serde_json::Value;

use crate::filters::Chatter;
use crate::mapping::{EventContext, Mapped};
use crate::plan::FeedPlan;
use herald_model::{IdSource, Resume};

/// How many of a feed's newest own ids are remembered to recognise a replay.
pub const RECENT_IDS: usize = 1024;

/// The shaping step's state across a feed's connections: the resume position it has reached,
/// and the own ids it has recently handed on.
#[derive(Debug, Clone)]
pub struct Shaper {
    /// For a JSON id source, the last own id seen; for SSE ids, the last event id of the
    /// newest event that was not a repeat.
    position: String,
    recent: RecentIds,
    /// Ids that moved the position with no event (see `follow_dispatch`): seen again, they are
    /// a replay. Apart from `recent`, so that an event with such an id is still handed on.
    dispatch_only: RecentIds,
}

/// A bounded set of own ids, forgetting the oldest first. The set and the order share each
/// id's one copy.
#[derive(Debug, Clone, Default)]
struct RecentIds {
    set: std::collections::HashSet<Arc<str>>,
    order: std::collections::VecDeque<Arc<str>>,
}

impl RecentIds {
    fn contains(&self, id: &str) -> bool {
        self.set.contains(id)
    }

    fn insert(&mut self, id: &str) {
        if !self.set.contains(id) {
            let id: Arc<str> = id.into();
            self.set.insert(id.clone());
            self.order.push_back(id);
            if self.order.len() > RECENT_IDS
                && let Some(old) = self.order.pop_front()
            {
                self.set.remove(&old);
            }
        }
    }
}

/// One shaped event, and a template error to report for the feed if there was one.
#[derive(Debug)]
pub struct Shaped {
    pub incoming: Incoming,
    /// Something the feed's state should say: a template that failed (the event was kept with
    /// the preset's rendering), or an id that cannot be sent back.
    pub warning: Option<String>,
}

impl Shaper {
    /// `recent`: the feed's newest stored own ids, newest first (from the store).
    pub fn new(position: String, recent: Vec<String>) -> Self {
        let mut ids = RecentIds::default();
        for id in recent.iter().rev() {
            ids.insert(id);
        }
        Self { position, recent: ids, dispatch_only: RecentIds::default() }
    }

    pub fn position(&self) -> &str {
        &self.position
    }

    /// `None` for chatter (see `FilterSet::chatter`): the preset's control events (ntfy's
    /// `open`) and empty heartbeats; and for a repeat of an event handed on recently. A server
    /// that ignores `Last-Event-ID` and replays from its start would otherwise pull the position
    /// back with each replay, and every next connection would start from there: a flaky proxy in
    /// front of such a server kept a feed minutes behind. A repeat moves nothing; the store
    /// catches older repeats.
    pub fn shape(&mut self, plan: &FeedPlan, event: &EventRef<'_>, now: Millis) -> Option<Shaped> {
        let Look { chatter, json, own_id } = look(plan, event);
        if chatter == Some(Chatter::Control) {
            return None;
        }
        if let Some(id) = &own_id {
            if self.recent.contains(id) {
                return None;
            }
            // Heartbeat ids too: a replayed heartbeat must not pull the position back either.
            self.recent.insert(id);
        }
        if chatter == Some(Chatter::Heartbeat) {
            // Only an id of its own moves the position: one carried over from a replayed event
            // would pull it back. The move is in memory (the next reconnect resumes there) and
            // reaches the store with the next real event: writing a heartbeat every 20 s would
            // cost a transaction each time and hide a feed's silence.
            if own_id.is_some() {
                self.advance(plan, event, own_id.as_deref());
            }
            return None;
        }
        let warning = self.advance(plan, event, own_id.as_deref());
        let (mapped, keep) = judge(plan, event, own_id.as_deref(), json.as_ref());
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
            warning: mapped
                .template_error
                .map(|e| format!("{e}; events are shown with the default rendering"))
                .or(warning),
        })
    }

    /// A dispatch that handed on no event: a block with only `id:` (an empty one clears the
    /// id) or an event too large to keep. The spec's lastEventId moves with it, so for SSE ids
    /// the position does too, in memory like a heartbeat's. An id seen before, of an event
    /// handed on or of such a dispatch (a replay), moves nothing, and one no header can carry
    /// leaves the position where it is, as for events. An empty id (the server clearing it)
    /// always counts.
    pub fn follow_dispatch(&mut self, plan: &FeedPlan, id: &str) {
        if plan.connection.id_source != IdSource::Sse
            || id == self.position
            || self.recent.contains(id)
            || self.dispatch_only.contains(id)
            || (plan.connection.resume == Resume::Header && HeaderValue::from_str(id).is_err())
        {
            return;
        }
        if !id.is_empty() {
            self.dispatch_only.insert(id);
        }
        id.clone_into(&mut self.position);
    }

    /// Moves the position past `event`; says why when it cannot.
    fn advance(
        &mut self,
        plan: &FeedPlan,
        event: &EventRef<'_>,
        own_id: Option<&str>,
    ) -> Option<String> {
        match &plan.connection.id_source {
            // `id: bad\x01id` is legal SSE but no header can carry it: the position stays at
            // the last id that can be sent, so a restart resumes there instead of from nothing.
            IdSource::Sse
                if plan.connection.resume == Resume::Header
                    && HeaderValue::from_str(event.last_event_id).is_err() =>
            {
                Some(
                    "the server sent an event id with control characters, which cannot be sent \
                     back as Last-Event-ID; the feed resumes from the last id that can"
                        .to_owned(),
                )
            }
            IdSource::Sse => {
                event.last_event_id.clone_into(&mut self.position);
                None
            }
            IdSource::Json(_) => {
                if let Some(id) = own_id {
                    id.clone_into(&mut self.position);
                }
                None
            }
        }
    }
}

/// What the engine reads from an event before anything else: whether it is chatter, its JSON,
/// and its own id. [`Shaper::shape`] and "Test connection" both start here, and both judge it
/// with [`judge`].
pub(crate) struct Look {
    pub chatter: Option<Chatter>,
    pub json: Option<Value>,
    pub own_id: Option<String>,
}

pub(crate) fn look(plan: &FeedPlan, event: &EventRef<'_>) -> Look {
    let chatter = plan.filters.chatter(plan.preset, event.event_type, event.data);
    let (json, own_id) = identify(plan, event);
    Look { chatter, json, own_id }
}

/// An event's JSON and its own id from the feed's id source.
fn identify(plan: &FeedPlan, event: &EventRef<'_>) -> (Option<Value>, Option<String>) {
    // Parse only what looks like JSON: plain-text feeds pay nothing.
    let json: Option<Value> = match event.data.as_bytes().first() {
        Some(b'{' | b'[') => serde_json::from_str(event.data).ok(),
        _ => None,
    };
    let own_id = match &plan.connection.id_source {
        IdSource::Sse => event.own_id.map(str::to_owned),
        IdSource::Json(pointer) => json
            .as_ref()
            .and_then(|j| crate::json_pointer::lookup(j, pointer))
            .and_then(|v| match v {
                Value::String(s) if !s.is_empty() => Some(s.clone()),
                Value::Number(n) => Some(n.to_string()),
                _ => None,
            }),
    };
    (json, own_id)
}

/// How an event that is not chatter would be notified, and whether the feed's filters keep it.
pub(crate) fn judge(
    plan: &FeedPlan,
    event: &EventRef<'_>,
    own_id: Option<&str>,
    json: Option<&Value>,
) -> (Mapped, bool) {
    let mapped = plan.mapping.render(&EventContext {
        feed: &plan.name,
        event_type: event.event_type,
        id: own_id,
        data: event.data,
        json,
    });
    let keep = plan.filters.keeps(event.event_type, json, mapped.rendered.priority);
    (mapped, keep)
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
        let mut shaper = Shaper::new(String::new(), Vec::new());
        let a = shaper.shape(&p, &ev("message", "a", "1", Some("1")), 0).unwrap().incoming;
        assert_eq!((a.event_id.as_deref(), a.resume_position.as_str()), (Some("1"), "1"));
        let b = shaper.shape(&p, &ev("message", "b", "1", None), 0).unwrap().incoming;
        assert_eq!(b.event_id, None, "the carried-over id is not this event's identity");
        assert_eq!(b.resume_position, "1");
    }

    #[test]
    fn a_replay_of_recent_events_is_skipped_and_never_pulls_the_position_back() {
        let p = plan(FeedSpec::default());
        // 1 and 2 were stored before a restart; 3 arrives now.
        let mut shaper = Shaper::new("2".into(), vec!["2".into(), "1".into()]);
        assert!(shaper.shape(&p, &ev("message", "c", "3", Some("3")), 0).is_some());
        // The server ignores Last-Event-ID and starts over: 1, 2, 3 are repeats.
        for id in ["1", "2", "3"] {
            assert!(shaper.shape(&p, &ev("message", "x", id, Some(id)), 0).is_none(), "{id}");
            assert_eq!(shaper.position(), "3", "a repeat of {id} moved the position");
        }
        let d = shaper.shape(&p, &ev("message", "d", "4", Some("4")), 0).unwrap().incoming;
        assert_eq!(d.resume_position, "4");
    }

    #[test]
    fn an_id_no_header_can_carry_keeps_the_last_sendable_position_and_says_so() {
        let p = plan(FeedSpec::default());
        let mut shaper = Shaper::new(String::new(), Vec::new());
        shaper.shape(&p, &ev("message", "a", "7", Some("7")), 0).unwrap();
        let bad = shaper.shape(&p, &ev("message", "b", "bad\x01id", Some("bad\x01id")), 0).unwrap();
        assert_eq!(bad.incoming.resume_position, "7", "the stored position stays sendable");
        assert!(bad.warning.unwrap().contains("cannot be sent back"));
        assert_eq!(shaper.position(), "7");
        let next = shaper.shape(&p, &ev("message", "c", "8", Some("8")), 0).unwrap();
        assert_eq!((next.incoming.resume_position.as_str(), next.warning), ("8", None));
    }

    #[test]
    fn only_the_newest_ids_are_remembered() {
        let p = plan(FeedSpec::default());
        let mut shaper = Shaper::new(String::new(), Vec::new());
        for n in 0..=RECENT_IDS {
            let id = n.to_string();
            assert!(shaper.shape(&p, &ev("message", "x", &id, Some(&id)), 0).is_some());
        }
        assert_eq!(shaper.recent.set.len(), RECENT_IDS);
        // The oldest was forgotten (the store still judges it); the newest is a repeat.
        assert!(shaper.shape(&p, &ev("message", "x", "0", Some("0")), 0).is_some());
        let newest = RECENT_IDS.to_string();
        assert!(shaper.shape(&p, &ev("message", "x", &newest, Some(&newest)), 0).is_none());
    }

    #[test]
    fn ntfy_ids_come_from_the_json_and_control_events_are_skipped() {
        let p = plan(FeedSpec {
            preset: "ntfy".parse().unwrap(),
            id_source: "json:/id".parse().unwrap(),
            resume: "query:since".parse().unwrap(),
            ..FeedSpec::default()
        });
        let mut shaper = Shaper::new("old".into(), Vec::new());
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
    fn a_dispatch_with_no_event_moves_the_position_unless_a_replay_or_unsendable() {
        let p = plan(FeedSpec::default());
        let mut shaper = Shaper::new("1".into(), vec!["1".into()]);
        shaper.follow_dispatch(&p, "9");
        assert_eq!(shaper.position(), "9", "`id: 9` alone");
        shaper.follow_dispatch(&p, "");
        assert_eq!(shaper.position(), "", "an empty `id:` clears it");
        shaper.follow_dispatch(&p, "1");
        assert_eq!(shaper.position(), "", "the id of an event handed on: a replay");
        shaper.follow_dispatch(&p, "9");
        assert_eq!(shaper.position(), "", "an `id: 9` seen before: a replay");
        shaper.follow_dispatch(&p, "bad\x01id");
        assert_eq!(shaper.position(), "", "no header can carry it");
        let later = shaper.shape(&p, &ev("message", "x", "9", Some("9")), 0).unwrap();
        assert_eq!(later.incoming.event_id.as_deref(), Some("9"), "an event with that id is news");
        let ntfy = plan(FeedSpec { id_source: "json:/id".parse().unwrap(), ..FeedSpec::default() });
        let mut json = Shaper::new("m1".into(), Vec::new());
        json.follow_dispatch(&ntfy, "9");
        assert_eq!(json.position(), "m1", "ids from the JSON: SSE ids move nothing");
    }

    #[test]
    fn a_heartbeat_with_an_id_moves_the_position_but_is_not_handed_on() {
        let p = plan(FeedSpec::default());
        let mut shaper = Shaper::new("1".into(), vec!["1".into()]);
        assert!(shaper.shape(&p, &ev("keep-alive", "", "2", Some("2")), 0).is_none());
        assert_eq!(shaper.position(), "2", "a reconnect resumes after the heartbeat");
        // One that only carries the last id over moves nothing, even when a replay set it.
        assert!(shaper.shape(&p, &ev("message", "x", "1", Some("1")), 0).is_none());
        assert!(shaper.shape(&p, &ev("keep-alive", "", "1", None), 0).is_none());
        assert_eq!(shaper.position(), "2");
        // Nor does a replayed heartbeat.
        assert!(shaper.shape(&p, &ev("ping", "", "2", Some("2")), 0).is_none());
        let next = shaper.shape(&p, &ev("message", "news", "3", Some("3")), 0).unwrap();
        assert_eq!(next.incoming.resume_position, "3");
    }

    #[test]
    fn a_heartbeat_the_filters_name_is_news() {
        let p = plan(FeedSpec {
            filters: Filters { include_types: vec!["ping".into()], ..Default::default() },
            ..FeedSpec::default()
        });
        let mut shaper = Shaper::new(String::new(), Vec::new());
        let s = shaper.shape(&p, &ev("ping", "", "5", Some("5")), 0).unwrap().incoming;
        assert!(s.kept.is_some());
        assert_eq!(s.resume_position, "5");
    }

    #[test]
    fn filtered_events_still_move_the_position() {
        let p = plan(FeedSpec {
            filters: Filters { exclude_types: vec!["ping".into()], ..Default::default() },
            ..FeedSpec::default()
        });
        let mut shaper = Shaper::new(String::new(), Vec::new());
        let s = shaper.shape(&p, &ev("ping", "x", "9", Some("9")), 0).unwrap().incoming;
        assert_eq!(s.kept, None);
        assert_eq!(s.resume_position, "9");
    }
}
