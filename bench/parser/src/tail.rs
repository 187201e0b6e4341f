//! `herald tail --json --once` over loopback against a raw socket read of the same bytes from
//! the same server.
//!
//! Both are measured with the host's TCP congestion control and, where the host's is not
//! cubic, once more with the server's sockets set to cubic (Linux's default). BBR limits its
//! sending by its model of the path (a pacing rate and a congestion window from the rate it has
//! seen delivered), and over loopback that follows the reader: on the machine these figures
//! come from, tail found its socket empty and waited about 1,500-1,800 times for the stream
//! with BBR, a few dozen with cubic. The waits are counted (voluntary context switches of the
//! child processes), in the best run and on average, so a figure says which it measured.

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
    if host != "cubic" {
        match can_use("cubic") {
            Ok(()) => controls.push(Some("cubic")),
            Err(err) => println!("\n(the server cannot use cubic here: {err}; one pass only)"),
        }
    }
    let mb = corpus.len() as f64 / 1e6;
    println!(
        "\n## herald tail over loopback ({mb:.0} MB ntfy-like corpus, best of {TAIL_ROUNDS})\n"
    );
    println!("| server's congestion control | reader | MB/s | s | waits: best run, mean |");
    println!("|---|---|---|---|---|");
    let mut shares = Vec::new();
    for control in controls {
        let name = control.map_or(format!("{host}, the host's"), str::to_owned);
        let (raw, tail, (best_waits, mean_waits)) = measure(herald, corpus, control);
        println!("| {name} | raw socket read | {:.0} | {:.3} | |", mb / raw, raw);
        println!(
            "| {name} | herald tail --json --once > /dev/null | {:.0} | {:.3} | {best_waits}, \
             {mean_waits:.0} |",
            mb / tail,
            tail
        );
        shares.push((name, 100.0 * raw / tail));
    }
    println!(
        "\nwaits: voluntary context switches of tail's process (or of the BENCH_TAIL_WRAP \
         command and it), in the run whose time is shown and the mean of the {TAIL_ROUNDS}; a \
         run that never waits for data has about 4 (its start)."
    );
    for (name, share) in shares {
        println!("\ntail reaches {share:.0}% of the raw read with {name}.");
    }
}

/// The best time of each reader in seconds, and tail's waits in its best run and on average.
fn measure(herald: &Path, corpus: &[u8], control: Option<&'static str>) -> (f64, f64, (i64, f64)) {
    let server = CorpusServer::start(corpus, control);
    let url = format!("http://{}/ntfy/sse", server.addr);
    let mut raw = Duration::MAX;
    let mut tail = Duration::MAX;
    let (mut waits, mut best_waits) = (0, 0);
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
        let (elapsed, run_waits) = (start.elapsed(), children_waits() - before);
        if elapsed < tail {
            (tail, best_waits) = (elapsed, run_waits);
        }
        waits += run_waits;
    }
    let mean = waits as f64 / TAIL_ROUNDS as f64;
    (raw.as_secs_f64(), tail.as_secs_f64(), (best_waits, mean))
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

/// Whether a socket of this process may use `control` (a kernel may have it and allow it only
/// to privileged processes).
fn can_use(control: &str) -> std::io::Result<()> {
    let socket = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None)?;
    socket.set_tcp_congestion(control.as_bytes())
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
