//! Any chunking of a byte stream yields exactly the events of the unchunked stream: the property
//! every network read depends on (a CR at a chunk's end, a character split in two, a BOM split).

use herald_sse::{OwnedItem, Parser};
use proptest::prelude::*;

fn parse_in_pieces(bytes: &[u8], cuts: &[usize]) -> Vec<OwnedItem> {
    let mut parser = Parser::new();
    let mut items = Vec::new();
    let mut start = 0;
    let mut cuts: Vec<usize> = cuts.iter().map(|c| c % (bytes.len() + 1)).collect();
    cuts.sort_unstable();
    for cut in cuts.into_iter().chain([bytes.len()]) {
        items.extend(parser.feed_owned(&bytes[start..cut]));
        start = cut;
    }
    items
}

/// Streams built from the pieces that matter: fields, line endings of every kind, comments,
/// BOMs, multi-byte and invalid UTF-8.
fn stream() -> impl Strategy<Value = Vec<u8>> {
    let piece = prop_oneof![
        Just(b"data: ".to_vec()),
        Just(b"data:".to_vec()),
        Just(b"id: ".to_vec()),
        Just(b"id".to_vec()),
        Just(b"event: ".to_vec()),
        Just(b"retry: 12".to_vec()),
        Just(b": c".to_vec()),
        Just(b"\n".to_vec()),
        Just(b"\r".to_vec()),
        Just(b"\r\n".to_vec()),
        Just(b"\xEF\xBB\xBF".to_vec()),
        Just("é€😀".as_bytes().to_vec()),
        Just(b"\xFF\xC3".to_vec()),
        Just(b"\0".to_vec()),
        "[a-z ]{0,8}".prop_map(String::into_bytes),
    ];
    proptest::collection::vec(piece, 0..60).prop_map(|pieces| pieces.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn chunking_never_changes_the_events(bytes in stream(), cuts in proptest::collection::vec(any::<usize>(), 0..12)) {
        let whole = Parser::new().feed_owned(&bytes);
        prop_assert_eq!(parse_in_pieces(&bytes, &cuts), whole);
    }

    #[test]
    fn byte_by_byte_equals_whole(bytes in stream()) {
        let cuts: Vec<usize> = (0..bytes.len()).collect();
        prop_assert_eq!(parse_in_pieces(&bytes, &cuts), Parser::new().feed_owned(&bytes));
    }
}

#[test]
fn crlf_split_across_chunks_is_one_line_ending() {
    let mut parser = Parser::new();
    let mut items = parser.feed_owned(b"data: a\r");
    items.extend(parser.feed_owned(b"\ndata: b\r"));
    items.extend(parser.feed_owned(b"\n\r\n"));
    // Read as two line endings, the LF would end the block early and give "a" and "b" apart.
    assert_eq!(items, [crate::msg("a\nb")], "CR|LF split across chunks is one line ending");
}

#[test]
fn an_empty_chunk_between_cr_and_lf_changes_nothing() {
    // Found by the property above: an empty read must not forget that a CR came last.
    let mut parser = Parser::new();
    let mut items = parser.feed_owned(b"data: a\r");
    items.extend(parser.feed_owned(b""));
    items.extend(parser.feed_owned(b"\ndata: b\n\n"));
    assert_eq!(items, [crate::msg("a\nb")]);
}

#[test]
fn a_cr_followed_by_a_partial_line_in_the_same_chunk_is_a_whole_line_ending() {
    // Found by the property above: "x\r" + "partial" in one chunk, then "\n" in the next. The CR
    // ended the line "x"; the LF ends "partial".
    let mut parser = Parser::new();
    let mut items = parser.feed_owned(b"data: x\r: partial");
    items.extend(parser.feed_owned(b"\n\n"));
    assert_eq!(items, [OwnedItem::Comment(" partial".into()), crate::msg("x")]);
}

#[test]
fn bom_split_across_chunks_is_still_stripped() {
    let mut parser = Parser::new();
    let mut items = parser.feed_owned(b"\xEF");
    items.extend(parser.feed_owned(b"\xBB"));
    items.extend(parser.feed_owned(b"\xBFdata: a\n\n"));
    assert_eq!(items, [crate::msg("a")]);
}

/// A chunk longer than what the parser indexes at once (1 MiB) is taken in pieces: a CRLF, a
/// lone CR, a character or a long data line cut where a piece ends reads as in any chunking.
#[test]
fn a_chunk_longer_than_a_piece_reads_as_in_small_chunks() {
    const PIECE: usize = 1024 * 1024;
    let mut bytes = Vec::new();
    // A comment line that brings the stream to `len` bytes.
    let pad = |bytes: &mut Vec<u8>, len: usize| {
        let filler = len - bytes.len() - 2;
        bytes.push(b':');
        bytes.resize(bytes.len() + filler, b'x');
        bytes.push(b'\n');
    };
    let mut expected = Vec::new();
    for (i, end) in [PIECE, 2 * PIECE, 3 * PIECE, 4 * PIECE].into_iter().enumerate() {
        match i {
            // The CR the last byte of a piece, its LF the first of the next (taken for a blank
            // line, the LF would end the event early: "a" and "b" apart).
            0 => {
                pad(&mut bytes, end - 8);
                bytes.extend_from_slice(b"data: a\r\ndata: b\n\n");
                expected.push("a\nb".to_owned());
            }
            // A lone CR ends a piece; the next piece starts with a line of the same event.
            1 => {
                pad(&mut bytes, end - 9);
                bytes.extend_from_slice(b"data: bb\rdata: c\r\n\r\n");
                expected.push("bb\nc".to_owned());
            }
            // A two-byte character across the pieces.
            2 => {
                pad(&mut bytes, end - 7);
                bytes.extend_from_slice("data: é\n\n".as_bytes());
                expected.push("é".to_owned());
            }
            // A data line of 2,000 bytes across them.
            _ => {
                pad(&mut bytes, end - 1000);
                let long = "y".repeat(2000);
                bytes.extend_from_slice(format!("data: {long}\n\n").as_bytes());
                expected.push(long);
            }
        }
    }
    let whole = Parser::new().feed_owned(&bytes);
    let data: Vec<String> = whole
        .iter()
        .filter_map(|item| match item {
            OwnedItem::Event(event) => Some(event.data.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(data, expected);
    let cuts: Vec<usize> = (4096..bytes.len()).step_by(4096).collect();
    assert_eq!(parse_in_pieces(&bytes, &cuts), whole, "in chunks of 4 KiB");
}
