//! UTF-8 for the parser: checked the fastest way for a run's length, and repaired piece by
//! piece exactly as a whole line would be.

/// Appends `bytes` to `text`, each invalid sequence replaced by U+FFFD exactly as
/// `String::from_utf8_lossy` does for the whole: a sequence cut at the end waits in `carry` for
/// the bytes that complete it (or show it invalid).
pub(super) fn push_repaired(text: &mut String, carry: &mut Vec<u8>, mut bytes: &[u8]) {
    while !carry.is_empty() && !bytes.is_empty() {
        // The carried start of a character and the next few bytes, decoded together.
        let joined: Vec<u8> = carry.iter().chain(bytes.iter().take(4)).copied().collect();
        let used_before = carry.len();
        carry.clear();
        match std::str::from_utf8(&joined) {
            Ok(all) => {
                text.push_str(all);
                bytes = &bytes[joined.len() - used_before..];
            }
            Err(e) if e.valid_up_to() > 0 => {
                let valid = e.valid_up_to();
                text.push_str(std::str::from_utf8(&joined[..valid]).unwrap_or_default());
                bytes = &bytes[valid.saturating_sub(used_before)..];
            }
            Err(e) => match e.error_len() {
                Some(bad) => {
                    text.push(char::REPLACEMENT_CHARACTER);
                    bytes = &bytes[bad.saturating_sub(used_before)..];
                }
                None => {
                    // Still not complete: everything so far waits.
                    carry.extend_from_slice(&joined);
                    bytes = &bytes[joined.len() - used_before..];
                }
            },
        }
    }
    // Nearly always valid: the quick check first, the one that says where only when not.
    if let Ok(all) = quick_utf8(bytes) {
        text.push_str(all);
        return;
    }
    while !bytes.is_empty() {
        match simdutf8::compat::from_utf8(bytes) {
            Ok(all) => {
                text.push_str(all);
                return;
            }
            Err(e) => {
                let (valid, rest) = bytes.split_at(e.valid_up_to());
                text.push_str(std::str::from_utf8(valid).unwrap_or_default());
                match e.error_len() {
                    Some(bad) => {
                        text.push(char::REPLACEMENT_CHARACTER);
                        bytes = &rest[bad..];
                    }
                    None => {
                        carry.extend_from_slice(rest);
                        return;
                    }
                }
            }
        }
    }
}

/// UTF-8 checked the fastest way for its length: SIMD pays for setting up only on longer runs
/// (measured with the parser bench: ntfy-like events cut into 1 KiB chunks).
pub(super) fn quick_utf8(bytes: &[u8]) -> Result<&str, ()> {
    if bytes.len() < SIMD_FROM {
        std::str::from_utf8(bytes).map_err(drop)
    } else {
        simdutf8::basic::from_utf8(bytes).map_err(drop)
    }
}

pub(super) const SIMD_FROM: usize = 512;

/// (The rest of) the chunk being parsed, checked as a whole once: CR and LF are ASCII, so every
/// piece of a valid chunk cut at a line end is valid too, and is handed on as text, not checked
/// again.
pub(super) struct Checked<'c> {
    chunk: &'c [u8],
    /// The chunk's text, when it is valid UTF-8 by itself.
    text: Option<&'c str>,
}

impl<'c> Checked<'c> {
    /// `chunk` must not start inside a character (the rest of one cut off at the end of the
    /// last chunk): it would be taken for invalid, and its pieces checked one by one.
    pub(super) fn new(chunk: &'c [u8]) -> Self {
        Self { chunk, text: quick_utf8(chunk).ok() }
    }

    /// A chunk its index found to be all ASCII, which needs no other check.
    pub(super) fn ascii(chunk: &'c [u8]) -> Self {
        debug_assert!(chunk.is_ascii());
        // SAFETY: every byte is below 0x80 (the index's pass said so; the tests hold each way
        // of making it to std's `is_ascii`), and ASCII is valid UTF-8.
        #[allow(unsafe_code)]
        let text = unsafe { std::str::from_utf8_unchecked(chunk) };
        Self { chunk, text: Some(text) }
    }

    /// `part`, a slice of the chunk, as text when the chunk was valid.
    pub(super) fn text_of(&self, part: &'c [u8]) -> Option<&'c str> {
        let start = (part.as_ptr() as usize).checked_sub(self.chunk.as_ptr() as usize)?;
        self.text?.get(start..start.checked_add(part.len())?)
    }

    pub(super) fn piece(&self, part: &'c [u8]) -> Piece<'c> {
        self.text_of(part).map_or(Piece::Bytes(part), Piece::Text)
    }
}

/// Part of a line: text already checked, or bytes still to be checked.
#[derive(Clone, Copy)]
pub(super) enum Piece<'c> {
    Text(&'c str),
    Bytes(&'c [u8]),
}

impl<'c> Piece<'c> {
    pub(super) fn bytes(self) -> &'c [u8] {
        match self {
            Piece::Text(text) => text.as_bytes(),
            Piece::Bytes(bytes) => bytes,
        }
    }

    /// The piece from `start` on, a position after ASCII bytes (so a character boundary).
    pub(super) fn from(self, start: usize) -> Piece<'c> {
        match self {
            Piece::Text(text) => {
                text.get(start..).map_or(Piece::Bytes(&text.as_bytes()[start..]), Piece::Text)
            }
            Piece::Bytes(bytes) => Piece::Bytes(&bytes[start..]),
        }
    }
}
