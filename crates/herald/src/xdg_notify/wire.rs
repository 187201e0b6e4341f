//! A D-Bus connection spoken on the caller's thread: one message written, its reply read from
//! the same socket, and nothing else running. zbus builds and reads the messages (its message
//! builder and zvariant); only the socket, the authentication and the wait for one reply are
//! here. A zbus connection reads its socket on threads of its own (its executor and async-io's
//! reactor), so that each call woke three threads; for the one call a notifier makes, again and
//! again, that was most of what a notification cost.

use std::io::{BufReader, Read, Write};
use std::os::unix::net::UnixStream;
use std::time::{Duration, Instant};

use zbus::address::transport::{Transport, UnixSocket};
use zbus::message::Message;
use zbus::zvariant::serialized::{Context, Data};
use zbus::zvariant::{Endian, Value};

/// How long a call waits for its reply. A notification service answers in milliseconds; one
/// that hangs must not hold the notifications for good (the connection is then dropped, and
/// the next notification connects again).
pub const REPLY_WAIT: Duration = Duration::from_secs(5);

/// The largest message read. The replies a notifier gets are a few dozen bytes; the bus's own
/// limit (128 MiB) is no bound for memory.
const MAX_MESSAGE: usize = 1 << 20;

/// Message types, as the specification numbers them.
const METHOD_RETURN: u8 = 2;
const ERROR: u8 = 3;

/// Header fields, as the specification numbers them.
const FIELD_ERROR_NAME: u8 = 4;
const FIELD_REPLY_SERIAL: u8 = 5;
const FIELD_SIGNATURE: u8 = 8;

#[derive(Debug, thiserror::Error)]
pub enum WireError {
    #[error("cannot reach the session bus: {0}")]
    Io(#[from] std::io::Error),
    /// The call could not be written: the bus never saw it (it went away), so it may be sent
    /// again on a new connection without showing twice.
    #[error("the session bus went away: {0}")]
    Unsent(std::io::Error),
    #[error("the notification service did not answer within {} s", REPLY_WAIT.as_secs())]
    NoAnswer,
    #[error("the session bus closed the connection")]
    Closed,
    #[error("the session bus refused Herald ({0})")]
    Refused(String),
    #[error("the session bus sent something that is not D-Bus ({0})")]
    Protocol(&'static str),
    #[error("the session bus is not a Unix socket ({0}); Herald's notifications need one")]
    NotUnix(String),
    #[error("{name}: {message}")]
    Remote { name: String, message: String },
    #[error("{0}")]
    Zbus(#[from] zbus::Error),
}

impl From<zbus::zvariant::Error> for WireError {
    fn from(e: zbus::zvariant::Error) -> Self {
        Self::Zbus(e.into())
    }
}

/// Connects to `address` by `deadline`. A blocking connect waits for good on a listener whose
/// queue is full (a bus that stopped accepting); without blocking, a full queue is "again",
/// tried every few milliseconds until the deadline.
fn connect_by(
    address: &rustix::net::SocketAddrUnix,
    deadline: Instant,
) -> Result<UnixStream, WireError> {
    use rustix::net::{AddressFamily, SocketFlags, SocketType};
    let flags = SocketFlags::CLOEXEC | SocketFlags::NONBLOCK;
    let socket = rustix::net::socket_with(AddressFamily::UNIX, SocketType::STREAM, flags, None)
        .map_err(std::io::Error::from)?;
    loop {
        match rustix::net::connect(&socket, address) {
            Ok(()) => break,
            Err(rustix::io::Errno::AGAIN | rustix::io::Errno::INTR) => {
                left(deadline)?;
                std::thread::sleep(Duration::from_millis(5));
            }
            Err(e) => return Err(std::io::Error::from(e).into()),
        }
    }
    let stream = UnixStream::from(socket);
    // Reads and writes wait with timeouts, set before each.
    stream.set_nonblocking(false)?;
    Ok(stream)
}

/// The time left until `deadline`; none left is no answer.
fn left(deadline: Instant) -> Result<Duration, WireError> {
    let left = deadline.saturating_duration_since(Instant::now());
    if left.is_zero() { Err(WireError::NoAnswer) } else { Ok(left) }
}

/// What a failed read means to whoever reads the log.
fn read_error(e: std::io::Error) -> WireError {
    match e.kind() {
        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut => WireError::NoAnswer,
        std::io::ErrorKind::UnexpectedEof => WireError::Closed,
        _ => WireError::Io(e),
    }
}

/// A reply: its body, read with [`Reply::body`].
#[derive(Debug)]
pub struct Reply {
    data: Data<'static, 'static>,
    body_start: usize,
    /// The body's signature as the message states it ("" for none).
    signature: String,
}

impl Reply {
    /// The body as a `T`, if that is what the message says it holds: bytes read as another
    /// type would give a wrong answer rather than an error (a string's length read as a
    /// notification's id).
    pub fn body<T>(&self) -> Result<T, WireError>
    where
        T: serde::de::DeserializeOwned + zbus::zvariant::Type,
    {
        if T::SIGNATURE.to_string() != self.signature {
            return Err(WireError::Protocol("a reply that does not hold what was asked for"));
        }
        Ok(self.data.slice(self.body_start..).deserialize::<T>()?.0)
    }
}

/// A bus connection read and written only by whoever holds it.
#[derive(Debug)]
pub struct Wire {
    reader: BufReader<UnixStream>,
    writer: UnixStream,
}

impl Wire {
    /// Connects to the bus at `transport`, a Unix socket (every desktop's session bus), and
    /// says hello by `deadline`.
    pub fn connect(transport: &Transport, deadline: Instant) -> Result<Self, WireError> {
        let Transport::Unix(unix) = transport else {
            return Err(WireError::NotUnix(transport.to_string()));
        };
        let address = match unix.path() {
            UnixSocket::File(path) => rustix::net::SocketAddrUnix::new(path.as_path()),
            #[cfg(target_os = "linux")]
            UnixSocket::Abstract(name) => {
                use std::os::unix::ffi::OsStrExt;
                rustix::net::SocketAddrUnix::new_abstract_name(name.as_bytes())
            }
            other => return Err(WireError::NotUnix(other.to_string())),
        };
        let address = address.map_err(std::io::Error::from)?;
        Self::start(connect_by(&address, deadline)?, deadline)
    }

    /// Authenticates as this process's user and says `Hello`, as every bus wants first.
    fn start(stream: UnixStream, deadline: Instant) -> Result<Self, WireError> {
        let writer = stream.try_clone()?;
        let mut wire = Self { reader: BufReader::new(stream), writer };
        let uid = rustix::process::geteuid().as_raw().to_string();
        let hex: String = uid.bytes().map(|b| format!("{b:02x}")).collect();
        wire.write_by(format!("\0AUTH EXTERNAL {hex}\r\n").as_bytes(), deadline)?;
        // A line of at most a few hundred bytes: `OK <guid>` or `REJECTED <mechanisms>`.
        let mut answer = Vec::new();
        while !answer.ends_with(b"\n") && answer.len() < 512 {
            let mut byte = [0u8];
            wire.read_by(&mut byte, deadline)?;
            answer.push(byte[0]);
        }
        let answer = String::from_utf8_lossy(&answer);
        if !answer.starts_with("OK ") {
            return Err(WireError::Refused(answer.trim().chars().take(200).collect()));
        }
        wire.write_by(b"BEGIN\r\n", deadline)?;
        let hello = Message::method_call("/org/freedesktop/DBus", "Hello")?
            .destination("org.freedesktop.DBus")?
            .interface("org.freedesktop.DBus")?
            .build(&())?;
        wire.call(&hello, deadline)?;
        Ok(wire)
    }

    fn write_by(&mut self, bytes: &[u8], deadline: Instant) -> Result<(), WireError> {
        self.writer.set_write_timeout(Some(left(deadline)?))?;
        Ok(self.writer.write_all(bytes)?)
    }

    /// Fills `buf` by `deadline`, however the bytes come (all at once, or one at a time just
    /// within each read's timeout).
    fn read_by(&mut self, mut buf: &mut [u8], deadline: Instant) -> Result<(), WireError> {
        while !buf.is_empty() {
            self.reader.get_ref().set_read_timeout(Some(left(deadline)?))?;
            match self.reader.read(buf) {
                Ok(0) => return Err(WireError::Closed),
                Ok(n) => buf = &mut buf[n..],
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(read_error(e)),
            }
        }
        Ok(())
    }

    /// Sends `call` and waits for its reply until `deadline`, however the bus sends it (other
    /// messages first, or a byte at a time); messages for anything else (the bus's
    /// `NameAcquired`, a late reply to a call that timed out) are read and dropped.
    pub fn call(&mut self, call: &Message, deadline: Instant) -> Result<Reply, WireError> {
        let serial = call.primary_header().serial_num().get();
        self.writer.set_write_timeout(Some(left(deadline)?))?;
        self.writer.write_all(call.data().bytes()).map_err(WireError::Unsent)?;
        loop {
            let received = self.read_message(deadline)?;
            if received.reply_serial != Some(serial) {
                continue;
            }
            match received.kind {
                METHOD_RETURN => return Ok(received.reply),
                ERROR => {
                    // The error's text is its body's first string, when it has one.
                    let message = received.reply.body::<String>().unwrap_or_default();
                    return Err(WireError::Remote {
                        name: received.error_name.unwrap_or_else(|| "an error".into()),
                        message: message.chars().take(300).collect(),
                    });
                }
                _ => continue,
            }
        }
    }

    /// One whole message.
    fn read_message(&mut self, deadline: Instant) -> Result<Received, WireError> {
        let mut fixed = [0u8; 16];
        self.read_by(&mut fixed, deadline)?;
        let endian = match fixed[0] {
            b'l' => Endian::Little,
            b'B' => Endian::Big,
            _ => return Err(WireError::Protocol("a message with no byte order")),
        };
        let number = |at: usize| {
            let bytes = [fixed[at], fixed[at + 1], fixed[at + 2], fixed[at + 3]];
            let n = match endian {
                Endian::Little => u32::from_le_bytes(bytes),
                Endian::Big => u32::from_be_bytes(bytes),
            };
            usize::try_from(n).unwrap_or(usize::MAX)
        };
        let (body_len, fields_len) = (number(4), number(12));
        // The fields end padded to 8 bytes, where the body starts.
        let body_start = 16usize.saturating_add(fields_len).saturating_add(7) & !7;
        let total = body_start.saturating_add(body_len);
        if total > MAX_MESSAGE {
            return Err(WireError::Protocol("a message larger than any reply to Herald"));
        }
        let mut bytes = vec![0u8; total];
        bytes[..16].copy_from_slice(&fixed);
        self.read_by(&mut bytes[16..], deadline)?;
        let data = Data::new(bytes, Context::new_dbus(endian, 0));
        let (kind, reply_serial, error_name, signature) = {
            type Header<'h> = (u8, u8, u8, u8, u32, u32, Vec<(u8, Value<'h>)>);
            let ((_, kind, _, _, _, _, fields), _) = data.deserialize::<Header<'_>>()?;
            let (mut reply_serial, mut error_name, mut signature) = (None, None, String::new());
            for (code, value) in fields {
                match (code, value) {
                    (FIELD_REPLY_SERIAL, Value::U32(n)) => reply_serial = Some(n),
                    (FIELD_ERROR_NAME, Value::Str(s)) => error_name = Some(s.to_string()),
                    (FIELD_SIGNATURE, Value::Signature(s)) => signature = s.to_string(),
                    _ => {}
                }
            }
            (kind, reply_serial, error_name, signature)
        };
        let reply = Reply { data, body_start, signature };
        Ok(Received { kind, reply_serial, error_name, reply })
    }
}

struct Received {
    kind: u8,
    reply_serial: Option<u32>,
    error_name: Option<String>,
    reply: Reply,
}
