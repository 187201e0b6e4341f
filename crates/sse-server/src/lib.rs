//! A scripted HTTP/1.1 server on 127.0.0.1 for Herald's tests, benchmarks and demo. Each
//! request is answered by a script that sees the request and how many came before it, so a test
//! can say "first attempt: 500, second: a stream" without any timing. It speaks raw bytes, so a
//! test can also send what real servers get wrong (a truncated body, a bad content type).
//!
//! It runs on a thread of its own with its own runtime, so sync and async tests use it alike,
//! and stops when dropped.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

/// A request as the server saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub method: String,
    /// Path and query, as sent.
    pub target: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// A query parameter's value (no percent-decoding beyond what tests need: none).
    pub fn query(&self, name: &str) -> Option<&str> {
        let query = self.target.split_once('?')?.1;
        query.split('&').find_map(|pair| pair.strip_prefix(name)?.strip_prefix('='))
    }
}

/// How to answer one request.
#[derive(Debug, Clone)]
pub enum Reply {
    /// Bytes written as they are (status line, headers, body), then the connection closes.
    Raw(Vec<u8>),
    /// `200 OK` with `Content-Type: text/event-stream` (or `content_type`), then each piece of
    /// the body written and flushed in order, with `pause` between pieces; then `end`.
    Stream { content_type: String, pieces: Vec<Vec<u8>>, pause: Duration, end: End },
}

/// What happens after a stream's last piece.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    /// Close the connection (a clean end of a close-delimited body).
    Close,
    /// Keep the connection open and silent until the server stops.
    Hold,
    /// Keep the connection open and write whatever [`SseServer::push`] sends, until the server
    /// stops or [`SseServer::close_live`] ends every live connection.
    Live,
}

impl Reply {
    /// An event stream that sends `body` at once and closes.
    pub fn events(body: impl Into<Vec<u8>>) -> Self {
        Self::stream(vec![body.into()], End::Close)
    }

    pub fn stream(pieces: Vec<Vec<u8>>, end: End) -> Self {
        Reply::Stream {
            content_type: "text/event-stream".into(),
            pieces,
            pause: Duration::ZERO,
            end,
        }
    }

    /// A complete response with this status, extra headers and body.
    pub fn status(code: u16, reason: &str, headers: &[(&str, &str)], body: &str) -> Self {
        let mut raw = format!(
            "HTTP/1.1 {code} {reason}\r\nContent-Length: {}\r\nConnection: close\r\n",
            body.len()
        );
        for (name, value) in headers {
            raw.push_str(&format!("{name}: {value}\r\n"));
        }
        raw.push_str("\r\n");
        raw.push_str(body);
        Reply::Raw(raw.into_bytes())
    }
}

type Script = dyn Fn(&Request, usize) -> Reply + Send + Sync;

/// What live connections listen to: pushed bytes, and a counter that ends them when it moves.
#[derive(Clone)]
struct Hub {
    bytes: tokio::sync::broadcast::Sender<Arc<[u8]>>,
    closes: watch::Sender<u64>,
}

pub struct SseServer {
    addr: SocketAddr,
    requests: Arc<Mutex<Vec<Request>>>,
    live: Hub,
    stop: watch::Sender<bool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl std::fmt::Debug for SseServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SseServer").field("addr", &self.addr).finish_non_exhaustive()
    }
}

impl SseServer {
    /// Starts on an ephemeral port of 127.0.0.1. `script(request, n)` answers the n-th request
    /// (counting from 0).
    pub fn start(script: impl Fn(&Request, usize) -> Reply + Send + Sync + 'static) -> Self {
        Self::start_on(SocketAddr::from(([127, 0, 0, 1], 0)), script).expect("bind 127.0.0.1")
    }

    pub fn start_on(
        addr: SocketAddr,
        script: impl Fn(&Request, usize) -> Reply + Send + Sync + 'static,
    ) -> std::io::Result<Self> {
        let std_listener = std::net::TcpListener::bind(addr)?;
        std_listener.set_nonblocking(true)?;
        let addr = std_listener.local_addr()?;
        let requests = Arc::new(Mutex::new(Vec::new()));
        let (stop, stopped) = watch::channel(false);
        let script: Arc<Script> = Arc::new(script);
        let log = requests.clone();
        // Room for a benchmark's burst; a connection that falls further behind is closed.
        let live =
            Hub { bytes: tokio::sync::broadcast::channel(1 << 16).0, closes: watch::channel(0).0 };
        let hub = live.clone();
        let thread = std::thread::Builder::new()
            .name(format!("sse-server-{}", addr.port()))
            .spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("runtime");
                runtime.block_on(serve(std_listener, script, log, stopped, hub));
            })?;
        Ok(Self { addr, requests, live, stop, thread: Some(thread) })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// Writes `bytes` to every live connection (those whose reply ended with [`End::Live`]).
    pub fn push(&self, bytes: impl Into<Vec<u8>>) {
        let _ = self.live.bytes.send(Arc::from(bytes.into()));
    }

    /// How many live connections are open.
    pub fn live_connections(&self) -> usize {
        self.live.bytes.receiver_count()
    }

    /// Ends every live connection (as a server restart would).
    pub fn close_live(&self) {
        self.live.closes.send_modify(|n| *n += 1);
    }

    /// Every request received so far, in order.
    pub fn requests(&self) -> Vec<Request> {
        self.requests.lock().expect("request log").clone()
    }
}

impl Drop for SseServer {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

async fn serve(
    listener: std::net::TcpListener,
    script: Arc<Script>,
    log: Arc<Mutex<Vec<Request>>>,
    mut stopped: watch::Receiver<bool>,
    hub: Hub,
) {
    let Ok(listener) = TcpListener::from_std(listener) else { return };
    loop {
        tokio::select! {
            _ = stopped.changed() => return,
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else { continue };
                let (script, log, stopped) = (script.clone(), log.clone(), stopped.clone());
                tokio::spawn(answer(stream, script, log, stopped, hub.clone()));
            }
        }
    }
}

async fn answer(
    mut stream: TcpStream,
    script: Arc<Script>,
    log: Arc<Mutex<Vec<Request>>>,
    mut stopped: watch::Receiver<bool>,
    hub: Hub,
) {
    let Some(request) = read_request(&mut stream).await else { return };
    let (reply, _n) = {
        let mut log = log.lock().expect("request log");
        let n = log.len();
        log.push(request.clone());
        (script(&request, n), n)
    };
    match reply {
        Reply::Raw(bytes) => {
            let _ = stream.write_all(&bytes).await;
        }
        Reply::Stream { content_type, pieces, pause, end } => {
            // Subscribed before anything is written: nothing pushed after the client sees the
            // response can be missed.
            let mut pushed = (end == End::Live).then(|| hub.bytes.subscribe());
            let mut closes = hub.closes.subscribe();
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: {content_type}\r\nCache-Control: no-cache\r\nConnection: close\r\n\r\n"
            );
            if stream.write_all(head.as_bytes()).await.is_err() {
                return;
            }
            for (i, piece) in pieces.iter().enumerate() {
                if i > 0 && !pause.is_zero() {
                    tokio::select! {
                        _ = stopped.changed() => return,
                        _ = tokio::time::sleep(pause) => {}
                    }
                }
                if stream.write_all(piece).await.is_err() || stream.flush().await.is_err() {
                    return;
                }
            }
            if end == End::Hold {
                let _ = stopped.changed().await;
            }
            if let Some(pushed) = pushed.as_mut() {
                loop {
                    tokio::select! {
                        _ = stopped.changed() => break,
                        _ = closes.changed() => break,
                        bytes = pushed.recv() => {
                            let Ok(bytes) = bytes else { break };
                            if stream.write_all(&bytes).await.is_err() {
                                return;
                            }
                        }
                    }
                }
            }
        }
    }
    let _ = stream.shutdown().await;
}

async fn read_request(stream: &mut TcpStream) -> Option<Request> {
    let mut buf = Vec::with_capacity(1024);
    let head_end = loop {
        if let Some(pos) = memchr::memmem::find(&buf, b"\r\n\r\n") {
            break pos;
        }
        if buf.len() > 64 * 1024 {
            return None;
        }
        let mut chunk = [0u8; 4096];
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let mut request_line = lines.next()?.split(' ');
    let method = request_line.next()?.to_owned();
    let target = request_line.next()?.to_owned();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_owned(), v.trim().to_owned()))
        .collect();
    let length: usize = headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = buf[head_end + 4..].to_vec();
    while body.len() < length {
        let mut chunk = vec![0u8; length - body.len()];
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            break;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    Some(Request { method, target, headers, body })
}
