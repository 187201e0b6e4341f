//! `herald tail URL`: print a feed's events as they arrive (docs/cli.md, "Tail"). It is the
//! connection and parser of the engine with nothing but a printer behind them, so it is also
//! the quickest way to see what a server really sends.

use std::io::Write;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::Context;
use herald_api::input_file;
use herald_api::model::{AuthKind, HeaderLine, OnEnd};
use herald_sse::{
    AfterFailure, Attempt, Backoff, ConnectError, Item, Method, Parser, Request, redacted_url,
};
use reqwest::header::{HeaderName, HeaderValue};

use crate::cli::TailArgs;
use crate::terminal_text::escape;

mod stop;

/// Builds the request from the arguments; any problem here is a usage error (exit 2).
pub fn request(args: &TailArgs) -> anyhow::Result<Request> {
    let url: url::Url =
        args.url.parse().with_context(|| format!("{:?} is not a valid URL", args.url))?;
    anyhow::ensure!(
        matches!(url.scheme(), "http" | "https"),
        "only http and https URLs can be tailed, not {}:",
        url.scheme()
    );
    let mut request = Request::get(url);
    for header in &args.headers {
        let header: HeaderLine = header.parse()?;
        anyhow::ensure!(
            !header.carries_credentials(),
            "{} carries credentials, which do not belong on a command line (other users can read \
             it); give them with --auth, which reads the secret from stdin",
            header.name
        );
        let HeaderLine { name, value } = header;
        // Checked by the parse, as a feed's headers are.
        let name = HeaderName::from_bytes(name.as_bytes())?;
        request.headers.append(name, HeaderValue::from_str(&value)?);
    }
    if let Some(id) = &args.last_event_id {
        anyhow::ensure!(
            HeaderValue::from_str(id).is_ok(),
            "--last-event-id cannot hold control characters: it is sent as a header"
        );
        request.last_event_id = id.clone();
    }
    request.method = args.method;
    if args.method == Method::Post {
        if let Some(path) = &args.body_file {
            let body = input_file::read(path, input_file::REQUEST_BODY)?;
            serde_json::from_slice::<serde_json::Value>(&body)
                .with_context(|| format!("{} is not valid JSON", path.display()))?;
            request.body = Some(body);
        }
    } else {
        anyhow::ensure!(args.body_file.is_none(), "--body-file needs --method POST");
    }
    Ok(request)
}

/// What a connection of `tail` is allowed to be.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// Exit after the first connection instead of reconnecting.
    pub once: bool,
    pub json: bool,
    /// How long the server may send nothing at all: no response headers, no chunk of the body
    /// (a comment is life too). The engine's watchdog, with the same default.
    pub idle: Duration,
}

impl Options {
    pub fn from_args(args: &TailArgs) -> Self {
        Self { once: args.once, json: args.json, idle: Duration::from_secs(args.idle_timeout) }
    }
}

/// Why `tail` cannot start: a mistake in the arguments (exit 2) or the machine's (exit 1).
#[derive(Debug)]
pub enum Refused {
    Usage(anyhow::Error),
    Failed(anyhow::Error),
}

/// The HTTP client, trusting the `--ca-file` certificate too if one is given. A file that
/// cannot be read or holds no certificate is a usage error.
pub fn client(args: &TailArgs) -> Result<reqwest::Client, Refused> {
    let pem = match &args.ca_file {
        Some(path) => Some(
            input_file::read(path, input_file::CA_BUNDLE)
                .map_err(|err| Refused::Usage(err.into()))?,
        ),
        None => None,
    };
    herald_sse::http_client(pem.as_deref()).map_err(|err| match (&err, &args.ca_file) {
        (ConnectError::InvalidRequest(_), Some(path)) => {
            Refused::Usage(anyhow::Error::new(err).context(format!("--ca-file {}", path.display())))
        }
        _ => Refused::Failed(anyhow::Error::new(err).context("cannot set up HTTP")),
    })
}

pub fn apply_auth(kind: &AuthKind, request: &mut Request) -> anyhow::Result<()> {
    if kind.needs_secret() {
        let secret = crate::secret_input::read(&format!("secret for --auth {kind}"))?;
        herald_engine::auth::apply(kind, &secret, request)?;
    }
    Ok(())
}

/// `run` on a runtime of its own, on this thread.
pub fn run_on_runtime(
    client: reqwest::Client,
    request: Request,
    options: Options,
    mut out: impl Write + Send + 'static,
) -> anyhow::Result<ExitCode> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let stop = stop::watch()?;
    // A task, not the future `block_on` waits for: each time the connection's task woke that
    // future, the runtime first looked at the network without waiting (an `epoll_wait` for
    // every 8 KiB of a fast stream, a fifth of tail's CPU); a task it wakes just takes its turn.
    let tail = runtime.spawn(async move { run(client, request, options, &mut out, &stop).await });
    match runtime.block_on(tail) {
        Ok(code) => Ok(code),
        // A panic stays one (not an exit 1 that looks like a failure of the server's).
        Err(err) if err.is_panic() => std::panic::resume_unwind(err.into_panic()),
        Err(err) => Err(err).context("tail stopped"),
    }
}

/// Runs until the server says stop, the credentials are rejected, Ctrl-C, or (with `--once`) the
/// end of the first connection.
pub async fn run(
    client: reqwest::Client,
    mut request: Request,
    options: Options,
    out: &mut impl Write,
    stop: &stop::Stop,
) -> ExitCode {
    let once = options.once;
    let shown_url = request.url.as_ref().map(redacted_url).unwrap_or_default();
    let mut parser = Parser::new().with_last_event_id(&request.last_event_id);
    let mut backoff = Backoff::default();
    loop {
        let mut resume = request.last_event_id.clone();
        let ended = tokio::select! {
            ended = connect_and_read(&client, &request, &mut parser, &mut backoff, &mut resume, options, (&mut *out, stop)) => ended,
            () = stop.wait() => Ended::Stopped,
        };
        parser.reset_for_reconnect();
        request.last_event_id = resume;
        let wait = match ended {
            Ended::Stopped => {
                stop.last_words("stopped");
                return ExitCode::SUCCESS;
            }
            Ended::Clean => {
                // A POST's stream is a job's answer: sending it again would run the job again.
                if once || OnEnd::default_for(request.method) == OnEnd::Finish {
                    return ExitCode::SUCCESS;
                }
                say(&format!("the server closed the stream ({shown_url})"));
                backoff.next_delay(Instant::now(), fastrand::f64())
            }
            Ended::Failed(err) => {
                match backoff.after_failure(&err, Instant::now(), fastrand::f64()) {
                    AfterFailure::Stop => {
                        say(&err.to_string());
                        return ExitCode::SUCCESS;
                    }
                    AfterFailure::StopUntilCredentialsChange => {
                        return fail(&format!(
                            "{err}: the credentials were rejected; not retrying"
                        ));
                    }
                    AfterFailure::StopInvalid => return fail(&err.to_string()),
                    AfterFailure::Wait(_) if once => return fail(&err.to_string()),
                    AfterFailure::Wait(wait) => {
                        say(&err.to_string());
                        wait
                    }
                }
            }
            Ended::OutputClosed(words) => return fail(&words),
            Ended::Broken(words) => {
                // A POST is not sent again after it was answered: that would re-run the job.
                if once || OnEnd::default_for(request.method) == OnEnd::Finish {
                    return fail(&words);
                }
                say(&words);
                backoff.next_delay(Instant::now(), fastrand::f64())
            }
        };
        say(&format!("reconnecting in {}", human(wait)));
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            () = stop.wait() => {
                stop.last_words("stopped");
                return ExitCode::SUCCESS;
            }
        }
    }
}

enum Ended {
    /// Ctrl-C.
    Stopped,
    /// The server ended the body cleanly.
    Clean,
    /// The attempt did not get an event stream.
    Failed(ConnectError),
    /// The connection broke while reading.
    Broken(String),
    /// Nothing can be printed any more: reconnecting would not help.
    OutputClosed(String),
}

async fn connect_and_read(
    client: &reqwest::Client,
    request: &Request,
    parser: &mut Parser,
    backoff: &mut Backoff,
    resume: &mut String,
    options: Options,
    // Where the events go, and the Ctrl-C to look for between writes there.
    (out, stop): (&mut impl Write, &stop::Stop),
) -> Ended {
    let (json, idle) = (options.json, options.idle);
    // A server can accept the connection and never answer: the attempt is bounded like the
    // engine's (the client's own connect timeout covers only the TCP and TLS handshakes).
    let mut connection = match tokio::time::timeout(idle, Attempt::start(client, request)).await {
        Ok(Ok(connection)) => connection,
        Ok(Err(err)) => return Ended::Failed(err),
        Err(_) => {
            return Ended::Broken(format!(
                "no data for {} s: the server sent no response headers",
                idle.as_secs()
            ));
        }
    };
    backoff.connected(Instant::now());
    // One buffer for the output of every chunk (see json_line).
    let mut lines = crate::json_line::Lines::default();
    say(&format!("connected to {}", request.url.as_ref().map(redacted_url).unwrap_or_default()));
    let mut reader = Reader { request, parser, backoff, resume, json, lines: &mut lines };
    // Any chunk is life, a comment as much as an event: the watchdog of the engine, which
    // servers feed with `: keepalive` lines. One timer for the connection, moved on only when
    // it rings: a timeout of its own for each chunk was a twentieth of a fast stream's time.
    let mut heard = tokio::time::Instant::now();
    let watchdog = tokio::time::sleep(idle);
    tokio::pin!(watchdog);
    loop {
        let next = tokio::select! {
            biased;
            next = connection.chunk() => next,
            () = &mut watchdog => {
                let due = heard + idle;
                if tokio::time::Instant::now() < due {
                    watchdog.as_mut().reset(due);
                    continue;
                }
                return Ended::Broken(format!(
                    "no data for {} s (the connection seems dead)",
                    idle.as_secs()
                ));
            }
        };
        let chunk = match next {
            Ok(Some(chunk)) => chunk,
            Ok(None) => return Ended::Clean,
            Err(err) => return Ended::Broken(err.to_string()),
        };
        reader.lines.clear();
        reader.take(&chunk);
        // Chunks that have already arrived join this write, up to a bound: one write for what
        // a fast server sent meanwhile instead of one per network chunk. Nothing waits for
        // them, so an event is still printed as soon as it has arrived.
        let (mut ended, mut taken) = (None, chunk.len());
        while taken < JOIN_WRITES && reader.lines.as_bytes().len() < JOIN_WRITES {
            // The connection's task was woken when this one took the chunk but has not run
            // yet: going once to the back of the queue lets it hand over what it has read.
            Requeue::default().await;
            match ready_now(connection.chunk()) {
                None => break,
                Some(Ok(Some(chunk))) => {
                    taken += chunk.len();
                    reader.take(&chunk);
                }
                Some(Ok(None)) => ended = Some(Ended::Clean),
                Some(Err(err)) => ended = Some(Ended::Broken(err.to_string())),
            }
            if ended.is_some() {
                break;
            }
        }
        match write_lines(out, reader.lines.as_bytes(), stop) {
            Ok(Written::All) => {}
            Ok(Written::Stopped) => return Ended::Stopped,
            Err(err) => {
                // Ctrl-C in a terminal ends the pipeline's reader too: the write that fails
                // then is part of the stop, whichever of the two this thread sees first.
                let stopped = tokio::time::timeout(CTRL_C_WITH_READER, stop.wait()).await;
                if stopped.is_ok() {
                    return Ended::Stopped;
                }
                // stdout closed (a pipe into `head`, say): nothing more to do, ever.
                return Ended::OutputClosed(format!("cannot write the output: {err}"));
            }
        }
        if let Some(ended) = ended {
            return ended;
        }
        // Heard now: the time spent writing (to a paused pager, say) is not the server's
        // silence.
        heard = tokio::time::Instant::now();
    }
}

/// How long after a failed write a Ctrl-C still counts as its cause.
const CTRL_C_WITH_READER: Duration = Duration::from_millis(100);

/// Chunks that were already there are joined into one write up to this many bytes of them
/// and of output (more made no difference; the output's buffer stays small enough to be in
/// cache).
const JOIN_WRITES: usize = 64 * 1024;

/// Output goes out in writes of about this much, each ending at a line's end, so that Ctrl-C
/// can stop tail between two of them with no line cut short, even when the output is read
/// slowly (a write to a pipe lasts until its reader has taken all but the pipe's 64 KiB).
const PIECE: usize = 64 * 1024;

enum Written {
    All,
    /// Ctrl-C came first: what was written ends at a line's end.
    Stopped,
}

/// Writes `lines` in pieces of about `PIECE` bytes that end at a line's end (a longer line
/// goes whole), looking for Ctrl-C before each.
fn write_lines(out: &mut impl Write, lines: &[u8], stop: &stop::Stop) -> std::io::Result<Written> {
    let mut rest = lines;
    while !rest.is_empty() {
        if stop.asked() {
            return Ok(Written::Stopped);
        }
        let end = if rest.len() <= PIECE {
            rest.len()
        } else {
            match rest[..PIECE].iter().rposition(|&b| b == b'\n') {
                Some(at) => at + 1,
                None => rest[PIECE..]
                    .iter()
                    .position(|&b| b == b'\n')
                    .map_or(rest.len(), |at| PIECE + at + 1),
            }
        };
        out.write_all(&rest[..end])?;
        rest = &rest[end..];
    }
    out.flush()?;
    Ok(Written::All)
}

/// Goes to the back of the runtime's queue once, so the tasks woken meanwhile run first.
#[derive(Default)]
struct Requeue(bool);

impl std::future::Future for Requeue {
    type Output = ();
    fn poll(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<()> {
        if self.0 {
            return std::task::Poll::Ready(());
        }
        self.0 = true;
        cx.waker().wake_by_ref();
        std::task::Poll::Pending
    }
}

/// The future's result if it has one without waiting.
fn ready_now<F: std::future::Future>(future: F) -> Option<F::Output> {
    let mut future = std::pin::pin!(future);
    let mut context = std::task::Context::from_waker(std::task::Waker::noop());
    match future.as_mut().poll(&mut context) {
        std::task::Poll::Ready(output) => Some(output),
        std::task::Poll::Pending => None,
    }
}

/// What one connection's chunks go through.
struct Reader<'a> {
    request: &'a Request,
    parser: &'a mut Parser,
    backoff: &'a mut Backoff,
    resume: &'a mut String,
    json: bool,
    lines: &'a mut crate::json_line::Lines,
}

impl Reader<'_> {
    /// Parses a chunk into `lines`: JSON lines, or the readable form.
    fn take(&mut self, chunk: &[u8]) {
        let Self { request, backoff, resume, json, lines, .. } = self;
        self.parser.feed(chunk, &mut |item| match &item {
            Item::Event(event) => {
                // Progress is a new event: not a heartbeat (empty data), not the event it
                // resumed after sent again. A server that only pings or replays backs off.
                backoff.event(
                    !event.data.is_empty() && event.own_id != Some(request.last_event_id.as_str()),
                );
                // Where to resume: an id no header can carry (`id: bad\x01id`) leaves the last
                // one that can.
                if HeaderValue::from_str(event.last_event_id).is_ok() {
                    event.last_event_id.clone_into(resume);
                }
                if *json {
                    lines.push_event(event);
                } else {
                    print_event(lines, event);
                }
            }
            Item::Retry(ms) => backoff.set_retry(Duration::from_millis(*ms)),
            Item::EventTooLarge { limit } => {
                say(&format!("an event larger than {} was dropped", human_bytes(*limit)));
            }
            Item::Comment(_) => {}
        });
        // A block with no data (`id: 9`, or `id:` that clears it) and an event too large to
        // keep move the position too, and no event above showed them.
        let dispatched = self.parser.dispatched_id();
        if *self.resume != dispatched && HeaderValue::from_str(dispatched).is_ok() {
            dispatched.clone_into(self.resume);
        }
    }
}

fn print_event(out: &mut crate::json_line::Lines, event: &herald_sse::EventRef<'_>) {
    let event_type = escape(event.event_type);
    out.push_readable(format_args!("{event_type}"));
    if let Some(id) = event.own_id {
        out.push_readable(format_args!(" (id {})", escape(id)));
    }
    out.push_readable(format_args!("\n"));
    for line in event.data.split('\n') {
        out.push_readable(format_args!("  {}\n", escape(line)));
    }
}

/// Errors can quote the server (a status reason, a body), so they are escaped too.
fn say(words: &str) {
    crate::terminal_text::to_stderr(&format!("herald tail: {}\n", escape(words)));
}

fn fail(words: &str) -> ExitCode {
    say(words);
    ExitCode::FAILURE
}

fn human(d: Duration) -> String {
    if d >= Duration::from_secs(60) {
        format!("{} min {} s", d.as_secs() / 60, d.as_secs() % 60)
    } else {
        format!("{:.1} s", d.as_secs_f64())
    }
}

fn human_bytes(n: usize) -> String {
    if n >= 1024 * 1024 {
        format!("{} MiB", n / (1024 * 1024))
    } else {
        format!("{} KiB", n / 1024)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;
    use std::sync::{Arc, Mutex};

    /// Counts the writes it is given and keeps their bytes.
    #[derive(Clone, Default)]
    struct Counted(Arc<Mutex<(usize, Vec<u8>)>>);

    impl Write for Counted {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            let mut seen = self.0.lock().map_err(|_| std::io::Error::other("poisoned"))?;
            seen.0 += 1;
            seen.1.extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    /// A server that answers one request with `events` events, each a chunk of its own, all
    /// in one write: by the time tail reads, they have all arrived.
    fn one_write_server(events: usize) -> (String, std::thread::JoinHandle<()>) {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/", listener.local_addr().unwrap());
        let server = std::thread::spawn(move || {
            let (mut stream, _) = listener.accept().unwrap();
            let mut head = Vec::new();
            let mut byte = [0u8; 1024];
            while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                match stream.read(&mut byte) {
                    Ok(0) | Err(_) => return,
                    Ok(n) => head.extend_from_slice(&byte[..n]),
                }
            }
            let mut body = Vec::from(
                &b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\
                   Transfer-Encoding: chunked\r\n\r\n"[..],
            );
            for n in 0..events {
                let event = format!("data: event {n}\n\n");
                body.extend_from_slice(format!("{:x}\r\n{event}\r\n", event.len()).as_bytes());
            }
            body.extend_from_slice(b"0\r\n\r\n");
            stream.write_all(&body).unwrap();
        });
        (url, server)
    }

    #[test]
    fn chunks_that_have_already_arrived_are_printed_in_one_write() {
        let (url, server) = one_write_server(2_000);
        let out = Counted::default();
        let client = herald_sse::http_client(None).unwrap();
        let options = Options { once: true, json: true, idle: Duration::from_secs(30) };
        let code = run_on_runtime(client, Request::get(url.parse().unwrap()), options, out.clone())
            .unwrap();
        server.join().unwrap();
        assert_eq!(code, ExitCode::SUCCESS);
        let (writes, bytes) = &*out.0.lock().unwrap();
        let lines: Vec<&str> = std::str::from_utf8(bytes).unwrap().lines().collect();
        assert_eq!(lines.len(), 2_000, "every event is printed");
        assert!(lines[1_999].contains("event 1999"), "{}", lines[1_999]);
        // All 2,000 chunks (47 KB) were there at the first read: a write or two, not one per
        // chunk.
        assert!(*writes <= 20, "{writes} writes for 2,000 chunks");
    }
}
