//! Parser throughput, side by side in one run: Herald's parser, eventsource-client 0.18.0 (fed
//! through an in-memory transport, so no HTTP is measured), sse-stream, and Node's
//! eventsource-parser (run as a child process on the same corpus files); then `herald tail
//! --json` over loopback against a raw socket read of the same bytes from the same server.
//!
//! Usage: herald-bench-parser <corpus dir> [<herald binary>]

use std::convert::Infallible;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures::StreamExt;

mod corpus;
mod measure;
mod one_pass;
mod tail;

const CHUNKS: [usize; 3] = [1024, 16 * 1024, 1024 * 1024];
use measure::{Measure, ROUNDS, best_of};

/// Herald's parser and the floors, measured in turns (the best of `INTERLEAVED_ROUNDS` each):
/// their ratio is the figure that matters, and on a shared machine a busy second would
/// otherwise fall on one of them only.
const INTERLEAVED_ROUNDS: usize = 9;

fn best_interleaved<const N: usize>(runs: [&mut dyn FnMut() -> usize; N]) -> [Measure; N] {
    let mut runs = runs;
    let mut measures = std::array::from_fn(|_| Measure { events: 0, best: Duration::MAX });
    for _ in 0..INTERLEAVED_ROUNDS {
        for (run, measure) in runs.iter_mut().zip(measures.iter_mut()) {
            let start = Instant::now();
            measure.events = run();
            measure.best = measure.best.min(start.elapsed());
        }
    }
    measures
}

fn split(corpus: &Bytes, chunk: usize) -> Vec<Bytes> {
    (0..corpus.len())
        .step_by(chunk)
        .map(|i| corpus.slice(i..(i + chunk).min(corpus.len())))
        .collect()
}

fn herald(chunks: &[Bytes]) -> usize {
    let mut parser = herald_sse::Parser::new();
    let (mut events, mut bytes) = (0usize, 0usize);
    for chunk in chunks {
        parser.feed(chunk, &mut |item| {
            if let herald_sse::Item::Event(e) = item {
                events += 1;
                bytes += e.data.len();
            }
        });
    }
    std::hint::black_box(bytes);
    events
}

/// The least any spec-exact parser must do: find every line end and check the UTF-8. Not a
/// parser (it counts lines, not events); the ceiling the parsers are measured against. Two
/// ways of checking the UTF-8 are measured and the faster one is the floor, so that no parser
/// is judged against a floor it could beat by validating differently.
fn floor(chunks: &[Bytes], check: fn(&[u8]) -> bool) -> usize {
    let mut lines = 0;
    let mut valid = 0;
    for chunk in chunks {
        valid += usize::from(check(chunk));
        lines += memchr::memchr2_iter(b'\n', b'\r', chunk).count();
    }
    std::hint::black_box(valid);
    lines
}

/// The floor plus the one copy a parser that hands out each line whole cannot avoid: the
/// bytes of a line that spans chunks, gathered into a buffer. With 1 KiB chunks that is a third
/// of the ntfy-like lines and every byte of a 64 KiB event, which the floor never copies. Built
/// on the one-pass floor, the fastest (the first and last line ends found by searches that look
/// only at the bytes copied).
fn floor_copying(chunks: &[Bytes]) -> usize {
    let (mut lines, mut valid) = (0, 0);
    let mut spanning = Vec::new();
    for chunk in chunks {
        let (ends, ok) = one_pass::count(chunk);
        lines += ends;
        valid += usize::from(ok);
        let Some(first) = memchr::memchr2(b'\n', b'\r', chunk) else {
            spanning.extend_from_slice(chunk);
            continue;
        };
        spanning.extend_from_slice(&chunk[..first]);
        std::hint::black_box(&spanning);
        spanning.clear();
        let last = memchr::memrchr2(b'\n', b'\r', chunk).unwrap_or(first);
        spanning.extend_from_slice(&chunk[last + 1..]);
    }
    std::hint::black_box(valid);
    lines
}

/// The floor in one pass (see one_pass): the fastest of the floors, so the one herald-sse is
/// judged against.
fn floor_one_pass(chunks: &[Bytes]) -> usize {
    let (mut lines, mut valid) = (0, 0);
    for chunk in chunks {
        let (ends, ok) = one_pass::count(chunk);
        lines += ends;
        valid += usize::from(ok);
    }
    std::hint::black_box(valid);
    lines
}

fn std_utf8(bytes: &[u8]) -> bool {
    std::str::from_utf8(bytes).is_ok()
}

fn simd_utf8(bytes: &[u8]) -> bool {
    simdutf8::basic::from_utf8(bytes).is_ok()
}

fn herald_owned(chunks: &[Bytes]) -> usize {
    let mut parser = herald_sse::Parser::new();
    let mut events = Vec::new();
    for chunk in chunks {
        parser.feed(chunk, &mut |item| {
            if let herald_sse::Item::Event(e) = item {
                events.push(herald_sse::Event::from(e));
            }
        });
    }
    std::hint::black_box(&events);
    events.len()
}

fn sse_stream(runtime: &tokio::runtime::Runtime, chunks: &[Bytes]) -> usize {
    let stream = futures::stream::iter(chunks.iter().cloned().map(Ok::<Bytes, Infallible>));
    let mut parsed = sse_stream::SseStream::from_bytes_stream(stream);
    runtime.block_on(async {
        let mut events = 0;
        while let Some(item) = parsed.next().await {
            if item.expect("sse-stream").data.is_some() {
                events += 1;
            }
        }
        events
    })
}

#[derive(Clone)]
struct MemoryTransport {
    chunks: std::sync::Arc<Vec<Bytes>>,
}

impl launchdarkly_sdk_transport::HttpTransport for MemoryTransport {
    fn request(
        &self,
        _: http::Request<Option<Bytes>>,
    ) -> launchdarkly_sdk_transport::ResponseFuture {
        let chunks = self.chunks.clone();
        Box::pin(async move {
            let body = futures::stream::iter((0..chunks.len()).map(move |i| Ok(chunks[i].clone())));
            let response = http::Response::builder()
                .status(200)
                .header("content-type", "text/event-stream")
                .body(Box::pin(body) as launchdarkly_sdk_transport::ByteStream)
                .expect("response");
            Ok(response)
        })
    }
}

fn eventsource_client(
    runtime: &tokio::runtime::Runtime,
    chunks: &[Bytes],
    expected: usize,
) -> usize {
    use eventsource_client::Client;
    let transport = MemoryTransport { chunks: std::sync::Arc::new(chunks.to_vec()) };
    let client = eventsource_client::ClientBuilder::for_url("http://127.0.0.1/bench")
        .expect("builder")
        .build_with_transport(transport);
    runtime.block_on(async {
        let mut stream = client.stream();
        let mut events = 0;
        // The client reconnects when the body ends; stop once every event has arrived.
        while events < expected {
            match stream.next().await {
                Some(Ok(eventsource_client::SSE::Event(_))) => events += 1,
                Some(_) => {}
                None => break,
            }
        }
        events
    })
}

/// Node's eventsource-parser goes quadratic on very large chunks; past this it is reported as
/// not finishing rather than holding the whole run up.
const NODE_LIMIT_S: u32 = 60;

fn node(script: &Path, corpus: &Path, chunk: usize) -> Option<Measure> {
    let output = Command::new("timeout")
        .arg(NODE_LIMIT_S.to_string())
        .arg("node")
        .arg(script)
        .arg(corpus)
        .arg(chunk.to_string())
        .arg(ROUNDS.to_string())
        .output()
        .ok()?;
    if output.status.code() == Some(124) {
        println!(
            "| | | eventsource-parser (Node) | did not finish {ROUNDS} rounds in {NODE_LIMIT_S} s | | |"
        );
        return None;
    }
    if !output.status.success() {
        eprintln!("node eventsource-parser failed: {}", String::from_utf8_lossy(&output.stderr));
        return None;
    }
    let text = String::from_utf8_lossy(&output.stdout);
    let mut parts = text.split_whitespace();
    let events = parts.next()?.parse().ok()?;
    let best_ms: f64 = parts.next()?.parse().ok()?;
    Some(Measure { events, best: Duration::from_secs_f64(best_ms / 1000.0) })
}

fn row(corpus: &str, chunk: usize, name: &str, size: usize, m: &Measure) -> f64 {
    let secs = m.best.as_secs_f64();
    let mbps = size as f64 / secs / 1e6;
    println!(
        "| {corpus} | {} | {name} | {:.0} | {:.2} M | {:.1} |",
        human(chunk),
        mbps,
        m.events as f64 / secs / 1e6,
        m.best.as_secs_f64() * 1000.0
    );
    mbps
}

/// The floor rows (std, simdutf8, one pass, with the copy); returns the fastest plain floor's
/// MB/s.
fn print_floors(name: &str, chunk: usize, size: usize, floors: &[Measure; 4]) -> f64 {
    let labels = [
        "floor: line ends + UTF-8 check (std), no parsing",
        "floor: line ends + UTF-8 check (simdutf8), no parsing",
        "floor: line ends + UTF-8 check in one pass (AVX2), no parsing",
        "floor + copying the lines that span chunks (one pass)",
    ];
    let mbps = |m: &Measure| size as f64 / m.best.as_secs_f64() / 1e6;
    for (label, run) in labels.iter().zip(floors) {
        println!(
            "| {name} | {} | {label} | {:.0} | | {:.1} |",
            human(chunk),
            mbps(run),
            run.best.as_secs_f64() * 1e3
        );
    }
    mbps(&floors[0]).max(mbps(&floors[1])).max(mbps(&floors[2]))
}

fn human(n: usize) -> String {
    if n >= 1024 * 1024 {
        format!("{} MiB", n / (1024 * 1024))
    } else {
        format!("{} KiB", n / 1024)
    }
}

fn main() {
    let mut args = std::env::args().skip(1);
    let dir = PathBuf::from(
        args.next().expect("usage: herald-bench-parser <corpus dir> [herald binary]"),
    );
    let herald_bin = args.next().map(PathBuf::from);
    std::fs::create_dir_all(&dir).expect("corpus dir");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../node/bench.mjs");
    let runtime =
        tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");

    println!(
        "## Parser throughput (peers best of {ROUNDS}; herald-sse and the floors best of {INTERLEAVED_ROUNDS}, in turns; MB/s = 10^6 bytes/s)\n"
    );
    println!("| corpus | chunk | parser | MB/s | events/s | ms |");
    println!("|---|---|---|---|---|---|");
    let mut ratios = Vec::new();
    let mut floors = Vec::new();
    let tail_only = std::env::var_os("BENCH_TAIL_ONLY").is_some();
    // BENCH_CORPUS=ntfy (or tiny, 64k) measures one corpus only.
    let only = std::env::var("BENCH_CORPUS").ok();
    let wanted = |name: &str| only.as_deref().is_none_or(|only| only == name);
    for (name, corpus) in corpus::all().into_iter().filter(|(name, _)| !tail_only && wanted(name)) {
        let path = dir.join(format!("{name}.sse"));
        std::fs::write(&path, &corpus).expect("write corpus");
        let corpus = Bytes::from(corpus);
        for chunk in CHUNKS {
            let chunks = split(&corpus, chunk);
            let [ours, std_floor, simd_floor, one_pass, copy_floor] = best_interleaved([
                &mut || herald(&chunks),
                &mut || floor(&chunks, std_utf8),
                &mut || floor(&chunks, simd_utf8),
                &mut || floor_one_pass(&chunks),
                &mut || floor_copying(&chunks),
            ]);
            for other in [&one_pass, &copy_floor] {
                assert_eq!(other.events, simd_floor.events, "the floors counted different lines");
            }
            let floor_runs = [std_floor, simd_floor, one_pass, copy_floor];
            let mine = row(name, chunk, "herald-sse", corpus.len(), &ours);
            if std::env::var_os("BENCH_HERALD_ONLY").is_some() {
                let floor = print_floors(name, chunk, corpus.len(), &floor_runs);
                floors.push((name, chunk, mine / floor));
                continue;
            }
            row(
                name,
                chunk,
                "herald-sse (owned events)",
                corpus.len(),
                &best_of(|| herald_owned(&chunks)),
            );
            let a = best_of(|| sse_stream(&runtime, &chunks));
            let b = best_of(|| eventsource_client(&runtime, &chunks, ours.events));
            assert_eq!(a.events, ours.events, "sse-stream counted different events");
            assert_eq!(b.events, ours.events, "eventsource-client counted different events");
            let mut peers = vec![row(name, chunk, "sse-stream 0.3", corpus.len(), &a)];
            peers.push(row(name, chunk, "eventsource-client 0.18.0", corpus.len(), &b));
            if let Some(n) = node(&script, &path, chunk) {
                assert_eq!(n.events, ours.events, "eventsource-parser counted different events");
                peers.push(row(name, chunk, "eventsource-parser (Node)", corpus.len(), &n));
            }
            let fastest_peer = peers.iter().cloned().fold(0.0, f64::max);
            let floor = print_floors(name, chunk, corpus.len(), &floor_runs);
            floors.push((name, chunk, mine / floor));
            ratios.push((name, chunk, mine / fastest_peer));
        }
    }
    println!("\nherald-sse against the fastest peer in each row group:\n");
    for (name, chunk, ratio) in ratios {
        println!("- {name}, {} chunks: {ratio:.1}x", human(chunk));
    }
    println!("\nherald-sse against the floor (the fastest of its three rows):\n");
    for (name, chunk, share) in floors {
        println!("- {name}, {} chunks: {:.0}%", human(chunk), share * 100.0);
    }

    if let Some(bin) = herald_bin {
        // Large enough that starting the process (about 4 ms) is not what is measured.
        tail::against_raw_read(&bin, &corpus::ntfy(256 * 1024 * 1024));
    }
}
