//! Writing `tail --json` lines fast: a JSON string escaper over a byte table, appending to a
//! buffer that is written once per network chunk. serde_json is correct but goes through its
//! serializer and the writer for every run between two quotes; event data that is itself JSON
//! has a quote every few bytes, which made that the bottleneck of `herald tail --json`.

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

pub fn push_str(out: &mut Vec<u8>, text: &str) {
    let bytes = text.as_bytes();
    out.reserve(bytes.len() + bytes.len() / 4 + 2);
    out.push(b'"');
    let mut words = bytes.chunks_exact(8);
    for word in words.by_ref() {
        let value = u64::from_le_bytes(word.try_into().unwrap_or([0; 8]));
        if needs_escape(value) {
            word.iter().for_each(|&b| push_byte(out, b));
        } else {
            // Most of any text needs no escaping: copy 8 clean bytes at once.
            out.extend_from_slice(word);
        }
    }
    words.remainder().iter().for_each(|&b| push_byte(out, b));
    out.push(b'"');
}

#[inline]
fn push_byte(out: &mut Vec<u8>, b: u8) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    match ESCAPE[b as usize] {
        0 => out.push(b),
        b'u' => out.extend_from_slice(&[
            b'\\',
            b'u',
            b'0',
            b'0',
            HEX[(b >> 4) as usize],
            HEX[(b & 15) as usize],
        ]),
        escape => out.extend_from_slice(&[b'\\', escape]),
    }
}

/// `{"type":…,"data":…,"last_event_id":…,"id":…}` and a newline (docs/cli.md, "Tail").
pub fn push_event(out: &mut Vec<u8>, event: &herald_sse::EventRef<'_>) {
    out.extend_from_slice(b"{\"type\":");
    push_str(out, event.event_type);
    out.extend_from_slice(b",\"data\":");
    push_str(out, event.data);
    out.extend_from_slice(b",\"last_event_id\":");
    push_str(out, event.last_event_id);
    out.extend_from_slice(b",\"id\":");
    match event.own_id {
        Some(id) => push_str(out, id),
        None => out.extend_from_slice(b"null"),
    }
    out.extend_from_slice(b"}\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agrees_with_serde_json_on_every_kind_of_character() {
        let nasty: String = (0u8..0x80).map(char::from).collect::<String>() + "é€😀\u{2028}\"\\";
        for text in ["", "plain", "{\"a\":[1,\"b\\\\\"]}", nasty.as_str()] {
            let mut ours = Vec::new();
            push_str(&mut ours, text);
            let ours = String::from_utf8(ours).unwrap();
            assert_eq!(
                serde_json::from_str::<String>(&ours).unwrap(),
                text,
                "round trip of {text:?}"
            );
        }
        let mut line = Vec::new();
        push_event(
            &mut line,
            &herald_sse::EventRef {
                event_type: "m",
                data: "d\n\"",
                last_event_id: "",
                own_id: None,
            },
        );
        let value: serde_json::Value = serde_json::from_slice(&line).unwrap();
        assert_eq!(
            value,
            serde_json::json!({"type": "m", "data": "d\n\"", "last_event_id": "", "id": null})
        );
        assert!(line.ends_with(b"}\n"));
    }

    #[test]
    fn random_strings_round_trip_through_serde_json() {
        let alphabet = ['a', 'z', '"', '\\', '\n', '\u{1}', '\u{1f}', ' ', 'é', '😀', '\u{7f}'];
        let mut rng = fastrand::Rng::with_seed(7);
        for _ in 0..5_000 {
            let len = rng.usize(0..40);
            let text: String = (0..len).map(|_| alphabet[rng.usize(0..alphabet.len())]).collect();
            let mut ours = Vec::new();
            push_str(&mut ours, &text);
            let back: String =
                serde_json::from_slice(&ours).unwrap_or_else(|e| panic!("{text:?}: {e}"));
            assert_eq!(back, text);
        }
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
