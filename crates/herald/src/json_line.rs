//! Writing `tail --json` lines fast. Event data that is itself JSON has a quote every few bytes,
//! which made escaping it most of `herald tail --json`'s time (a profile put 55% there). So
//! each line is built in one buffer that is kept between chunks, and on x86-64 CPUs with SSSE3
//! (every one since about 2008) the escaper works 16 bytes at a time: the quotes and
//! backslashes of each 8 bytes get their backslashes in one byte shuffle, from a table indexed
//! by which of the 8 need one; with AVX-512 (BW, VL, VBMI2) 32 bytes at a time, each byte
//! widened to a pair and the spare bytes squeezed out by one compress. Control characters,
//! rarer, take the byte-at-a-time path, which is also the whole escaper elsewhere. Each way
//! writes whole lines in a function compiled for its CPU features, the escaper inlined into it.
//! BENCHMARKS.md has the figures.

/// For each byte: 0 = copy as is, otherwise the character after the backslash (`u` = \u00XX).
static ESCAPE: [u8; 256] = {
    let mut table = [0u8; 256];
    let mut b = 0;
    while b < 0x20 {
        table[b] = b'u';
        b += 1;
    }
    table[b'\n' as usize] = b'n';
    table[b'\r' as usize] = b'r';
    table[b'\t' as usize] = b't';
    table[0x08] = b'b';
    table[0x0c] = b'f';
    table[b'"' as usize] = b'"';
    table[b'\\' as usize] = b'\\';
    table
};

mod avx512;
mod ssse3;

const LO: u64 = 0x0101_0101_0101_0101;
const HI: u64 = 0x8080_8080_8080_8080;

/// Whether any of the 8 bytes in `word` is a quote, a backslash or below 0x20 (exact: the
/// classic "has a zero byte" test, applied to each condition).
#[inline]
fn needs_escape(word: u64) -> bool {
    let zero = |v: u64| v.wrapping_sub(LO) & !v & HI;
    let quote = zero(word ^ (LO * u64::from(b'"')));
    let backslash = zero(word ^ (LO * u64::from(b'\\')));
    let control = word.wrapping_sub(LO * 0x20) & !word & HI;
    quote | backslash | control != 0
}

/// The lines of one network chunk. The buffer is never shrunk below what it had to hold (up to
/// a bound), so the escaper may store whole blocks past what it keeps: bytes past `len` are
/// scratch.
#[derive(Debug)]
pub struct Lines {
    buf: Vec<u8>,
    len: usize,
    /// `push_event` compiled for the widest block escaper this CPU has, chosen once: an event's
    /// strings are short and many, so a call and a check of the CPU for each showed in the
    /// profile; compiled for the CPU's features, the escaper is inlined into it.
    push: Push,
}

/// Writes one event's line.
type Push = fn(&mut Lines, &herald_sse::EventRef<'_>);

impl Default for Lines {
    fn default() -> Self {
        let push: Push = if avx512::available() {
            avx512::push_event
        } else if ssse3::available() {
            ssse3::push_event
        } else {
            plain
        };
        Self { buf: Vec::new(), len: 0, push }
    }
}

/// `Lines::push_event` with no block escaper: byte by byte (8 at a time where clean).
fn plain(lines: &mut Lines, event: &herald_sse::EventRef<'_>) {
    lines.push_event_with(event, &|_: &[u8], _: &mut [u8], at| (0, at));
}

/// Kept between chunks up to this; a bigger buffer (an event of megabytes) is let go after use.
const KEEP: usize = 1024 * 1024;

impl Lines {
    pub fn as_bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }

    pub fn clear(&mut self) {
        self.len = 0;
        if self.buf.len() > KEEP {
            self.buf = Vec::new();
        }
    }

    /// `{"type":…,"data":…,"last_event_id":…,"id":…}` and a newline (docs/cli.md, "Tail").
    pub fn push_event(&mut self, event: &herald_sse::EventRef<'_>) {
        (self.push)(self, event);
    }

    /// `push_event` with a block escaper (see `text_with`). Inlined into each way of pushing,
    /// so that the escaper is inlined too. The quotes of the strings are written with the
    /// words between them.
    #[inline(always)]
    fn push_event_with<B: Fn(&[u8], &mut [u8], usize) -> (usize, usize)>(
        &mut self,
        event: &herald_sse::EventRef<'_>,
        blocks: &B,
    ) {
        self.raw(b"{\"type\":\"");
        self.text_with(event.event_type, blocks);
        self.raw(b"\",\"data\":\"");
        self.text_with(event.data, blocks);
        self.raw(b"\",\"last_event_id\":\"");
        self.text_with(event.last_event_id, blocks);
        match event.own_id {
            Some(id) => {
                self.raw(b"\",\"id\":\"");
                self.text_with(id, blocks);
                self.raw(b"\"}\n");
            }
            None => self.raw(b"\",\"id\":null}\n"),
        }
    }

    /// Readable text (`tail` without `--json`), as it is.
    pub fn push_readable(&mut self, text: std::fmt::Arguments<'_>) {
        use std::fmt::Write as _;
        struct Raw<'a>(&'a mut Lines);
        impl std::fmt::Write for Raw<'_> {
            fn write_str(&mut self, text: &str) -> std::fmt::Result {
                self.0.raw(text.as_bytes());
                Ok(())
            }
        }
        // Writing into memory cannot fail.
        let _ = Raw(self).write_fmt(text);
    }

    /// Makes `n` bytes of room past `len` (zeroed once, when the buffer grows).
    fn room(&mut self, n: usize) {
        let need = self.len.saturating_add(n);
        if self.buf.len() < need {
            self.buf.resize(need.max(self.buf.len().saturating_mul(2)), 0);
        }
    }

    fn raw(&mut self, bytes: &[u8]) {
        self.room(bytes.len());
        self.buf[self.len..self.len + bytes.len()].copy_from_slice(bytes);
        self.len += bytes.len();
    }

    /// `text` as a JSON string, quotes included, escaped the way `push_event` does.
    #[cfg(test)]
    fn string(&mut self, text: &str) {
        let event =
            herald_sse::EventRef { event_type: "", data: text, last_event_id: "", own_id: None };
        let start = self.len;
        self.push_event(&event);
        // The data's string alone: from its opening quote to its closing one.
        let line = self.buf[start..self.len].to_vec();
        let (open, close) =
            (b"{\"type\":\"\",\"data\":".len(), b",\"last_event_id\":\"\",\"id\":null}\n".len());
        self.len = start;
        self.raw(&line[open..line.len() - close]);
    }

    /// `text` escaped for a JSON string, without its quotes. `blocks` escapes from the start
    /// of its input until a control character, into the buffer from an offset (which has room
    /// for twice the input and 32 bytes more); it returns how much input it took and where the
    /// output ends. What it leaves (a control character, or everything where there is no block
    /// escaper) goes 32 bytes at a time through the byte-at-a-time escaper.
    #[inline(always)]
    fn text_with<B: Fn(&[u8], &mut [u8], usize) -> (usize, usize)>(
        &mut self,
        text: &str,
        blocks: &B,
    ) {
        let mut rest = text.as_bytes();
        while !rest.is_empty() {
            // Quotes and backslashes at most double what is left, and a block may be stored
            // whole past its end. Asked again after control characters, which take six bytes.
            self.room(rest.len().saturating_mul(2).saturating_add(32));
            let (used, len) = blocks(rest, &mut self.buf, self.len);
            self.len = len;
            rest = &rest[used..];
            if rest.is_empty() {
                break;
            }
            let take = rest.len().min(32);
            self.bytes(&rest[..take]);
            rest = &rest[take..];
        }
    }

    /// The byte-at-a-time escaper, copying 8 clean bytes at once.
    fn bytes(&mut self, bytes: &[u8]) {
        // At most 6 bytes out for each byte in (\u00XX).
        self.room(bytes.len().saturating_mul(6));
        let mut words = bytes.chunks_exact(8);
        for word in words.by_ref() {
            let value = u64::from_le_bytes(word.try_into().unwrap_or([0; 8]));
            if needs_escape(value) {
                word.iter().for_each(|&b| self.byte(b));
            } else {
                self.buf[self.len..self.len + 8].copy_from_slice(word);
                self.len += 8;
            }
        }
        words.remainder().iter().for_each(|&b| self.byte(b));
    }

    /// One byte, escaped if it must be; the room is there.
    #[inline]
    fn byte(&mut self, b: u8) {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let out = &mut self.buf[self.len..];
        self.len += match ESCAPE[b as usize] {
            0 => {
                out[0] = b;
                1
            }
            b'u' => {
                out[..6].copy_from_slice(&[
                    b'\\',
                    b'u',
                    b'0',
                    b'0',
                    HEX[(b >> 4) as usize],
                    HEX[(b & 15) as usize],
                ]);
                6
            }
            escape => {
                out[..2].copy_from_slice(&[b'\\', escape]);
                2
            }
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type Blocks = fn(&[u8], &mut [u8], usize) -> (usize, usize);

    fn escaped(text: &str) -> String {
        let mut lines = Lines::default();
        lines.string(text);
        String::from_utf8(lines.as_bytes().to_vec()).unwrap()
    }

    #[test]
    fn agrees_with_serde_json_on_every_kind_of_character() {
        let nasty: String = (0u8..0x80).map(char::from).collect::<String>() + "é€😀\u{2028}\"\\";
        for text in ["", "plain", "{\"a\":[1,\"b\\\\\"]}", nasty.as_str()] {
            let ours = escaped(text);
            assert_eq!(
                serde_json::from_str::<String>(&ours).unwrap(),
                text,
                "round trip of {text:?}"
            );
        }
        let mut lines = Lines::default();
        lines.push_event(&herald_sse::EventRef {
            event_type: "m",
            data: "d\n\"",
            last_event_id: "",
            own_id: None,
        });
        let line = lines.as_bytes();
        let value: serde_json::Value = serde_json::from_slice(line).unwrap();
        assert_eq!(
            value,
            serde_json::json!({"type": "m", "data": "d\n\"", "last_event_id": "", "id": null})
        );
        assert!(line.ends_with(b"}\n"));
        // With an id of its own, and text that needs escaping in every string (the quotes
        // around each are written with the words between them).
        lines.clear();
        lines.push_event(&herald_sse::EventRef {
            event_type: "t\"y\\pe",
            data: "\u{1}",
            last_event_id: "i\"d",
            own_id: Some("i\"d"),
        });
        let value: serde_json::Value = serde_json::from_slice(lines.as_bytes()).unwrap();
        assert_eq!(
            value,
            serde_json::json!({"type": "t\"y\\pe", "data": "\u{1}", "last_event_id": "i\"d", "id": "i\"d"})
        );
    }

    #[test]
    fn random_strings_round_trip_through_serde_json() {
        let alphabet = ['a', 'z', '"', '\\', '\n', '\u{1}', '\u{1f}', ' ', 'é', '😀', '\u{7f}'];
        let mut rng = fastrand::Rng::with_seed(7);
        // Long enough for whole 16-byte blocks, with the special bytes at every position in
        // them and across their edges; one buffer for all, as tail keeps it.
        let mut lines = Lines::default();
        for round in 0..5_000 {
            let len = rng.usize(0..120);
            let clean = round % 3; // some strings mostly clean, so blocks take both paths
            let text: String = (0..len)
                .map(|_| match rng.usize(0..alphabet.len() + clean * 8) {
                    i if i < alphabet.len() => alphabet[i],
                    _ => 'x',
                })
                .collect();
            lines.clear();
            lines.string(&text);
            let back: String = serde_json::from_slice(lines.as_bytes())
                .unwrap_or_else(|e| panic!("{text:?}: {e}"));
            assert_eq!(back, text);
            assert_eq!(escaped(&text), serde_json::to_string(&text).unwrap(), "{text:?}");
            // Each way of pushing this CPU can run (the widest is the one above).
            for push in [avx512::push_event as Push, ssse3::push_event, plain] {
                let mut other = Lines { push, ..Lines::default() };
                other.string(&text);
                assert_eq!(other.as_bytes(), lines.as_bytes(), "{text:?}");
            }
            // The byte-at-a-time escaper alone, as on CPUs without SSSE3.
            let mut alone = Lines::default();
            alone.bytes(text.as_bytes());
            assert_eq!(alone.as_bytes(), &lines.as_bytes()[1..lines.len - 1], "{text:?}");
        }
    }

    /// Each of the wide paths against the byte-at-a-time escaper, with a quote, a backslash or
    /// a control character at every position of two blocks, on CPUs that have them.
    #[test]
    fn the_block_escapers_agree_with_the_bytes_one_at_every_position() {
        for len in 0..100 {
            for pos in 0..len {
                for special in [b'"', b'\\', b'\n', b'\x01'] {
                    let mut text = vec![b'a'; len];
                    text[pos] = special;
                    if pos + 33 < len {
                        text[pos + 33] = b'"';
                    }
                    let text = String::from_utf8(text).unwrap();
                    let mut alone = Lines::default();
                    alone.bytes(text.as_bytes());
                    let whole = escaped(&text);
                    assert_eq!(&whole.as_bytes()[1..whole.len() - 1], alone.as_bytes(), "{text:?}");
                    for blocks in [avx512::blocks as Blocks, ssse3::blocks] {
                        let mut buf = vec![0; 2 * len + 32];
                        let (used, end) = blocks(text.as_bytes(), &mut buf, 0);
                        let mut ours = Lines::default();
                        ours.bytes(&text.as_bytes()[..used]);
                        assert_eq!(&buf[..end], ours.as_bytes(), "{text:?}, {used} taken");
                    }
                }
            }
        }
    }

    /// Control characters take six bytes each (\\u0001), more than the blocks' room of twice the
    /// input: what follows them must still find room.
    #[test]
    fn quotes_after_control_characters_find_room() {
        for controls in [1, 31, 32, 33, 64] {
            let text = "\u{1}".repeat(controls) + &"\"".repeat(200);
            assert_eq!(escaped(&text), serde_json::to_string(&text).unwrap(), "{controls}");
        }
    }

    #[test]
    fn a_buffer_grown_for_a_huge_event_is_let_go() {
        let mut lines = Lines::default();
        lines.string(&"\"".repeat(KEEP));
        assert_eq!(lines.as_bytes().len(), 2 * KEEP + 2);
        lines.clear();
        assert!(lines.buf.capacity() < KEEP, "{}", lines.buf.capacity());
        lines.string("small");
        lines.clear();
        assert!(lines.buf.capacity() > 0, "a small buffer is kept for the next chunk");
    }

    #[test]
    fn the_word_test_finds_each_special_byte_in_every_position() {
        for special in [b'"', b'\\', 0x00, 0x1f, b'\n'] {
            for pos in 0..8 {
                let mut word = *b"abcdefgh";
                word[pos] = special;
                assert!(needs_escape(u64::from_le_bytes(word)), "{special:#x} at {pos}");
            }
        }
        for clean in [*b"abcdefgh", *b"  !#~\x7f\xc3\xa9", [0x20; 8], [0xff; 8]] {
            assert!(!needs_escape(u64::from_le_bytes(clean)), "{clean:?}");
        }
    }
}
