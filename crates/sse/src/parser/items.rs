//! What the parser hands out.

/// One dispatched event, borrowed from the parser's buffers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventRef<'a> {
    /// The `event` field, or `message` when the block set none.
    pub event_type: &'a str,
    pub data: &'a str,
    /// The spec's lastEventId: the last `id` seen on the stream so far (it carries over).
    pub last_event_id: &'a str,
    /// The id set in this event's own block, if it set a non-empty one. Duplicates must be
    /// judged by this, never by the carried-over `last_event_id`.
    pub own_id: Option<&'a str>,
}

/// An owned event, for callers that keep events around.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Event {
    pub event_type: String,
    pub data: String,
    pub last_event_id: String,
    pub own_id: Option<String>,
}

impl From<EventRef<'_>> for Event {
    fn from(e: EventRef<'_>) -> Self {
        Event {
            event_type: e.event_type.to_owned(),
            data: e.data.to_owned(),
            last_event_id: e.last_event_id.to_owned(),
            own_id: e.own_id.map(str::to_owned),
        }
    }
}

/// What the parser reports, in stream order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Item<'a> {
    Event(EventRef<'a>),
    /// A `:` line (a keepalive, usually), without the colon.
    Comment(&'a str),
    /// A valid `retry:` field: the server's reconnection time in milliseconds.
    Retry(u64),
    /// An event grew past the size limit and was dropped; parsing goes on at the next event.
    EventTooLarge {
        limit: usize,
    },
}

/// The owned form of [`Item`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OwnedItem {
    Event(Event),
    Comment(String),
    Retry(u64),
    EventTooLarge { limit: usize },
}

impl From<Item<'_>> for OwnedItem {
    fn from(item: Item<'_>) -> Self {
        match item {
            Item::Event(e) => OwnedItem::Event(e.into()),
            Item::Comment(c) => OwnedItem::Comment(c.to_owned()),
            Item::Retry(ms) => OwnedItem::Retry(ms),
            Item::EventTooLarge { limit } => OwnedItem::EventTooLarge { limit },
        }
    }
}
