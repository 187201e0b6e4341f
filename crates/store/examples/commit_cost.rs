//! What one event's commit costs the thread that makes it, in CPU time: back to back, and after
//! a pause as a resident's writer makes it (an event now and then). The difference is what a
//! thread pays for waking with cold caches, which is most of what a busy resident spends:
//!
//! `cargo run --release -p herald-store --example commit_cost` (Linux).

// A measurement: printing its figures is what it is for.
#![allow(clippy::print_stdout, clippy::print_stderr)]

#[cfg(target_os = "linux")]
fn main() {
    use herald_store::{FeedSpec, Incoming, Rendered, Store, now_millis};
    use std::time::Duration;

    let thread_cpu = || {
        let t = rustix::time::clock_gettime(rustix::time::ClockId::ThreadCPUTime);
        Duration::new(t.tv_sec.unsigned_abs(), t.tv_nsec.unsigned_abs() as u32)
    };
    // The thread's page faults, minor and major, from /proc (fields 10 and 12 of its stat).
    let faults = || {
        let stat = std::fs::read_to_string("/proc/thread-self/stat").unwrap_or_default();
        let fields: Vec<u64> = stat
            .rsplit_once(')')
            .map(|(_, rest)| rest.split_whitespace().map(|f| f.parse().unwrap_or(0)).collect())
            .unwrap_or_default();
        (fields.get(7).copied().unwrap_or(0), fields.get(9).copied().unwrap_or(0))
    };
    let dir = tempfile::tempdir().expect("a temp dir");
    let mut store = Store::open(&Store::path_in(dir.path())).expect("a store");
    let feeds: Vec<String> = (0..10)
        .map(|i| {
            let spec = FeedSpec {
                name: format!("feed {i}"),
                url: "http://127.0.0.1:9/".into(),
                ..FeedSpec::default()
            };
            store.add_feed(&spec).expect("a feed").id
        })
        .collect();
    let mut n = 0u32;
    for pause_ms in [0u64, 100, 500] {
        const COMMITS: u32 = 50;
        let mut spent = Duration::ZERO;
        let (mut minor, mut major) = (0, 0);
        for _ in 0..COMMITS {
            n += 1;
            let data = format!(r#"{{"id":"{n}","event":"message","message":"disk full on {n}"}}"#);
            let event = Incoming {
                feed_id: feeds[n as usize % feeds.len()].clone(),
                resume_position: n.to_string(),
                event_id: Some(n.to_string()),
                event_type: "message".into(),
                data: data.clone(),
                kept: Some(Rendered {
                    title: "alerts".into(),
                    body: data,
                    link: None,
                    priority: None,
                }),
                received_at: now_millis(),
            };
            std::thread::sleep(Duration::from_millis(pause_ms));
            let faulted = faults();
            let before = thread_cpu();
            store.accept_batch(&[event]).expect("a commit");
            spent += thread_cpu() - before;
            let now = faults();
            minor += now.0 - faulted.0;
            major += now.1 - faulted.1;
        }
        println!(
            "one event's commit, {pause_ms} ms after the last: {} us of CPU (mean of {COMMITS}); \
             page faults in all {COMMITS}: {minor} minor, {major} major",
            (spent / COMMITS).as_micros()
        );
    }
}

#[cfg(not(target_os = "linux"))]
fn main() {
    eprintln!("this measurement reads the thread's CPU clock the Linux way");
}
