//! Lines that span chunks: a data line's value goes into the event's data piece by piece as it
//! arrives; any other line is gathered in `partial`. Both are held to the size limit as they
//! grow, counted as they will be once the line ends, so that where the stream is cut never
//! changes what is kept.

use super::utf8::{Piece, push_repaired};
use super::{Item, Parser};

impl Parser {
    pub(super) fn extend_partial(&mut self, piece: Piece<'_>, on_item: &mut impl FnMut(Item<'_>)) {
        if self.skip_line {
            return;
        }
        if self.streaming {
            self.stream(piece, on_item);
            return;
        }
        let bytes = piece.bytes();
        // A data line, once it is clear where its value starts (after the colon and the one
        // space that may follow), streams from here on.
        if !self.skipping
            && self.partial.is_empty()
            && bytes.len() > 5
            && bytes.starts_with(b"data:")
        {
            let start = if bytes[5] == b' ' { 6 } else { 5 };
            self.streaming = true;
            self.stream(piece.from(start), on_item);
            return;
        }
        self.partial.extend_from_slice(bytes);
        if !self.skipping && self.partial.len() > 5 && self.partial.starts_with(b"data:") {
            let start = if self.partial[5] == b' ' { 6 } else { 5 };
            let mut line = std::mem::take(&mut self.partial);
            self.streaming = true;
            self.stream(Piece::Bytes(&line[start..]), on_item);
            if self.partial.is_empty() {
                line.clear();
                self.partial = line; // keep the allocation (unless a drop marked the line)
            }
            return;
        }
        match self.pending_size() {
            Some(Pending::Data(size)) if !self.skipping && size > self.max_event_size => {
                self.drop_event(on_item);
                self.skip_rest_of_line();
            }
            Some(Pending::Type(size)) if !self.skipping && size > self.max_event_size => {
                self.type_too_long = true;
                self.event_type.clear();
                self.skip_rest_of_line();
            }
            Some(_) if !self.skipping => {}
            // Any other line (or any line of an event being skipped) is held in memory too:
            // past the limit it is ignored, as a whole line that long would be.
            _ if self.partial.len() > self.max_event_size => self.skip_rest_of_line(),
            _ => {}
        }
    }

    /// The rest of the line being read is ignored; one byte stays, so that its end is not
    /// taken for a blank line.
    fn skip_rest_of_line(&mut self) {
        self.skip_line = true;
        self.partial.clear();
        self.partial.push(b'x');
    }

    /// With a data or event line still being read (None for any other): the data with its
    /// LFs, or the type, as the limit will count them once the line ends, so that where the
    /// stream is cut does not decide what is kept.
    fn pending_size(&self) -> Option<Pending> {
        let value = |rest: &[u8]| rest.strip_prefix(b" ").unwrap_or(rest).len();
        let partial = &self.partial[..];
        let data = self.data.len();
        if let Some(rest) = partial.strip_prefix(b"data:") {
            Some(Pending::Data(data + value(rest) + 1))
        } else if let Some(rest) = partial.strip_prefix(b"event:") {
            Some(Pending::Type(value(rest)))
        } else if partial.is_empty() {
            None
        } else if b"data".starts_with(partial) || b"event".starts_with(partial) {
            // Not known yet: `dat` may end as `data` (a data line) or go on as `date: x` (a
            // line that adds nothing). Five bytes at most wait for the next chunk.
            Some(Pending::Undecided)
        } else {
            None
        }
    }

    /// Part of a streamed data line's value: into `data`, repaired as the whole line would be
    /// (a character cut between pieces is carried to the next). Past the size limit the event
    /// is dropped, and the rest of the line is skipped.
    pub(super) fn stream(&mut self, piece: Piece<'_>, on_item: &mut impl FnMut(Item<'_>)) {
        match piece {
            Piece::Text(text) if self.carry.is_empty() => self.data.push_str(text),
            _ => push_repaired(&mut self.data, &mut self.carry, piece.bytes()),
        }
        if self.data.len() + self.carry.len() + 1 > self.max_event_size {
            self.streaming = false;
            self.carry.clear();
            self.drop_event(on_item);
            self.skip_rest_of_line();
        }
    }

    /// The streamed data line ended: as the whole line would have been taken.
    pub(super) fn end_streamed_line(&mut self, on_item: &mut impl FnMut(Item<'_>)) {
        self.streaming = false;
        if !self.carry.is_empty() {
            // A character the line ended in the middle of.
            self.carry.clear();
            self.data.push(char::REPLACEMENT_CHARACTER);
        }
        if self.data.len() + 1 > self.max_event_size {
            self.drop_event(on_item);
            return;
        }
        self.data.push('\n');
    }
}

/// A data or event line being read, by what the limit counts of it.
enum Pending {
    /// The block's data with this line's value and LF.
    Data(usize),
    /// This line's value: the type it sets.
    Type(usize),
    /// The start of a field name that may yet be `data` or `event`, or another.
    Undecided,
}
