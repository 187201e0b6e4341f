//! Store figures: accepted events per second (batched, durable: WAL with synchronous=NORMAL, on
//! disk), full-text search latency at 1M history rows, and a newest-first page deep in history.
//!
//! Usage: herald-bench-store [rows] (default 1,000,000)

use std::time::{Duration, Instant};

use herald_store::{FeedSpec, HistoryQuery, Incoming, Rendered, Store};

const WORDS: &[&str] = &[
    "deploy",
    "build",
    "alert",
    "disk",
    "latency",
    "canary",
    "rollback",
    "backup",
    "certificate",
    "queue",
    "timeout",
    "database",
    "cache",
    "worker",
    "payment",
    "login",
    "upload",
    "export",
    "cluster",
    "node",
];

fn event(feed: &str, n: u64) -> Incoming {
    let a = WORDS[(n % 20) as usize];
    let b = WORDS[((n / 20) % 20) as usize];
    let title = format!("{a} {b} #{n}");
    let body = format!(
        "The {a} job for {b} finished on host-{} after {} ms with status {}.",
        n % 97,
        n % 5000,
        n % 3
    );
    Incoming {
        feed_id: feed.to_owned(),
        resume_position: n.to_string(),
        event_id: Some(format!("m{n:011}")),
        event_type: "message".into(),
        data: format!(
            "{{\"id\":\"m{n:011}\",\"time\":{},\"event\":\"message\",\"topic\":\"ops\",\"title\":\"{title}\",\"message\":\"{body}\",\"priority\":{}}}",
            1_700_000_000 + n,
            1 + n % 5
        ),
        kept: Some(Rendered { title, body, link: None, priority: Some(1 + (n % 5) as u8) }),
        received_at: 1_700_000_000_000 + n as i64,
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

fn main() {
    let rows: u64 = std::env::args().nth(1).map_or(1_000_000, |n| n.parse().expect("rows"));
    let dir = tempfile::tempdir().expect("tempdir");
    let mut store = Store::open(&Store::path_in(dir.path())).expect("open");
    let feeds: Vec<String> = (0..10)
        .map(|i| {
            let spec = FeedSpec {
                name: format!("feed {i}"),
                url: format!("http://127.0.0.1/{i}"),
                ..FeedSpec::default()
            };
            store.add_feed(&spec).expect("feed").id
        })
        .collect();

    println!("## Store (SQLite WAL, synchronous=NORMAL, FTS5; {rows} rows)\n");
    // Accept: batches of 500 (the engine's batch bound), events spread over 10 feeds.
    let batch = 500;
    let start = Instant::now();
    let mut n = 0u64;
    while n < rows {
        let events: Vec<Incoming> =
            (n..(n + batch).min(rows)).map(|i| event(&feeds[(i % 10) as usize], i)).collect();
        store.accept_batch(&events).expect("accept");
        n += batch;
    }
    let elapsed = start.elapsed();
    println!("| measure | result |");
    println!("|---|---|");
    println!(
        "| accepted events/s (batches of {batch}, {rows} events into an empty history) | {:.0} |",
        rows as f64 / elapsed.as_secs_f64()
    );

    // Full-text indexing runs in bulk after rows are stored (every search first indexes what is
    // pending): its own rate, and the rate of storing and indexing together.
    let start = Instant::now();
    let indexed = store.index_pending().expect("index");
    let index_time = start.elapsed();
    assert_eq!(indexed as u64, rows);
    println!(
        "| full-text indexing rows/s (bulk, as a search or the resident does it) | {:.0} |",
        rows as f64 / index_time.as_secs_f64()
    );
    println!(
        "| stored and indexed events/s, together | {:.0} |",
        rows as f64 / (elapsed + index_time).as_secs_f64()
    );

    // Duplicates: the whole last batch again.
    let again: Vec<Incoming> =
        (rows - batch..rows).map(|i| event(&feeds[(i % 10) as usize], i)).collect();
    let start = Instant::now();
    let outcomes = store.accept_batch(&again).expect("accept");
    assert!(outcomes.iter().all(|o| *o == herald_store::Accepted::Duplicate));
    println!("| duplicate batch of {batch} rejected in | {} |", ms(start.elapsed()));

    // Search: one and two word queries, common and rare, newest 50 with snippets.
    let mut times = Vec::new();
    for i in 0..300 {
        let query = match i % 3 {
            0 => WORDS[i % 20].to_owned(),
            1 => format!("{} {}", WORDS[i % 20], WORDS[(i * 7) % 20]),
            _ => format!("host-{}", i % 97),
        };
        let start = Instant::now();
        let hits = store
            .history(&HistoryQuery { search: Some(query), limit: 50, ..Default::default() })
            .expect("search");
        times.push(start.elapsed());
        assert!(!hits.is_empty());
    }
    times.sort();
    println!("| search, newest 50 with snippets: p50 | {} |", ms(percentile(&times, 0.5)));
    println!("| search, newest 50 with snippets: p95 | {} |", ms(percentile(&times, 0.95)));

    // A page deep in history (keyset): the 50 entries before row 1,000 from the oldest.
    let mut times = Vec::new();
    for _ in 0..100 {
        let start = Instant::now();
        let page = store
            .history(&HistoryQuery { before_id: Some(1_000), limit: 50, ..Default::default() })
            .expect("page");
        times.push(start.elapsed());
        assert_eq!(page.len(), 50);
    }
    times.sort();
    println!(
        "| newest-first page of 50 at the far end of history: p50 | {} |",
        ms(percentile(&times, 0.5))
    );
    let start = Instant::now();
    let first = store.history(&HistoryQuery { limit: 50, ..Default::default() }).expect("page");
    assert_eq!(first.len(), 50);
    println!("| first page of 50 | {} |", ms(start.elapsed()));
    let size = std::fs::metadata(Store::path_in(dir.path())).map(|m| m.len()).unwrap_or(0);
    println!("| database size | {:.0} MB |", size as f64 / 1e6);
}
