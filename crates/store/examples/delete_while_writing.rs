//! How long a big delete of history keeps another writer (the resident's, storing an event
//! every 20 ms) from the store: a store of ntfy-like entries, indexed for search, whose feed's
//! history is deleted while a second connection commits. Rows: the first argument (default
//! 1,000,000; seeding them takes about 10 s):
//!
//! `cargo run --release -p herald-store --example delete_while_writing [ROWS]`

// A measurement: printing its figures is what it is for.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use herald_store::{FeedSpec, HistoryScope, Incoming, Rendered, Store, now_millis};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

fn event(feed: &str, n: usize) -> Incoming {
    let data = format!(
        r#"{{"id":"{n}","message":"deploy {n} of api-server finished in 3m 12s, canary fine"}}"#
    );
    Incoming {
        feed_id: feed.into(),
        resume_position: n.to_string(),
        event_id: Some(n.to_string()),
        event_type: "message".into(),
        data: data.clone(),
        kept: Some(Rendered { title: "deploys".into(), body: data, link: None, priority: None }),
        received_at: now_millis(),
    }
}

fn main() {
    let rows: usize = std::env::args().nth(1).map(|v| v.parse().unwrap()).unwrap_or(1_000_000);
    let dir = tempfile::tempdir().unwrap();
    let path = Store::path_in(dir.path());
    let mut store = Store::open(&path).unwrap();
    let spec = |name: &str| FeedSpec {
        name: name.into(),
        url: "http://127.0.0.1:9/".into(),
        ..FeedSpec::default()
    };
    let big = store.add_feed(&spec("big")).unwrap().id;
    let live = store.add_feed(&spec("live")).unwrap().id;
    let t = Instant::now();
    let mut n = 0;
    while n < rows {
        let batch: Vec<_> = (n..(n + 500).min(rows)).map(|i| event(&big, i)).collect();
        store.accept_batch(&batch).unwrap();
        n += 500;
    }
    store.index_pending().unwrap();
    println!("seeded {rows} rows and indexed them in {:.1} s", t.elapsed().as_secs_f64());
    // A writer as the resident's: one event at a time, timing each commit.
    let stop = Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
    let p2 = path.clone();
    let writer = std::thread::spawn(move || {
        let mut other = Store::open(&p2).unwrap();
        let (mut worst, mut count, mut failed) = (Duration::ZERO, 0, 0);
        let mut i = 10_000_000;
        while !flag.load(Ordering::Relaxed) {
            i += 1;
            let t = Instant::now();
            if other.accept_batch(&[event(&live, i)]).is_err() {
                failed += 1;
            }
            worst = worst.max(t.elapsed());
            count += 1;
            std::thread::sleep(Duration::from_millis(20));
        }
        (worst, count, failed)
    });
    std::thread::sleep(Duration::from_millis(200));
    let t = Instant::now();
    let deleted = store.delete_history(&HistoryScope::Feed(big)).unwrap();
    let took = t.elapsed();
    stop.store(true, Ordering::Relaxed);
    let (worst, count, failed) = writer.join().unwrap();
    println!(
        "deleted {deleted} in {:.2} s; meanwhile {count} commits of another writer, the slowest {} ms, {failed} failed",
        took.as_secs_f64(),
        worst.as_millis()
    );
}
