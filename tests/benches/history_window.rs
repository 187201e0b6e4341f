//! `make bench`: the history window with 100,000 entries, over WebDriver with the release
//! `herald-ui`. Prints how long the window takes to show the newest entries, how many rows are
//! in the page, how long loading every page takes while scrolling, how long scroll frames take,
//! and the memory of the window's processes. Figures, not assertions (see BENCHMARKS.md).

// A benchmark's output is its report.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::time::{Duration, Instant};

use herald_e2e::process::{DataDir, pids_with_args, pss_kib, terminate};
use herald_e2e::webdriver::Driver;
use herald_store::{FeedSpec, Incoming, Rendered, Store};

const ENTRIES: usize = 100_000;

fn seed(data: &DataDir) {
    let mut store = Store::open(&Store::path_in(data.path())).expect("store");
    // The default keeps 10,000 entries per feed; this measures a history that kept everything.
    let mut settings = store.settings().expect("settings");
    settings.retention_per_feed = None;
    store.set_settings(&settings).expect("settings");
    // Disabled: the resident that herald-ui starts must not try to connect anywhere.
    let feed = store
        .add_feed(&FeedSpec {
            name: "Bench".into(),
            url: "http://127.0.0.1:9/".into(),
            enabled: false,
            ..FeedSpec::default()
        })
        .expect("feed");
    let mut batch = Vec::with_capacity(1000);
    for n in 0..ENTRIES {
        batch.push(Incoming {
            feed_id: feed.id.clone(),
            resume_position: n.to_string(),
            event_id: Some(n.to_string()),
            event_type: "message".into(),
            data: format!(
                "{{\"title\":\"Deploy {n}\",\"message\":\"service {} is live\"}}",
                n % 97
            ),
            kept: Some(Rendered {
                title: format!("Deploy {n}"),
                body: format!("service {} is live", n % 97),
                link: None,
                priority: None,
            }),
            received_at: 1_764_000_000_000 + n as i64,
        });
        if batch.len() == 1000 {
            store.accept_batch(&batch).expect("accept");
            batch.clear();
        }
    }
}

async fn js(client: &fantoccini::Client, script: &str) -> serde_json::Value {
    client.execute(script, vec![]).await.expect("script")
}

async fn loaded(client: &fantoccini::Client) -> i64 {
    js(
        client,
        "return Number(document.querySelector('[role=option]')?.getAttribute('aria-setsize') ?? 0)",
    )
    .await
    .as_i64()
    .unwrap_or(0)
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let data = DataDir::new();
    let started = Instant::now();
    seed(&data);
    eprintln!("seeded {ENTRIES} entries in {:.1} s", started.elapsed().as_secs_f64());

    let driver = Driver::start(data.path(), &[]);
    let opened = Instant::now();
    let client = driver.session(&[]).await;
    while loaded(&client).await == 0 {
        assert!(opened.elapsed() < Duration::from_secs(60), "the history never showed");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let first_paint = opened.elapsed();
    let rows = js(&client, "return document.querySelectorAll('[data-testid=entry]').length").await;

    // Scroll to the end of what is loaded until every page is: the list asks for the next page
    // of 200 as the view nears the end.
    let loading = Instant::now();
    let mut count = loaded(&client).await;
    while count < ENTRIES as i64 {
        js(
            &client,
            "const l = document.querySelector('[role=listbox]'); l.scrollTop = l.scrollHeight",
        )
        .await;
        count = loaded(&client).await;
        assert!(loading.elapsed() < Duration::from_secs(600), "stuck at {count} entries");
    }
    let all_loaded = loading.elapsed();

    // 240 frames of scrolling through the whole list, 4,000 px (about 60 rows) per frame.
    let frames = client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             const list = document.querySelector('[role=listbox]');
             list.scrollTop = 0;
             const times = []; let last = performance.now(); let n = 0;
             function step(now) {
               times.push(now - last); last = now; n += 1;
               list.scrollTop = (n * 4000) % list.scrollHeight;
               if (n < 240) { requestAnimationFrame(step); } else { done(times.slice(1)); }
             }
             requestAnimationFrame(step);",
            vec![],
        )
        .await
        .expect("scroll frames");
    let mut times: Vec<f64> = frames
        .as_array()
        .expect("frame times")
        .iter()
        .filter_map(serde_json::Value::as_f64)
        .collect();
    times.sort_by(f64::total_cmp);
    let pct = |p: f64| times[((times.len() - 1) as f64 * p).round() as usize];
    let rows_after =
        js(&client, "return document.querySelectorAll('[data-testid=entry]').length").await;

    let ui: Vec<u32> = pids_with_args(&["herald-ui"]);
    let webkit: Vec<u32> = pids_with_args(&["WebKit"]);
    let pss: u64 = ui.iter().chain(&webkit).map(|&pid| pss_kib(pid)).sum();

    println!("| measure | result |");
    println!("|---|---|");
    println!("| entries in the history | {ENTRIES} |");
    println!("| window start to the newest entries shown | {} ms |", first_paint.as_millis());
    println!("| rows in the page at the top / after scrolling | {rows} / {rows_after} |");
    println!(
        "| every page loaded while scrolling (pages of 200) | {:.1} s ({:.0} entries/s) |",
        all_loaded.as_secs_f64(),
        ENTRIES as f64 / all_loaded.as_secs_f64()
    );
    println!(
        "| scroll frame time over the 100k list: p50 / p95 / max | {:.1} / {:.1} / {:.1} ms |",
        pct(0.5),
        pct(0.95),
        pct(1.0)
    );
    println!("| herald-ui + WebKit PSS with 100k entries loaded | {} MB |", pss / 1024);

    client.close().await.expect("close");
    if let Some(resident) = data.holder("resident.lock") {
        terminate(resident);
    }
}
