//! The WHATWG "Server-sent events" processing model, exactly, with no I/O: bytes in (in any
//! chunking), items out.
//!
//! The spec decodes the whole stream as UTF-8 and then splits lines. This parser splits on the
//! bytes CR and LF and decodes line by line. That is equivalent: a UTF-8 decoder never swallows
//! an ASCII byte into an invalid sequence (it reports the bad bytes and then processes the ASCII
//! byte afresh), so CR, LF, `:` and space mean the same before and after decoding, and decoding
//! each line with U+FFFD replacement yields the same characters as decoding the whole.
//!
//! Speed comes from one pass over each chunk before it is parsed (line_ends), which marks every
//! line end and tells whether the chunk is all ASCII: the parser then takes each line end from
//! the marks, and an ASCII chunk (nearly every chunk of most streams) is text with no UTF-8
//! check. Any other chunk is checked in one pass (after the end of a line the last chunk left
//! open, unless that end comes early, when it is checked in the same pass): when it is valid
//! UTF-8, its lines and the start of a line it leaves open are handled as `&str` slices of the
//! chunk with no further checks; only a chunk with invalid bytes (or a character it cuts in two)
//! takes the slower per-line repair. An event whose data is one line within one chunk is handed
//! out as a slice of that chunk, and a data line that spans chunks is checked and copied into
//! the event's data piece by piece as it arrives, so event data is copied at most once: the
//! benchmarks measure each copy and pass over the bytes against a floor that does nothing but
//! find line ends and check UTF-8.

use memchr::memchr2;

mod items;
mod line_ends;
mod spanning;
mod utf8;

pub use items::{Event, EventRef, Item, OwnedItem};
use line_ends::{Index, PIECE};
use utf8::{Checked, Piece, quick_utf8};

/// The largest event a parser accepts by default: its data (with an LF for each line) and its
/// type, as it ends. Data is dropped as soon as it is over (it never shrinks); a type only when
/// the event ends with it, since a later `event` line replaces it. The parser holds at most
/// about twice this (data, type) and the line being read.
pub const DEFAULT_MAX_EVENT_SIZE: usize = 8 * 1024 * 1024;

const BOM: &[u8] = b"\xEF\xBB\xBF";

#[derive(Debug)]
pub struct Parser {
    max_event_size: usize,
    /// Bytes of a line that has not ended yet (the tail of the last chunk).
    partial: Vec<u8>,
    /// The last chunk ended in CR: an LF at the start of the next one ends nothing.
    after_cr: bool,
    /// Still at the start of the stream, where one BOM is stripped.
    at_start: bool,
    /// The block's data lines, each followed by LF.
    data: String,
    /// The line being read is a data line whose value goes into `data` as it arrives.
    streaming: bool,
    /// The start of a character cut off at the end of the last piece streamed (at most 3 bytes).
    carry: Vec<u8>,
    event_type: String,
    last_event_id: String,
    /// The spec's "last event ID string": the buffer as of the last dispatch. An `id` line of
    /// an event the stream cut off must not be sent back on reconnect.
    dispatched_id: String,
    /// The current block set an id. Within a block the last `id` line wins, so the block's own
    /// id is then exactly `last_event_id`; no copy is needed.
    block_set_id: bool,
    /// Inside an event that went over the limit: its data and event lines are skipped until the
    /// blank line that ends it (its `id` and `retry` still count, as the spec has them).
    skipping: bool,
    /// The line being read went over the limit: the rest of it is ignored (`partial` holds one
    /// byte so that its end is not taken for a blank line).
    skip_line: bool,
    /// The block's event type is longer than an event may be: unless a later `event` line
    /// replaces it, the event is dropped when it ends (what counts is the event as dispatched,
    /// whatever the order of its lines; only data, which never shrinks, is dropped early).
    type_too_long: bool,
    /// The line ends of the piece being parsed (memory kept between pieces).
    index: Index,
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
            data: String::new(),
            streaming: false,
            carry: Vec::new(),
            event_type: String::new(),
            last_event_id: String::new(),
            dispatched_id: String::new(),
            block_set_id: false,
            skipping: false,
            skip_line: false,
            type_too_long: false,
            index: Index::default(),
        }
    }

    /// Starts reading with this last event id, as a reconnecting client does.
    pub fn with_last_event_id(mut self, id: &str) -> Self {
        self.set_last_event_id(id);
        self
    }

    /// Resumes from `id` on the next connection (a client that keeps its own position, such
    /// as one that does not let a replaying server pull it back, says where it is).
    pub fn set_last_event_id(&mut self, id: &str) {
        id.clone_into(&mut self.last_event_id);
        id.clone_into(&mut self.dispatched_id);
    }

    pub fn last_event_id(&self) -> &str {
        &self.last_event_id
    }

    /// The id as of the last dispatch, which a block with no data and an event too large to
    /// keep move too, as the spec's lastEventId: what the next connection resumes from.
    pub fn dispatched_id(&self) -> &str {
        &self.dispatched_id
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

    /// The stream ended: whatever event was not yet dispatched is discarded, as the spec says,
    /// with any `id` it set. The parser can be reused for the next connection, whose
    /// `Last-Event-ID` is the id as of the last dispatch.
    pub fn reset_for_reconnect(&mut self) {
        self.partial.clear();
        self.after_cr = false;
        self.at_start = true;
        self.data.clear();
        self.streaming = false;
        self.carry.clear();
        self.event_type.clear();
        self.block_set_id = false;
        self.skipping = false;
        self.skip_line = false;
        self.type_too_long = false;
        self.last_event_id.clone_from(&self.dispatched_id);
    }

    /// Convenience for tests and tools: feed a chunk and collect owned items.
    pub fn feed_owned(&mut self, chunk: &[u8]) -> Vec<OwnedItem> {
        let mut items = Vec::new();
        self.feed(chunk, &mut |item| items.push(item.into()));
        items
    }

    /// A chunk, in pieces of at most `PIECE` bytes (see line_ends).
    fn feed_lines(&mut self, chunk: &[u8], on_item: &mut impl FnMut(Item<'_>)) {
        let mut pieces = chunk.chunks(PIECE);
        if let Some(first) = pieces.next() {
            self.feed_piece(first, on_item);
        }
        for mut piece in pieces {
            // As between chunks (see feed).
            if std::mem::take(&mut self.after_cr)
                && let [b'\n', rest @ ..] = piece
            {
                piece = rest;
            }
            self.feed_piece(piece, on_item);
        }
    }

    fn feed_piece(&mut self, piece: &[u8], on_item: &mut impl FnMut(Item<'_>)) {
        let mut index = std::mem::take(&mut self.index);
        index.of(piece);
        self.parse_piece(piece, &index, on_item);
        index.done();
        self.index = index;
    }

    /// A piece (a chunk, or a part of a long one) whose line ends are in `index`.
    fn parse_piece(&mut self, chunk: &[u8], index: &Index, on_item: &mut impl FnMut(Item<'_>)) {
        let mut rest = chunk;
        // The whole piece as text when it is ASCII (nearly always); otherwise the chunk after
        // the first line end is checked in one pass, or the whole of it when the end of a data
        // line it continues comes early.
        let mut whole = index.ascii().then(|| Checked::ascii(chunk));
        if self.streaming {
            let Some(end) = index.first_from(0) else {
                self.stream(whole.map_or(Piece::Bytes(rest), |w| w.piece(rest)), on_item);
                return;
            };
            // A short end of a line (most chunks of small events) is checked with the rest of
            // the chunk: on its own it took the slower check for short runs. Not after a
            // character cut in two, which the chunk starts inside of.
            let head = if let Some(checked) = &whole {
                checked.piece(&rest[..end])
            } else if end < utf8::SIMD_FROM && self.carry.is_empty() {
                let checked = whole.insert(Checked::new(rest));
                checked.piece(&rest[..end])
            } else {
                Piece::Bytes(&rest[..end])
            };
            self.stream(head, on_item);
            if self.streaming {
                self.end_streamed_line(on_item);
            } else {
                // Dropped on the way: the skipped line ends here.
                self.partial.clear();
                self.skip_line = false;
            }
            rest = self.after_line_end(rest, end);
        } else if !self.partial.is_empty() {
            let Some(end) = index.first_from(0) else {
                self.extend_partial(whole.map_or(Piece::Bytes(rest), |w| w.piece(rest)), on_item);
                return;
            };
            let mut line = std::mem::take(&mut self.partial);
            let skipped = std::mem::take(&mut self.skip_line);
            if !skipped {
                line.extend_from_slice(&rest[..end]);
            }
            rest = self.after_line_end(rest, end);
            let mut spare = match String::from_utf8(line) {
                // A line over the limit ends: nothing of it counts.
                Ok(text) if skipped => text.into_bytes(),
                Ok(text) => {
                    self.whole_line(&text, on_item);
                    text.into_bytes()
                }
                Err(invalid) => {
                    let line = invalid.into_bytes();
                    self.whole_line(&String::from_utf8_lossy(&line), on_item);
                    line
                }
            };
            spare.clear();
            self.partial = spare; // keep the allocation
        }
        // The rest is checked in one pass. It starts at a line's start, never inside a
        // character: one cut off by the last chunk belongs to a line that just ended.
        let checked = whole.unwrap_or_else(|| Checked::new(rest));
        // Everything up to the last CR or LF is complete lines; the rest waits for more.
        let offset = chunk.len() - rest.len();
        let Some(last) = index.last().filter(|&last| last >= offset) else {
            self.extend_partial(checked.piece(rest), on_item);
            return;
        };
        let (lines, tail) = rest.split_at(last - offset + 1);
        match checked.text_of(lines).ok_or(()).or_else(|()| quick_utf8(lines)) {
            Ok(text) => {
                let ends = index.ends_from(offset).map(|end| end - offset);
                self.complete_lines(text, ends, on_item);
            }
            Err(_) => self.repaired_lines(lines, on_item),
        }
        if !tail.is_empty() {
            // A CR that ended `lines` is followed by the tail, not by the next chunk, and the
            // tail holds no LF: that CR was a whole line ending.
            self.after_cr = false;
        }
        self.extend_partial(checked.piece(tail), on_item);
    }

    /// Complete lines (the text ends with a CR or LF) that are valid UTF-8; `ends` are its
    /// line ends, from the index.
    #[inline(always)]
    fn complete_lines(
        &mut self,
        text: &str,
        ends: impl Iterator<Item = usize>,
        on_item: &mut impl FnMut(Item<'_>),
    ) {
        let bytes = text.as_bytes();
        let mut block = Block::default();
        let mut start = 0;
        for end in ends {
            if end < start {
                continue; // the LF of a CRLF, already taken with its CR
            }
            self.line(&text[start..end], &mut block, on_item);
            start = end + 1;
            if bytes[end] == b'\r' {
                match bytes.get(start) {
                    Some(b'\n') => start += 1,
                    Some(_) => {}
                    None => self.after_cr = true,
                }
            }
        }
        self.keep(block);
    }

    /// Complete lines with invalid UTF-8 somewhere: each line is repaired (U+FFFD) on its own.
    fn repaired_lines(&mut self, mut bytes: &[u8], on_item: &mut impl FnMut(Item<'_>)) {
        while let Some(end) = memchr2(b'\n', b'\r', bytes) {
            let line = String::from_utf8_lossy(&bytes[..end]).into_owned();
            bytes = self.after_line_end(bytes, end);
            self.whole_line(&line, on_item);
        }
    }

    /// One line on its own, whose text does not outlive the call.
    fn whole_line(&mut self, line: &str, on_item: &mut impl FnMut(Item<'_>)) {
        let mut block = Block::default();
        self.line(line, &mut block, on_item);
        self.keep(block);
    }

    /// The chunk is done: data still borrowed from it goes into the buffer.
    fn keep(&mut self, block: Block<'_>) {
        if let Some(data) = block.data {
            self.data.push_str(data);
            self.data.push('\n');
        }
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

    /// The event went over the limit: what it holds goes, and its data and event lines are
    /// skipped until the blank line that ends it.
    fn drop_event(&mut self, on_item: &mut impl FnMut(Item<'_>)) {
        self.data.clear();
        self.event_type.clear();
        self.type_too_long = false;
        self.skipping = true;
        on_item(Item::EventTooLarge { limit: self.max_event_size });
    }

    // Forced inline (here, in dispatch and split_field): the per-line path then compiles into
    // the line loop, which measured ~30% faster on small events (make bench, tiny corpus).
    #[inline(always)]
    fn line<'c>(
        &mut self,
        line: &'c str,
        block: &mut Block<'c>,
        on_item: &mut impl FnMut(Item<'_>),
    ) {
        if line.is_empty() {
            // A skipped event ends as one without data: only its id is taken.
            self.skipping = false;
            self.dispatch(block.data.take(), on_item);
            return;
        }
        // Any line but data and event lines that is longer than an event may be is ignored, in
        // whatever pieces it came (see extend_partial).
        let too_long = line.len() > self.max_event_size;
        if let Some(comment) = line.strip_prefix(':') {
            if !too_long {
                on_item(Item::Comment(comment));
            }
            return;
        }
        let (name, value) = split_field(line);
        match name {
            "data" | "event" if self.skipping => {}
            "data" => {
                let borrowed = block.data.map_or(0, |data| data.len() + 1);
                let size = self.data.len() + borrowed;
                if size + value.len() + 1 > self.max_event_size {
                    block.data = None;
                    self.drop_event(on_item);
                    return;
                }
                if self.data.is_empty() && block.data.is_none() {
                    // Perhaps the event's only data line: borrowed until a second one comes.
                    block.data = Some(value);
                    return;
                }
                self.keep(std::mem::take(block));
                self.data.push_str(value);
                self.data.push('\n');
            }
            "event" => {
                self.event_type.clear();
                self.type_too_long = value.len() > self.max_event_size;
                if !self.type_too_long {
                    self.event_type.push_str(value);
                }
            }
            _ if too_long => {}
            // An id with NUL is ignored entirely (the spec's rule; it could not be sent back).
            "id" if !value.as_bytes().contains(&0) => {
                self.last_event_id.clear();
                self.last_event_id.push_str(value);
                self.block_set_id = true;
            }
            "retry" if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) => {
                // Absurdly long values saturate rather than wrap.
                let ms = value
                    .bytes()
                    .fold(0u64, |ms, d| ms.saturating_mul(10).saturating_add(u64::from(d - b'0')));
                on_item(Item::Retry(ms));
            }
            _ => {}
        }
    }

    /// `borrowed`: the block's only data line, still a slice of the chunk.
    #[inline(always)]
    fn dispatch(&mut self, borrowed: Option<&str>, on_item: &mut impl FnMut(Item<'_>)) {
        let block_set_id = std::mem::take(&mut self.block_set_id);
        if block_set_id {
            self.dispatched_id.clone_from(&self.last_event_id);
        }
        let type_too_long = std::mem::take(&mut self.type_too_long);
        let data = match borrowed {
            Some(data) => data,
            None if self.data.is_empty() => {
                self.event_type.clear();
                return;
            }
            None => {
                self.data.pop(); // the trailing LF
                &self.data
            }
        };
        // The event as it ended: its data (with the LF of each line) and its type.
        if type_too_long || data.len() + 1 + self.event_type.len() > self.max_event_size {
            self.data.clear();
            self.event_type.clear();
            on_item(Item::EventTooLarge { limit: self.max_event_size });
            return;
        }
        let event_type = if self.event_type.is_empty() { "message" } else { &self.event_type };
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

/// What a block holds that is still borrowed from the chunk being parsed.
#[derive(Default)]
struct Block<'c> {
    data: Option<&'c str>,
}

/// A line's field name and value (one leading space removed). The usual fields are matched by
/// their prefix, which saves a search for the colon on almost every line.
#[inline(always)]
fn split_field(line: &str) -> (&str, &str) {
    let colon = match line.as_bytes() {
        [b'd', b'a', b't', b'a', b':', ..] => 4,
        [b'i', b'd', b':', ..] => 2,
        [b'e', b'v', b'e', b'n', b't', b':', ..] => 5,
        bytes => match memchr::memchr(b':', bytes) {
            Some(colon) => colon,
            None => return (line, ""),
        },
    };
    let value = &line[colon + 1..];
    (&line[..colon], value.strip_prefix(' ').unwrap_or(value))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A big chunk needs a big index (a word for each 64 bytes); the parser does not keep it.
    #[test]
    fn the_index_of_a_big_chunk_is_not_kept() {
        let mut parser = Parser::new();
        let mut events = 0;
        let chunk = "data: x\n\n".repeat(300_000);
        parser.feed(chunk.as_bytes(), &mut |item| {
            events += usize::from(matches!(item, Item::Event(_)))
        });
        assert_eq!(events, 300_000);
        assert_eq!(parser.index.held(), 0);
        parser.feed(b"data: y\n\n", &mut |_| {});
        assert!(parser.index.held() > 0, "a small one is kept");
    }
}
