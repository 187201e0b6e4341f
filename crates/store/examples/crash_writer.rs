//! Used by the store's crash test: accepts events in small batches as fast as it can and prints
//! `accepted <last id>` after each commit, until it is killed. Not part of Herald.
#![allow(clippy::print_stdout)]

use std::io::Write;

use herald_store::{FeedSpec, Incoming, Rendered, Store};

fn main() {
    let path = std::env::args().nth(1).expect("usage: crash_writer <db path>");
    let mut store = Store::open(std::path::Path::new(&path)).expect("open");
    let feed = store
        .add_feed(&FeedSpec {
            name: "burst".into(),
            url: "http://127.0.0.1/".into(),
            ..FeedSpec::default()
        })
        .expect("feed");
    println!("feed {}", feed.id);
    let mut out = std::io::stdout().lock();
    let mut next = 0u64;
    loop {
        let batch: Vec<Incoming> = (next..next + 10)
            .map(|n| Incoming {
                feed_id: feed.id.clone(),
                resume_position: n.to_string(),
                event_id: Some(n.to_string()),
                event_type: "message".into(),
                data: format!("event {n} {}", "x".repeat(200)),
                kept: Some(Rendered {
                    title: format!("t{n}"),
                    body: format!("b{n}"),
                    link: None,
                    priority: None,
                }),
                received_at: n as i64,
            })
            .collect();
        store.accept_batch(&batch).expect("accept");
        next += 10;
        writeln!(out, "accepted {}", next - 1).expect("stdout");
        out.flush().expect("flush");
    }
}
