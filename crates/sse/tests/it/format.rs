//! The WHATWG processing model, case by case. The cases re-express, in our own words, what the
//! web-platform-tests `eventsource/format-*` files and the eventsource-parser suite check.

use herald_sse::OwnedItem::{self, Comment, Retry};
use test_case::test_case;

use crate::{ev, msg, parse};

#[test_case(b"data: a\n\n", &[msg("a")] ; "one event")]
#[test_case(b"data: a\ndata: b\n\n", &[msg("a\nb")] ; "data lines join with LF")]
#[test_case(b"data:a\r\n\r\n", &[msg("a")] ; "CRLF")]
#[test_case(b"data:a\r\rdata:b\r\r", &[msg("a"), msg("b")] ; "bare CR")]
#[test_case(b"data:test\r\ndata\ndata:test\r\n\r", &[msg("test\n\ntest")] ; "mixed line endings")]
#[test_case(b"data:\n\n", &[msg("")] ; "empty data line dispatches an empty event")]
#[test_case(b"data\ndata\n\n", &[msg("\n")] ; "field without colon is an empty value")]
#[test_case(b"data:  two spaces\n\n", &[msg(" two spaces")] ; "only one leading space is removed")]
#[test_case(b"data:\ttab\n\n", &[msg("\ttab")] ; "a tab is not a space")]
#[test_case(b"data: a \n\n", &[msg("a ")] ; "trailing space kept")]
#[test_case(b"data: a:b: c\n\n", &[msg("a:b: c")] ; "value keeps later colons")]
#[test_case(b"\n\n\ndata: a\n\n", &[msg("a")] ; "blank lines before an event dispatch nothing")]
#[test_case(b"event: x\n\ndata: a\n\n", &[msg("a")] ; "type is reset by a blank line even without data")]
#[test_case(b"event: ping\ndata: a\n\n", &[ev("ping", "a", "", None)] ; "event type")]
#[test_case(b"event:\ndata: a\n\n", &[msg("a")] ; "empty type means message")]
#[test_case(b"Data: a\nDATA: b\n\n", &[] ; "field names are case sensitive")]
#[test_case(b"foo: bar\ndata: a\n\n", &[msg("a")] ; "unknown fields are ignored")]
#[test_case(b"foo: bar\n\n", &[] ; "a block with only an unknown field is not an event and not an error")]
#[test_case(b"data: a\n\ndata: b", &[msg("a")] ; "an unterminated last event is discarded")]
#[test_case(b"data: a\n", &[] ; "one newline is not the end of an event")]
#[test_case(b"data:\0\n\n", &[msg("\0")] ; "NUL in data is kept")]
#[test_case(b" data: a\n\n", &[] ; "a leading space makes another field name")]
#[test_case(b"data : a\n\n", &[] ; "so does a space before the colon")]
fn fields(input: &[u8], expected: &[OwnedItem]) {
    assert_eq!(parse(input), expected);
}

#[test_case(b": hi\ndata: a\n\n", &[Comment(" hi".into()), msg("a")] ; "comment surfaced with its text")]
#[test_case(b":\n\n", &[Comment("".into())] ; "empty comment")]
#[test_case(b"data: a\n: inside\ndata: b\n\n", &[Comment(" inside".into()), msg("a\nb")] ; "comment inside a block")]
fn comments(input: &[u8], expected: &[OwnedItem]) {
    assert_eq!(parse(input), expected);
}

#[test_case(b"id: 1\ndata: a\n\n", &[ev("message", "a", "1", Some("1"))] ; "own id")]
#[test_case(b"id: 1\ndata: a\n\ndata: b\n\n", &[ev("message", "a", "1", Some("1")), ev("message", "b", "1", None)] ; "id carries over but is not the next event's own id")]
#[test_case(b"id: 1\ndata: a\n\nid\ndata: b\n\n", &[ev("message", "a", "1", Some("1")), ev("message", "b", "", None)] ; "empty id clears")]
#[test_case(b"id: 1\ndata: a\n\nid: \0x\ndata: b\n\n", &[ev("message", "a", "1", Some("1")), ev("message", "b", "1", None)] ; "id with NUL is ignored")]
#[test_case(b"id: 1\n\ndata: a\n\n", &[ev("message", "a", "1", None)] ; "id without data updates lastEventId")]
#[test_case(b"id: 1\nid: 2\ndata: a\n\n", &[ev("message", "a", "2", Some("2"))] ; "last id line of a block wins")]
#[test_case(b"id: 5\ndata: a\nid: 6\n\n", &[ev("message", "a", "6", Some("6"))] ; "id after data in the same block")]
#[test_case(b"id:  x \ndata: a\n\n", &[ev("message", "a", " x ", Some(" x "))] ; "id keeps spaces beyond the first")]
fn ids(input: &[u8], expected: &[OwnedItem]) {
    assert_eq!(parse(input), expected);
}

#[test_case(b"retry: 1000\n", &[Retry(1000)] ; "retry surfaced")]
#[test_case(b"retry:03000\n", &[Retry(3000)] ; "leading zeros")]
#[test_case(b"retry: 1000x\n", &[] ; "not all digits")]
#[test_case(b"retry: -1\n", &[] ; "negative")]
#[test_case(b"retry: 1.5\n", &[] ; "fraction")]
#[test_case(b"retry\n", &[] ; "empty")]
#[test_case(b"retry:  1000\n", &[] ; "second space is not a digit")]
#[test_case(b"retry: 99999999999999999999999\n", &[Retry(u64::MAX)] ; "huge saturates")]
#[test_case(b"retry: 5\ndata: a\n\n", &[Retry(5), msg("a")] ; "retry is not data and comes before the event")]
fn retry(input: &[u8], expected: &[OwnedItem]) {
    assert_eq!(parse(input), expected);
}

#[test_case(b"\xEF\xBB\xBFdata: a\n\n", &[msg("a")] ; "leading BOM stripped")]
#[test_case(b"\xEF\xBB\xBF\xEF\xBB\xBFdata: a\n\ndata: b\n\n", &[msg("b")] ; "only one BOM is stripped")]
#[test_case(b"data: a\n\n\xEF\xBB\xBFdata: b\n\n", &[msg("a")] ; "a BOM later is part of a field name")]
#[test_case(b"data: caf\xC3\xA9\n\n", &[msg("caf\u{e9}")] ; "UTF-8")]
#[test_case(b"data: \xFF\xFEok\n\n", &[msg("\u{FFFD}\u{FFFD}ok")] ; "invalid bytes become U+FFFD")]
#[test_case(b"data: \xE2\x82\n\n", &[msg("\u{FFFD}")] ; "truncated sequence is one replacement")]
#[test_case(b"data: \xF0\x9F\x98\x80\n\n", &[msg("\u{1F600}")] ; "four-byte character")]
#[test_case(b"event: \xFF\ndata: a\n\n", &[ev("\u{FFFD}", "a", "", None)] ; "invalid bytes in the type")]
fn encoding(input: &[u8], expected: &[OwnedItem]) {
    assert_eq!(parse(input), expected);
}

#[test]
fn ntfy_message_shape() {
    let body = br#"event: open
data: {"id":"a1","event":"open","topic":"t"}

data: {"id":"m1","time":1,"event":"message","topic":"t","title":"Deploy","message":"done","priority":4}

event: keepalive
data: {"id":"k1","event":"keepalive"}

"#;
    let items = parse(body);
    assert_eq!(items.len(), 3);
    assert!(
        matches!(&items[1], herald_sse::OwnedItem::Event(e) if e.event_type == "message" && e.own_id.is_none() && e.data.contains("\"m1\""))
    );
}

#[test]
fn a_reconnecting_parser_keeps_the_last_event_id_and_drops_the_partial_event() {
    let mut parser = herald_sse::Parser::new().with_last_event_id("41");
    assert!(parser.feed_owned(b"data: half").is_empty());
    parser.reset_for_reconnect();
    assert_eq!(parser.last_event_id(), "41");
    assert_eq!(parser.feed_owned(b"\xEF\xBB\xBFdata: b\n\n"), [ev("message", "b", "41", None)]);
}

#[test]
fn the_id_of_an_event_cut_off_is_not_sent_back_on_reconnect() {
    let mut parser = herald_sse::Parser::new();
    let items = parser.feed_owned(b"id: 1\ndata: whole\n\nid: 2\ndata: cut");
    assert_eq!(items, [ev("message", "whole", "1", Some("1"))]);
    parser.reset_for_reconnect();
    assert_eq!(parser.last_event_id(), "1", "event 2 never arrived");
    // An id-only block counts: the spec updates the last event id even with no data.
    parser.feed_owned(b"id: 3\n\nid: 4\n");
    assert_eq!(parser.dispatched_id(), "3", "what a reconnect now would send, mid-block");
    assert_eq!(parser.last_event_id(), "4");
    parser.reset_for_reconnect();
    assert_eq!(parser.last_event_id(), "3");
    // An event too large to keep is dispatched too: its id counts.
    let mut small = herald_sse::Parser::with_max_event_size(8);
    let items = small.feed_owned(b"id: big\ndata: more than eight\n\n");
    assert!(matches!(items[..], [herald_sse::OwnedItem::EventTooLarge { .. }]), "{items:?}");
    assert_eq!(small.dispatched_id(), "big");
}
