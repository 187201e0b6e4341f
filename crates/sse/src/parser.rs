//! The WHATWG "Server-sent events" processing model, exactly, with no I/O: bytes in (in any
//! chunking), items out.
//!
//! The spec decodes the whole stream as UTF-8 and then splits lines. This parser splits on the
//! bytes CR and LF first and decodes each value when it is used. That is equivalent: a UTF-8
//! decoder never swallows an ASCII byte into an invalid sequence (it reports the bad bytes and
//! then processes the ASCII byte afresh), so CR, LF, `:` and space mean the same before and after
//! decoding, and decoding each piece with U+FFFD replacement yields the same characters as
//! decoding the whole. It lets lines be handled in place, without copying them.

use memchr::memchr2;

/// The largest event a parser accepts by default: data, type and the line being read.
pub const DEFAULT_MAX_EVENT_SIZE: usize = 8 * 1024 * 1024;

const BOM: &[u8] = b"\xEF\xBB\xBF";

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

#[derive(Debug)]
pub struct Parser {
    max_event_size: usize,
    /// Bytes of a line that has not ended yet (the tail of the last chunk).
    partial: Vec<u8>,
    /// The last chunk ended in CR: an LF at the start of the next one ends nothing.
    after_cr: bool,
    /// Still at the start of the stream, where one BOM is stripped.
    at_start: bool,
    data: Vec<u8>,
    event_type: Vec<u8>,
    last_event_id: String,
    /// The current block set an id. Within a block the last `id` line wins, so the block's own
    /// id is then exactly `last_event_id`; no copy is needed.
    block_set_id: bool,
    /// Inside an event that went over the limit: skip lines until the blank line that ends it.
    skipping: bool,
    /// Scratch space for decoding with replacement (reused, so valid UTF-8 costs nothing).
    scratch: String,
}

impl Default for Parser {
    fn default() -> Self {
        Self::new()
    }
}

impl Parser {
    pub fn new() -> Self {
        Self::with_max_event_size(DEFAULT_MAX_EVENT_SIZE)
    }

    pub fn with_max_event_size(max_event_size: usize) -> Self {
        Self {
            max_event_size,
            partial: Vec::new(),
            after_cr: false,
            at_start: true,
            data: Vec::new(),
            event_type: Vec::new(),
            last_event_id: String::new(),
            block_set_id: false,
            skipping: false,
            scratch: String::new(),
        }
    }

    /// Starts reading with this last event id, as a reconnecting client does.
    pub fn with_last_event_id(mut self, id: &str) -> Self {
        self.last_event_id = id.to_owned();
        self
    }

    pub fn last_event_id(&self) -> &str {
        &self.last_event_id
    }

    /// Parses one chunk, calling `on_item` for everything it completes.
    pub fn feed(&mut self, mut chunk: &[u8], on_item: &mut impl FnMut(Item<'_>)) {
        if self.at_start {
            // The BOM may arrive split across chunks; hold back until it is decided.
            self.partial.extend_from_slice(chunk);
            if self.partial.len() < BOM.len() && BOM.starts_with(&self.partial) {
                return;
            }
            self.at_start = false;
            let start = if self.partial.starts_with(BOM) { BOM.len() } else { 0 };
            let held = std::mem::take(&mut self.partial);
            self.feed_lines(&held[start..], on_item);
            return;
        }
        // Decided by the next byte, which an empty chunk does not have.
        if self.after_cr && !chunk.is_empty() {
            self.after_cr = false;
            if let [b'\n', rest @ ..] = chunk {
                chunk = rest;
            }
        }
        self.feed_lines(chunk, on_item);
    }

    /// The stream ended: whatever event was not yet dispatched is discarded, as the spec says.
    /// The parser can be reused for the next connection (same last event id).
    pub fn reset_for_reconnect(&mut self) {
        self.partial.clear();
        self.after_cr = false;
        self.at_start = true;
        self.data.clear();
        self.event_type.clear();
        self.block_set_id = false;
        self.skipping = false;
    }

    /// Convenience for tests and tools: feed a chunk and collect owned items.
    pub fn feed_owned(&mut self, chunk: &[u8]) -> Vec<OwnedItem> {
        let mut items = Vec::new();
        self.feed(chunk, &mut |item| items.push(item.into()));
        items
    }

    fn feed_lines(&mut self, chunk: &[u8], on_item: &mut impl FnMut(Item<'_>)) {
        let mut rest = chunk;
        if !self.partial.is_empty() {
            match memchr2(b'\n', b'\r', rest) {
                None => {
                    self.extend_partial(rest, on_item);
                    return;
                }
                Some(end) => {
                    let mut line = std::mem::take(&mut self.partial);
                    line.extend_from_slice(&rest[..end]);
                    rest = self.after_line_end(rest, end);
                    self.line(&line, on_item);
                    line.clear();
                    self.partial = line; // keep the allocation
                }
            }
        }
        while let Some(end) = memchr2(b'\n', b'\r', rest) {
            let line = &rest[..end];
            rest = self.after_line_end(rest, end);
            self.line(line, on_item);
        }
        self.extend_partial(rest, on_item);
    }

    /// Skips the line ending at `end` (CR, LF or CRLF) and returns what follows it.
    fn after_line_end<'c>(&mut self, chunk: &'c [u8], end: usize) -> &'c [u8] {
        if chunk[end] == b'\r' {
            match chunk.get(end + 1) {
                Some(b'\n') => &chunk[end + 2..],
                Some(_) => &chunk[end + 1..],
                None => {
                    self.after_cr = true;
                    &chunk[end + 1..]
                }
            }
        } else {
            &chunk[end + 1..]
        }
    }

    fn extend_partial(&mut self, bytes: &[u8], on_item: &mut impl FnMut(Item<'_>)) {
        if self.skipping {
            // Only whether the line is blank matters while skipping; keep one byte at most.
            if !bytes.is_empty() && self.partial.is_empty() {
                self.partial.push(b'x');
            }
            return;
        }
        self.partial.extend_from_slice(bytes);
        if self.pending_size() > self.max_event_size {
            self.drop_event(on_item);
            self.partial.clear();
            self.partial.push(b'x');
        }
    }

    fn pending_size(&self) -> usize {
        self.data.len() + self.event_type.len() + self.partial.len()
    }

    fn drop_event(&mut self, on_item: &mut impl FnMut(Item<'_>)) {
        self.data.clear();
        self.event_type.clear();
        self.block_set_id = false;
        self.skipping = true;
        on_item(Item::EventTooLarge { limit: self.max_event_size });
    }

    fn line(&mut self, line: &[u8], on_item: &mut impl FnMut(Item<'_>)) {
        if line.is_empty() {
            if std::mem::take(&mut self.skipping) {
                self.block_set_id = false;
            } else {
                self.dispatch(on_item);
            }
            return;
        }
        if self.skipping {
            return;
        }
        if let Some(comment) = line.strip_prefix(b":") {
            let text = decode(comment, &mut self.scratch);
            on_item(Item::Comment(text));
            return;
        }
        let (name, value) = match memchr::memchr(b':', line) {
            Some(colon) => {
                let value = &line[colon + 1..];
                (&line[..colon], value.strip_prefix(b" ").unwrap_or(value))
            }
            None => (line, &b""[..]),
        };
        match name {
            b"data" => {
                if self.data.len() + self.event_type.len() + value.len() + 1 > self.max_event_size {
                    self.drop_event(on_item);
                    return;
                }
                self.data.extend_from_slice(value);
                self.data.push(b'\n');
            }
            b"event" => {
                self.event_type.clear();
                self.event_type.extend_from_slice(value);
            }
            // An id with NUL is ignored entirely (the spec's rule; it could not be sent back).
            b"id" if memchr::memchr(0, value).is_none() => {
                self.last_event_id.clear();
                self.last_event_id.push_str(decode(value, &mut self.scratch));
                self.block_set_id = true;
            }
            b"retry" if !value.is_empty() && value.iter().all(u8::is_ascii_digit) => {
                // Absurdly long values saturate rather than wrap.
                let ms = value
                    .iter()
                    .fold(0u64, |ms, d| ms.saturating_mul(10).saturating_add(u64::from(d - b'0')));
                on_item(Item::Retry(ms));
            }
            _ => {}
        }
    }

    fn dispatch(&mut self, on_item: &mut impl FnMut(Item<'_>)) {
        let block_set_id = std::mem::take(&mut self.block_set_id);
        if self.data.is_empty() {
            self.event_type.clear();
            return;
        }
        self.data.pop(); // the trailing LF
        let mut type_scratch = String::new();
        let event_type = if self.event_type.is_empty() {
            "message"
        } else {
            decode(&self.event_type, &mut type_scratch)
        };
        let data = decode(&self.data, &mut self.scratch);
        on_item(Item::Event(EventRef {
            event_type,
            data,
            last_event_id: &self.last_event_id,
            own_id: (block_set_id && !self.last_event_id.is_empty())
                .then_some(self.last_event_id.as_str()),
        }));
        self.data.clear();
        self.event_type.clear();
    }
}

/// UTF-8 with U+FFFD for invalid bytes; borrows when the bytes are valid (the common case).
fn decode<'a>(bytes: &'a [u8], scratch: &'a mut String) -> &'a str {
    match std::str::from_utf8(bytes) {
        Ok(text) => text,
        Err(_) => {
            scratch.clear();
            scratch.push_str(&String::from_utf8_lossy(bytes));
            scratch
        }
    }
}
