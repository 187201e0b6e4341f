//! The size limit: an event over it is dropped with an error saying so, parsing resumes at the
//! next event, and memory stays bounded even for a line that never ends.

use herald_sse::{OwnedItem, Parser};
use proptest::prelude::*;

use crate::msg;

#[test]
fn an_oversized_event_is_reported_and_the_next_one_arrives() {
    let mut parser = Parser::with_max_event_size(16);
    let items = parser.feed_owned(b"data: 0123456789\ndata: 0123456789\nid: 7\n\ndata: next\n\n");
    // The dropped event's id still counts, as the spec has it (and wherever it stood in it).
    let next = herald_sse::Event {
        last_event_id: "7".into(),
        ..herald_sse::Event::from(herald_sse::EventRef {
            event_type: "message",
            data: "next",
            last_event_id: "",
            own_id: None,
        })
    };
    assert_eq!(items, [OwnedItem::EventTooLarge { limit: 16 }, OwnedItem::Event(next)]);
}

#[test]
fn an_endless_line_is_dropped_without_growing_memory() {
    let mut parser = Parser::with_max_event_size(1024);
    let mut errors = 0;
    let chunk = vec![b'x'; 64 * 1024];
    parser.feed(b"data: ", &mut |_| {});
    for _ in 0..256 {
        // 16 MiB of one line in total, 16 times the limit.
        parser.feed(&chunk, &mut |item| {
            if let herald_sse::Item::EventTooLarge { .. } = item {
                errors += 1;
            }
        });
    }
    assert_eq!(errors, 1, "one event, one error");
    let items = parser.feed_owned(b"\n\ndata: after\n\n");
    assert_eq!(items, [msg("after")]);
}

#[test]
fn an_event_at_the_limit_is_accepted() {
    let mut parser = Parser::with_max_event_size(8);
    // Data buffer "1234567\n" is 8 bytes.
    assert_eq!(parser.feed_owned(b"data: 1234567\n\n"), [msg("1234567")]);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    /// Arbitrary bytes in arbitrary chunks: no panic, and no event bigger than the limit.
    #[test]
    fn arbitrary_input_never_panics_and_respects_the_limit(
        chunks in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..300), 0..20),
    ) {
        let mut parser = Parser::with_max_event_size(256);
        for chunk in &chunks {
            parser.feed(chunk, &mut |item| {
                if let herald_sse::Item::Event(e) = item {
                    assert!(e.data.len() <= 256 * 3, "an event beyond the limit got through");
                }
            });
        }
    }
}

/// An event's data is borrowed from the chunk, adopted from a line that spanned chunks, or
/// copied; the limit must not depend on which: around the limit, every cut of the stream
/// gives what the whole stream gives.
#[test]
fn the_limit_is_the_same_in_any_chunking() {
    const LIMIT: usize = 24;
    for size in LIMIT - 4..LIMIT + 3 {
        for stream in [
            format!("data: {}\n\ndata: next\n\n", "x".repeat(size)),
            format!("event: e\ndata:{}\n\n", "y".repeat(size)),
            format!("data: {}\ndata: {}\n\n", "a".repeat(size / 2), "b".repeat(size / 2)),
            format!("data: {}\ndata\n\n", "c".repeat(size - 2)),
            // An event type after the data counts as much as one before it.
            format!(
                "data: {}\nevent: {}\n\ndata: next\n\n",
                "d".repeat(size / 2),
                "t".repeat(size / 2)
            ),
            // A type replaced by a later one counts as that one, wherever the data stands.
            format!("event: {}\nevent: x\ndata: a\n\ndata: next\n\n", "t".repeat(size)),
            format!("data: a\nevent: {}\nevent: x\n\ndata: next\n\n", "t".repeat(size)),
            format!("event: {}\n\ndata: next\n\n", "t".repeat(size)),
            // A line that is neither data nor type is ignored past the limit, and only it.
            format!("id: {}\ndata: x\n\n", "i".repeat(size)),
            format!("data: a\n:{}\ndata: b\n\n", "c".repeat(size)),
            // The id of a dropped event counts wherever it stands in it.
            format!("id: 1\ndata: a\n\ndata: {}\nid: 99\n\ndata: next\n\n", "y".repeat(size)),
            format!("id: 1\ndata: a\n\nid: 99\ndata: {}\n\ndata: next\n\n", "y".repeat(size)),
            // Lines that start like a data line and are not one add nothing, however they
            // are cut: a line cut after `d`, `dat` or `data` is not yet known to be data.
            format!("data: {}\ndate: x\n\ndata: next\n\n", "z".repeat(size)),
            format!("data: {}\nd\n\ndata: next\n\n", "z".repeat(size)),
            format!("data: {}\ndatabase: x\nevents: y\n\ndata: next\n\n", "z".repeat(size)),
        ] {
            let bytes = stream.as_bytes();
            let whole = Parser::with_max_event_size(LIMIT).feed_owned(bytes);
            for cut in 0..=bytes.len() {
                for second in cut..=bytes.len() {
                    let mut parser = Parser::with_max_event_size(LIMIT);
                    let mut items = parser.feed_owned(&bytes[..cut]);
                    items.extend(parser.feed_owned(&bytes[cut..second]));
                    items.extend(parser.feed_owned(&bytes[second..]));
                    assert_eq!(items, whole, "{stream:?} cut at {cut} and {second}");
                }
            }
        }
    }
}

/// What counts is the event as it ends, whatever the order of its lines: a long type replaced
/// by a short one does not drop the event, before or after its data (found by an adversary).
#[test]
fn the_limit_counts_the_event_as_it_ends_whatever_the_order_of_its_lines() {
    const LIMIT: usize = 24;
    let long = "t".repeat(LIMIT - 1);
    let orders = [
        format!("event: {long}\nevent: x\ndata: a\n\n"),
        format!("data: a\nevent: {long}\nevent: x\n\n"),
        format!("event: {long}\ndata: a\nevent: x\n\n"),
    ];
    let typed = |t: &str| {
        OwnedItem::Event(herald_sse::Event {
            event_type: t.into(),
            data: "a".into(),
            last_event_id: String::new(),
            own_id: None,
        })
    };
    for stream in &orders {
        assert_eq!(Parser::with_max_event_size(LIMIT).feed_owned(stream.as_bytes()), [typed("x")]);
    }
    // Kept with its long type, the same event is over the limit in any order.
    for stream in [format!("event: {long}\ndata: a\n\n"), format!("data: a\nevent: {long}\n\n")] {
        assert_eq!(
            Parser::with_max_event_size(LIMIT).feed_owned(stream.as_bytes()),
            [OwnedItem::EventTooLarge { limit: LIMIT }]
        );
    }
    // A type alone is no event: nothing is dropped, nothing said.
    let alone = format!("event: {}\n\n", "t".repeat(LIMIT + 5));
    assert_eq!(Parser::with_max_event_size(LIMIT).feed_owned(alone.as_bytes()), []);
}
