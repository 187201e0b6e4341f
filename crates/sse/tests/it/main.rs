//! The SSE crate's integration tests: one binary, a module per area.

mod chunking;
mod connect;
mod fixtures;
mod format;
mod limits;
mod redirects;
mod tls;

use herald_sse::{Event, OwnedItem, Parser};

/// Parses a whole stream in one chunk.
pub fn parse(bytes: &[u8]) -> Vec<OwnedItem> {
    Parser::new().feed_owned(bytes)
}

/// An expected event: type, data, lastEventId, own id.
pub fn ev(event_type: &str, data: &str, last_event_id: &str, own_id: Option<&str>) -> OwnedItem {
    OwnedItem::Event(Event {
        event_type: event_type.into(),
        data: data.into(),
        last_event_id: last_event_id.into(),
        own_id: own_id.map(Into::into),
    })
}

/// A plain `message` event with no id anywhere.
pub fn msg(data: &str) -> OwnedItem {
    ev("message", data, "", None)
}
