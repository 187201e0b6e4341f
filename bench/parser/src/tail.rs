//! `herald tail --json --once` over loopback against a raw socket read of the same bytes from
//! the same server.
//!
//! Both are measured with the host's TCP congestion control and, where the host's is not
//! cubic, once more with the server's sockets set to cubic (Linux's default). A sender that
//! paces itself, as BBR does, paces to what it has seen delivered, and on loopback that is the
//! reader's own recent pace: a reader that is slower than the raw read then also waits for the
//! sender (on the machine these figures come from, about 1,300 times for the stream), while
//! with cubic it never waits. The waits are counted (voluntary context switches of the child
//! processes), so a figure says which of the two it measured.

use std::io::{Read, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Each reader is timed this many times and the best kept: the raw read takes a few tens of
/// milliseconds, where one busy moment of the machine shows.
const TAIL_ROUNDS: usize = 15;

pub fn against_raw_read(herald: &Path, corpus: &[u8]) {
    let host = sysctl("tcp_congestion_control").unwrap_or_else(|| "unknown".to_owned());
    let mut controls = vec![None];
    let cubic_available =
        sysctl("tcp_available_congestion_control").is_some_and(|all| all.contains("cubic"));
    if host != "cubic" && cubic_available {
        controls.push(Some("cubic"));
    }
    let mb = corpus.len() as f64 / 1e6;
    println!(
        "\n## herald tail over loopback ({mb:.0} MB ntfy-like corpus, best of {TAIL_ROUNDS})\n"
    );
    println!("| server's congestion control | reader | MB/s | s | waits per run |");
    println!("|---|---|---|---|---|");
    let mut shares = Vec::new();
    for control in controls {
        let name = control.map_or(format!("{host}, the host's"), str::to_owned);
        let (raw, tail, waits) = measure(herald, corpus, control);
        println!("| {name} | raw socket read | {:.0} | {:.3} | |", mb / raw, raw);
        println!(
            "| {name} | herald tail --json --once > /dev/null | {:.0} | {:.3} | {waits:.0} |",
            mb / tail,
            tail
        );
        shares.push((name, 100.0 * raw / tail));
    }
    println!(
        "\nwaits: voluntary context switches of tail's process (or of the BENCH_TAIL_WRAP \
         command and it), mean of the {TAIL_ROUNDS} runs; a run that never waits for data has \
         about 4 (its start)."
    );
    for (name, share) in shares {
        println!("\ntail reaches {share:.0}% of the raw read with {name}.");
    }
}

/// The best time of each reader in seconds, and tail's mean waits per run.
fn measure(herald: &Path, corpus: &[u8], control: Option<&'static str>) -> (f64, f64, f64) {
    let server = CorpusServer::start(corpus, control);
    let url = format!("http://{}/ntfy/sse", server.addr);
    let mut raw = Duration::MAX;
    let mut tail = Duration::MAX;
    let mut waits = 0;
    for _ in 0..TAIL_ROUNDS {
        let start = Instant::now();
        let mut socket = std::net::TcpStream::connect(server.addr).expect("connect");
        socket
            .write_all(
                b"GET /ntfy/sse HTTP/1.1\r\nHost: bench\r\nAccept: text/event-stream\r\n\r\n",
            )
            .expect("write");
        let mut sink = vec![0u8; 64 * 1024];
        let mut total = 0;
        loop {
            let n = socket.read(&mut sink).expect("read");
            if n == 0 {
                break;
            }
            total += n;
        }
        assert!(total >= corpus.len());
        raw = raw.min(start.elapsed());

        let before = children_waits();
        let start = Instant::now();
        // BENCH_TAIL_WRAP="perf record -g -o /tmp/tail.perf" profiles the tail runs.
        let wrap = std::env::var("BENCH_TAIL_WRAP").unwrap_or_default();
        let mut words = wrap.split_whitespace();
        let mut command = match words.next() {
            Some(program) => {
                let mut c = Command::new(program);
                c.args(words).arg(herald);
                c
            }
            None => Command::new(herald),
        };
        let status = command
            .args(["tail", "--json", "--once", &url])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .expect("run herald tail");
        assert!(status.success());
        tail = tail.min(start.elapsed());
        waits += children_waits() - before;
    }
    (raw.as_secs_f64(), tail.as_secs_f64(), waits as f64 / TAIL_ROUNDS as f64)
}

/// Voluntary context switches of the children waited for so far: a process makes one each
/// time it sleeps until something (here, data from the socket) is there.
fn children_waits() -> i64 {
    // SAFETY: getrusage only writes the struct it is given.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: a valid pointer to a rusage, as the call wants.
    let done = unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut usage) };
    assert_eq!(done, 0, "getrusage");
    usage.ru_nvcsw
}

fn sysctl(name: &str) -> Option<String> {
    let value = std::fs::read_to_string(format!("/proc/sys/net/ipv4/{name}")).ok()?;
    Some(value.trim().to_owned())
}

/// Serves `corpus` in 16 KiB writes to each connection, one at a time, from the same bytes:
/// the test server of the crates copies its script's pieces for every request (256 MiB, with
/// its page faults), which made each reading a measure of the server as much as of the reader.
struct CorpusServer {
    addr: std::net::SocketAddr,
}

impl CorpusServer {
    /// With `control`, each connection's sockets use that congestion control.
    fn start(corpus: &[u8], control: Option<&'static str>) -> Self {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
        let addr = listener.local_addr().expect("address");
        let corpus: std::sync::Arc<[u8]> = corpus.into();
        // Ends with the bench's process: it serves TAIL_ROUNDS x 2 connections, then waits.
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                if let Some(control) = control {
                    socket2::SockRef::from(&stream)
                        .set_tcp_congestion(control.as_bytes())
                        .expect("set the congestion control");
                }
                // The request: read up to its blank line.
                let mut head = Vec::new();
                let mut byte = [0u8; 1024];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match stream.read(&mut byte) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => head.extend_from_slice(&byte[..n]),
                    }
                }
                let _ = stream.write_all(
                    b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\n",
                );
                for piece in corpus.chunks(16 * 1024) {
                    if stream.write_all(piece).is_err() {
                        break;
                    }
                }
            }
        });
        Self { addr }
    }
}
