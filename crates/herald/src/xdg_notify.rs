//! org.freedesktop.Notifications over one session-bus connection that lives as long as the
//! resident, spoken on the notifications' own thread ([`wire`]): a notification is one message
//! written and one reply read. notify-rust opens a new connection (socket, authentication,
//! `Hello`, a pool thread) for every notification, and a zbus connection reads its replies on
//! two threads of its own; together that was most of what a notification cost a busy resident.
//! A session bus that is not a Unix socket (TCP: long deprecated, and unknown on desktops) is
//! refused in words: zbus's connection to one can wait for good.

mod wire;

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use zbus::message::Message;
use zbus::zvariant::Value;

use wire::Wire;
pub use wire::WireError;

/// One notification as the specification's `Notify` takes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice<'a> {
    pub summary: &'a str,
    /// Markup-escaped by the caller: servers read the body as markup.
    pub body: &'a str,
    /// Pairs of key and label, flattened as the specification wants them.
    pub actions: Vec<String>,
    /// 0 low, 1 normal, 2 critical.
    pub urgency: u8,
    /// Milliseconds; -1 is the server's default, 0 never.
    pub expire_timeout: i32,
}

#[derive(Debug)]
pub struct SessionBus {
    /// Connected at the first notification; dropped when a call fails (but for an error the
    /// service answered with), so that a restarted bus or notification service is found again
    /// at the next one.
    link: Mutex<Option<Wire>>,
    /// The bus's address; None: the session's (`DBUS_SESSION_BUS_ADDRESS`).
    address: Option<String>,
    /// How long a notification may take, from connecting to the service's answer.
    wait: Duration,
}

impl Default for SessionBus {
    fn default() -> Self {
        Self { link: Mutex::default(), address: None, wait: wire::REPLY_WAIT }
    }
}

const SERVICE: &str = "org.freedesktop.Notifications";
const PATH: &str = "/org/freedesktop/Notifications";

impl SessionBus {
    /// The bus at `address` rather than the session's, with calls that wait `wait`.
    #[cfg(test)]
    pub fn at(address: &str, wait: Duration) -> Self {
        Self { link: Mutex::default(), address: Some(address.to_owned()), wait }
    }

    /// Shows `notice`; the server's id for it (what `ActionInvoked` names).
    pub fn notify(&self, notice: &Notice<'_>) -> Result<u32, WireError> {
        // One wait for the whole notification: connecting, saying hello and the call.
        let deadline = Instant::now() + self.wait;
        let mut slot = self.link.lock().unwrap_or_else(|e| e.into_inner());
        let fresh = slot.is_none();
        let link = match slot.as_mut() {
            Some(link) => link,
            None => slot.insert(self.connect(deadline)?),
        };
        let shown = send(link, notice, deadline);
        match &shown {
            // The bus went away (restarted, or the session's bus was replaced) since the last
            // notification, before this one was sent: once more on a new connection.
            Err(WireError::Unsent(_)) if !fresh => {
                let link = slot.insert(self.connect(deadline)?);
                let again = send(link, notice, deadline);
                if again.as_ref().is_err_and(|e| !matches!(e, WireError::Remote { .. })) {
                    *slot = None;
                }
                again
            }
            Err(WireError::Remote { .. }) | Ok(_) => shown,
            Err(_) => {
                *slot = None;
                shown
            }
        }
    }

    fn connect(&self, deadline: Instant) -> Result<Wire, WireError> {
        let address = match &self.address {
            Some(address) => address.parse::<zbus::Address>()?,
            None => zbus::Address::session()?,
        };
        Wire::connect(address.transport(), deadline)
    }
}

/// Whether `name` has an owner on the session bus, asked on a connection of its own within
/// the notifier's wait (a bus that does not answer is a no).
pub fn name_has_owner(name: &str) -> Result<bool, WireError> {
    has_owner(&zbus::Address::session()?, name)
}

fn has_owner(address: &zbus::Address, name: &str) -> Result<bool, WireError> {
    let deadline = Instant::now() + wire::REPLY_WAIT;
    let mut wire = Wire::connect(address.transport(), deadline)?;
    let call = Message::method_call("/org/freedesktop/DBus", "NameHasOwner")?
        .destination("org.freedesktop.DBus")?
        .interface("org.freedesktop.DBus")?
        .build(&(name,))?;
    wire.call(&call, deadline)?.body::<bool>()
}

/// One `Notify` call on `wire`. D-Bus strings cannot hold NUL (the bus drops a connection that
/// sends one), and event text can: it goes as U+FFFD.
fn send(wire: &mut Wire, notice: &Notice<'_>, deadline: Instant) -> Result<u32, WireError> {
    let text = |s: &str| s.replace('\0', "\u{FFFD}");
    let mut hints: HashMap<&str, Value<'_>> = HashMap::new();
    hints.insert("urgency", Value::U8(notice.urgency));
    let actions: Vec<String> = notice.actions.iter().map(|a| text(a)).collect();
    let body = (
        "Herald",
        0u32,
        "herald-ui",
        text(notice.summary),
        text(notice.body),
        actions,
        hints,
        notice.expire_timeout,
    );
    let call = Message::method_call(PATH, "Notify")?
        .destination(SERVICE)?
        .interface(SERVICE)?
        .build(&body)?;
    wire.call(&call, deadline)?.body::<u32>()
}

#[cfg(test)]
#[path = "xdg_notify/tests.rs"]
mod tests;
