//! The notifier's connection against a real bus: a private `dbus-daemon` per test with a
//! notification service (zbus's object server) on it, stopped, restarted or replaced by one
//! that never answers.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use zbus::zvariant::OwnedValue;

use super::*;

/// A bus of its own at a fixed path, so that it can be restarted where clients look for it.
struct Bus {
    daemon: Child,
    address: String,
    dir: tempfile::TempDir,
}

impl Bus {
    fn start() -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let (daemon, address) = daemon_at(dir.path());
        Self { daemon, address, dir }
    }

    /// Stops the bus (every connection to it closes) and starts it again at the same path.
    fn restart(&mut self) {
        self.daemon.kill().expect("kill");
        self.daemon.wait().expect("wait");
        let _ = std::fs::remove_file(self.dir.path().join("bus"));
        let (daemon, address) = daemon_at(self.dir.path());
        self.daemon = daemon;
        self.address = address;
    }
}

impl Drop for Bus {
    fn drop(&mut self) {
        let _ = self.daemon.kill();
        let _ = self.daemon.wait();
    }
}

/// A session bus with nothing to start on demand: the machine's own configuration would
/// start whatever notification daemon is installed when a call finds none.
const CONFIG: &str = r#"<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:tmpdir=/tmp</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>"#;

fn daemon_at(dir: &std::path::Path) -> (Child, String) {
    let config = dir.join("bus.conf");
    std::fs::write(&config, CONFIG).expect("bus configuration");
    let mut daemon = Command::new("dbus-daemon")
        .args(["--nofork", "--print-address=1"])
        .arg(format!("--config-file={}", config.display()))
        .arg(format!("--address=unix:path={}", dir.join("bus").display()))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("dbus-daemon (package dbus) runs");
    // Printed once it listens.
    let mut address = String::new();
    BufReader::new(daemon.stdout.take().expect("stdout"))
        .read_line(&mut address)
        .expect("the bus's address");
    (daemon, address.trim().to_owned())
}

#[derive(Debug, Clone, PartialEq)]
struct Seen {
    app_name: String,
    summary: String,
    body: String,
    actions: Vec<String>,
    urgency: Option<u8>,
    expire_timeout: i32,
}

#[derive(Clone, Default)]
struct Service {
    seen: Arc<Mutex<Vec<Seen>>>,
}

#[zbus::interface(name = "org.freedesktop.Notifications")]
impl Service {
    #[allow(clippy::too_many_arguments)]
    fn notify(
        &self,
        app_name: String,
        _replaces_id: u32,
        _app_icon: String,
        summary: String,
        body: String,
        actions: Vec<String>,
        hints: HashMap<String, OwnedValue>,
        expire_timeout: i32,
    ) -> zbus::fdo::Result<u32> {
        if summary == "refused" {
            return Err(zbus::fdo::Error::Failed("this service takes no such thing".into()));
        }
        let urgency = hints.get("urgency").and_then(|v| u8::try_from(v).ok());
        let mut seen = self.seen.lock().expect("seen");
        seen.push(Seen { app_name, summary, body, actions, urgency, expire_timeout });
        // Not 1, 2, ...: the id must be the service's, read from its answer.
        Ok(40 + seen.len() as u32)
    }
}

fn serve(address: &str, service: &Service) -> zbus::blocking::Connection {
    zbus::blocking::connection::Builder::address(address)
        .and_then(|b| b.name(SERVICE))
        .and_then(|b| b.serve_at(PATH, service.clone()))
        .and_then(|b| b.build())
        .expect("the notification service")
}

/// A bus of our own making at a path of its own: accepts one client, reads its
/// authentication, then does `behave`; the address for a notifier, and the thread.
fn fake_bus<T: Send + 'static>(
    behave: impl FnOnce(&mut std::os::unix::net::UnixStream) -> T + Send + 'static,
) -> (tempfile::TempDir, String, std::thread::JoinHandle<T>) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("bus");
    let listener = std::os::unix::net::UnixListener::bind(&path).expect("listen");
    let bus = std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().expect("accept");
        let mut auth = [0u8; 256];
        let _ = stream.read(&mut auth).expect("auth");
        behave(&mut stream)
    });
    (dir, format!("unix:path={}", path.display()), bus)
}

/// The answer to the authentication that a bus gives.
const OK: &[u8] = b"OK 0123456789abcdef0123456789abcdef\r\n";

fn notice(summary: &str) -> Notice<'_> {
    Notice {
        summary,
        body: "deploy &lt;42&gt; is live",
        actions: vec!["default".into(), "Open".into()],
        urgency: 2,
        expire_timeout: 0,
    }
}

/// Runs `f` on a thread, failing the test if it takes longer than `limit`: a call that hangs
/// must fail the test, not hold it.
fn within<T: Send + 'static>(limit: Duration, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(limit).expect("the call hung")
}

#[test]
fn notifications_reach_the_service_whole_and_its_ids_come_back() {
    let bus = Bus::start();
    let service = Service::default();
    let _served = serve(&bus.address, &service);
    let notifier = SessionBus::at(&bus.address, Duration::from_secs(10));
    assert_eq!(notifier.notify(&notice("first")).expect("shown"), 41);
    assert_eq!(notifier.notify(&notice("second")).expect("shown"), 42);
    let seen = service.seen.lock().expect("seen").clone();
    let expected = |summary: &str| Seen {
        app_name: "Herald".into(),
        summary: summary.into(),
        body: "deploy &lt;42&gt; is live".into(),
        actions: vec!["default".into(), "Open".into()],
        urgency: Some(2),
        expire_timeout: 0,
    };
    assert_eq!(seen, vec![expected("first"), expected("second")]);
}

#[test]
fn an_error_from_the_service_is_reported_in_its_words_and_the_next_one_shows() {
    let bus = Bus::start();
    let service = Service::default();
    let _served = serve(&bus.address, &service);
    let notifier = SessionBus::at(&bus.address, Duration::from_secs(10));
    let refused = notifier.notify(&notice("refused")).expect_err("the service refused it");
    let said = refused.to_string();
    assert!(
        said.contains("org.freedesktop.DBus.Error.Failed")
            && said.contains("this service takes no such thing"),
        "{said}"
    );
    assert_eq!(notifier.notify(&notice("next")).expect("shown"), 41);
}

#[test]
fn with_no_notification_service_the_bus_says_so_at_once() {
    let bus = Bus::start();
    let notifier = SessionBus::at(&bus.address, Duration::from_secs(10));
    let missing = within(Duration::from_secs(8), move || notifier.notify(&notice("alone")));
    let said = missing.expect_err("nobody to show it").to_string();
    assert!(said.contains("ServiceUnknown"), "{said}");
}

#[test]
fn a_service_that_never_answers_costs_one_wait_and_is_left_for_a_working_one() {
    let bus = Bus::start();
    // Owns the service's name and reads nothing: calls to it stay unanswered.
    let address: zbus::Address = bus.address.parse().expect("address");
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let mut silent = Wire::connect(address.transport(), deadline).expect("connected");
    let request = Message::method_call("/org/freedesktop/DBus", "RequestName")
        .and_then(|m| m.destination("org.freedesktop.DBus"))
        .and_then(|m| m.interface("org.freedesktop.DBus"))
        .and_then(|m| m.build(&(SERVICE, 4u32)))
        .expect("message");
    assert_eq!(silent.call(&request, deadline).and_then(|r| r.body::<u32>()).expect("name"), 1);

    let notifier = Arc::new(SessionBus::at(&bus.address, Duration::from_millis(300)));
    let shared = notifier.clone();
    let hung = within(Duration::from_secs(8), move || shared.notify(&notice("lost")));
    assert!(matches!(hung, Err(WireError::NoAnswer)), "expected no answer, got {hung:?}");
    drop(silent);
    let service = Service::default();
    let _served = serve(&bus.address, &service);
    let shared = notifier.clone();
    let shown = within(Duration::from_secs(8), move || shared.notify(&notice("found")));
    assert_eq!(shown.expect("shown by the working service"), 41);
    assert_eq!(service.seen.lock().expect("seen").len(), 1);
}

#[test]
fn a_restarted_bus_is_found_again_without_losing_a_notification() {
    let mut bus = Bus::start();
    let service = Service::default();
    let served = serve(&bus.address, &service);
    let notifier = SessionBus::at(&bus.address, Duration::from_secs(10));
    assert_eq!(notifier.notify(&notice("before")).expect("shown"), 41);
    drop(served);
    bus.restart();
    let again = Service::default();
    let _served = serve(&bus.address, &again);
    assert_eq!(notifier.notify(&notice("after")).expect("shown after the restart"), 41);
    let seen = again.seen.lock().expect("seen");
    assert_eq!(seen.iter().map(|s| s.summary.as_str()).collect::<Vec<_>>(), ["after"]);
}

/// A bus that answers the authentication, then announces a message of 4 GiB.
#[test]
fn a_bus_that_announces_a_huge_message_is_left_before_memory_is_taken() {
    let (_dir, address, fake) = fake_bus(|stream| {
        stream.write_all(OK).expect("ok");
        // BEGIN and Hello.
        let mut line = [0u8; 256];
        let _ = stream.read(&mut line).expect("hello");
        let mut header = vec![b'l', 2, 0, 1];
        header.extend_from_slice(&0xFFFF_FFF0u32.to_le_bytes());
        header.extend_from_slice(&1u32.to_le_bytes());
        header.extend_from_slice(&0u32.to_le_bytes());
        stream.write_all(&header).expect("header");
        // Held open, the rest never sent: the client must leave, not wait for it.
        while matches!(stream.read(&mut line), Ok(n) if n > 0) {}
    });
    let notifier = SessionBus::at(&address, Duration::from_secs(10));
    let refused = within(Duration::from_secs(8), move || notifier.notify(&notice("big")));
    assert!(
        matches!(refused, Err(WireError::Protocol(_))),
        "expected a protocol error, got {refused:?}"
    );
    fake.join().expect("fake bus");
}

/// A service whose answer is not an id (a string here) is an error, not a wrong id: the id is
/// what a click on the notification is matched by.
#[test]
fn an_answer_that_is_not_an_id_is_an_error_not_a_wrong_id() {
    struct Odd;
    #[zbus::interface(name = "org.freedesktop.Notifications")]
    impl Odd {
        #[allow(clippy::too_many_arguments)]
        fn notify(
            &self,
            _app_name: String,
            _replaces_id: u32,
            _app_icon: String,
            _summary: String,
            _body: String,
            _actions: Vec<String>,
            _hints: HashMap<String, OwnedValue>,
            _expire_timeout: i32,
        ) -> String {
            "forty-two".into()
        }
    }
    let bus = Bus::start();
    let _served = zbus::blocking::connection::Builder::address(bus.address.as_str())
        .and_then(|b| b.name(SERVICE))
        .and_then(|b| b.serve_at(PATH, Odd))
        .and_then(|b| b.build())
        .expect("the odd service");
    let notifier = SessionBus::at(&bus.address, Duration::from_secs(10));
    let answer = notifier.notify(&notice("odd"));
    assert!(matches!(answer, Err(WireError::Protocol(_))), "{answer:?}");
}

/// A bus that sends message after message but never the reply: the wait is for the reply, so
/// the call ends when it is over, however busy the bus.
#[test]
fn a_bus_that_talks_but_never_replies_is_left_after_one_wait() {
    let (_dir, address, chatter) = fake_bus(|stream| {
        stream.write_all(OK).expect("ok");
        let mut line = [0u8; 256];
        let _ = stream.read(&mut line).expect("hello");
        let signal = Message::signal("/chatter", "org.example.Chatter", "Said")
            .and_then(|m| m.build(&("more",)))
            .expect("signal");
        // Until the client leaves (bounded: a client that never left fails `within` below).
        for _ in 0..100_000 {
            if stream.write_all(signal.data().bytes()).is_err() {
                break;
            }
            std::thread::sleep(Duration::from_millis(2));
        }
    });
    let notifier = SessionBus::at(&address, Duration::from_millis(300));
    let answer = within(Duration::from_secs(8), move || notifier.notify(&notice("unheard")));
    assert!(matches!(answer, Err(WireError::NoAnswer)), "expected no answer, got {answer:?}");
    chatter.join().expect("chatter");
}

/// A bus that answers the authentication a byte at a time, each just within a read's
/// timeout: the wait is for the whole answer.
#[test]
fn a_bus_that_answers_a_byte_at_a_time_is_left_after_one_wait() {
    let (_dir, address, slow) = fake_bus(|stream| {
        for byte in OK.repeat(10) {
            if stream.write_all(&[byte]).is_err() {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    });
    let notifier = SessionBus::at(&address, Duration::from_millis(300));
    let answer = within(Duration::from_secs(8), move || notifier.notify(&notice("slow")));
    assert!(matches!(answer, Err(WireError::NoAnswer)), "expected no answer, got {answer:?}");
    slow.join().expect("slow bus");
}

/// Event text with a NUL, which no D-Bus string may hold (the bus drops a connection that
/// sends one): shown with U+FFFD in its place, on the same connection as the next one.
#[test]
fn a_nul_in_the_text_is_shown_as_a_replacement_character() {
    let bus = Bus::start();
    let service = Service::default();
    let _served = serve(&bus.address, &service);
    let notifier = SessionBus::at(&bus.address, Duration::from_secs(10));
    let mut nul = notice("a\0b");
    nul.body = "c\0d";
    nul.actions = vec!["default".into(), "O\0pen".into()];
    assert_eq!(notifier.notify(&nul).expect("shown"), 41);
    assert_eq!(notifier.notify(&notice("next")).expect("shown"), 42);
    let seen = service.seen.lock().expect("seen");
    assert_eq!(seen[0].summary, "a\u{FFFD}b");
    assert_eq!(seen[0].body, "c\u{FFFD}d");
    assert_eq!(seen[0].actions, ["default", "O\u{FFFD}pen"]);
}

/// A session bus over TCP: refused in words, at once (a connection to one can wait for good).
#[test]
fn a_bus_that_is_not_a_unix_socket_is_refused_in_words() {
    let notifier = SessionBus::at("tcp:host=127.0.0.1,port=9,family=ipv4", Duration::from_secs(10));
    let refused = within(Duration::from_secs(8), move || notifier.notify(&notice("tcp")));
    match refused {
        Err(e @ WireError::NotUnix(_)) => assert!(e.to_string().contains("Unix socket"), "{e}"),
        other => panic!("expected a refusal, got {other:?}"),
    }
}

/// Connecting, saying hello and the call share one wait: a bus that answers each step a
/// little within the wait cannot stretch a notification to several waits.
#[test]
fn one_wait_covers_connecting_saying_hello_and_the_call() {
    let drip = |stream: &mut std::os::unix::net::UnixStream, bytes: &[u8]| {
        // 0.8 s for the whole of `bytes`, whatever its length.
        let pause = Duration::from_millis(800) / bytes.len() as u32;
        for byte in bytes {
            stream.write_all(&[*byte])?;
            std::thread::sleep(pause);
        }
        Ok::<(), std::io::Error>(())
    };
    let (_dir, address, bus) = fake_bus(move |stream| {
        drip(stream, OK).expect("auth answer");
        // BEGIN, then Hello, whose serial the reply names.
        let (mut got, mut seen) = ([0u8; 512], Vec::new());
        while seen.len() < 7 + 16 {
            let n = stream.read(&mut got).expect("hello");
            assert!(n > 0, "the client left before its hello");
            seen.extend_from_slice(&got[..n]);
        }
        let serial = &seen[7 + 8..7 + 12];
        // A method return with no body: its only header field the reply serial.
        let mut reply = vec![b'l', 2, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 8, 0, 0, 0, 5, 1, b'u', 0];
        reply.extend_from_slice(serial);
        // Whether the client still listened to the whole reply.
        drip(stream, &reply).is_ok()
    });
    let notifier = SessionBus::at(&address, Duration::from_secs(1));
    let answer = within(Duration::from_secs(8), move || notifier.notify(&notice("late")));
    assert!(matches!(answer, Err(WireError::NoAnswer)), "expected no answer, got {answer:?}");
    assert!(!bus.join().expect("bus"), "the client waited past its one wait for the hello");
}

/// The tray asks whether a tray host owns its name this way, on the notifier's kind of
/// connection (a bus that does not answer cannot hold the tray).
#[test]
fn whether_a_name_has_an_owner_is_the_bus_s_answer() {
    let bus = Bus::start();
    let address: zbus::Address = bus.address.parse().expect("address");
    assert!(!has_owner(&address, SERVICE).expect("asked"), "owned before anyone served it");
    let _served = serve(&bus.address, &Service::default());
    assert!(has_owner(&address, SERVICE).expect("asked"));
    assert!(!has_owner(&address, "org.example.Nobody").expect("asked"));
}

/// A bus whose listener stopped accepting, its queue full: the connect gives up at the wait
/// (a blocking connect waits for good).
#[test]
fn a_bus_that_no_longer_accepts_is_left_after_one_wait() {
    use rustix::net::{AddressFamily, SocketAddrUnix, SocketType};
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("bus");
    let address = SocketAddrUnix::new(path.as_path()).expect("address");
    let listener =
        rustix::net::socket(AddressFamily::UNIX, SocketType::STREAM, None).expect("socket");
    rustix::net::bind(&listener, &address).expect("bind");
    rustix::net::listen(&listener, 0).expect("listen");
    // Fill the queue: nobody accepts.
    let mut queued = Vec::new();
    let mut tries = 0;
    loop {
        let socket = rustix::net::socket_with(
            AddressFamily::UNIX,
            SocketType::STREAM,
            rustix::net::SocketFlags::NONBLOCK,
            None,
        )
        .expect("socket");
        tries += 1;
        assert!(tries < 1000, "the listener's queue never filled");
        match rustix::net::connect(&socket, &address) {
            Ok(()) => queued.push(socket),
            Err(_) => break,
        }
    }
    let notifier =
        SessionBus::at(&format!("unix:path={}", path.display()), Duration::from_millis(300));
    let answer = within(Duration::from_secs(8), move || notifier.notify(&notice("queued")));
    assert!(matches!(answer, Err(WireError::NoAnswer)), "expected no answer, got {answer:?}");
    drop(listener);
}
