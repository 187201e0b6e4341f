//! Recorded-style streams of the servers Herald presets cover (`tests/fixtures/*.sse`), each
//! with the items it must give, one per line: `event|type|lastEventId|own or none|data` (a
//! newline in data written as `\n`), `comment|text`, `retry|ms`.

use herald_sse::{OwnedItem, Parser};
use test_case::test_case;

fn render(item: &OwnedItem) -> String {
    match item {
        OwnedItem::Event(e) => format!(
            "event|{}|{}|{}|{}",
            e.event_type,
            e.last_event_id,
            if e.own_id.is_some() { "own" } else { "none" },
            e.data.replace('\n', "\\n")
        ),
        OwnedItem::Comment(c) => format!("comment|{c}"),
        OwnedItem::Retry(ms) => format!("retry|{ms}"),
        OwnedItem::EventTooLarge { limit } => format!("too-large|{limit}"),
    }
}

#[test_case("ntfy")]
#[test_case("mercure")]
#[test_case("wikimedia")]
fn fixture(name: &str) {
    // Read at run time: a test binary reused from another checkout must not look in that one.
    let manifest =
        std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo test sets CARGO_MANIFEST_DIR");
    let dir = std::path::Path::new(&manifest).join("tests/fixtures");
    let stream = std::fs::read(dir.join(format!("{name}.sse"))).unwrap();
    let expected = std::fs::read_to_string(dir.join(format!("{name}.expected"))).unwrap();
    let got: Vec<String> = Parser::new().feed_owned(&stream).iter().map(render).collect();
    let want: Vec<&str> = expected.lines().collect();
    assert_eq!(got, want);
}
