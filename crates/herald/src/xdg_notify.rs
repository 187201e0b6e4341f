//! org.freedesktop.Notifications over one session-bus connection that lives as long as the
//! resident. notify-rust opens a new connection (socket, authentication, `Hello`, a pool
//! thread) for every notification, which was most of what a notification cost an idle
//! resident; the call itself is one message.

use std::collections::HashMap;
use std::sync::Mutex;

use zbus::blocking::Connection;
use zbus::zvariant::Value;

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

#[derive(Debug, Default)]
pub struct SessionBus {
    /// Connected at the first notification; dropped when a call fails, so that a restarted
    /// bus or notification service is found again at the next one.
    connection: Mutex<Option<Connection>>,
}

impl SessionBus {
    /// Shows `notice`; the server's id for it (what `ActionInvoked` names).
    pub fn notify(&self, notice: &Notice<'_>) -> zbus::Result<u32> {
        let mut slot = self.connection.lock().unwrap_or_else(|e| e.into_inner());
        let connection = match slot.as_ref() {
            Some(connection) => connection.clone(),
            None => slot.insert(Connection::session()?).clone(),
        };
        let mut hints: HashMap<&str, Value<'_>> = HashMap::new();
        hints.insert("urgency", Value::U8(notice.urgency));
        let reply = connection.call_method(
            Some("org.freedesktop.Notifications"),
            "/org/freedesktop/Notifications",
            Some("org.freedesktop.Notifications"),
            "Notify",
            &(
                "Herald",
                0u32,
                "herald-ui",
                notice.summary,
                notice.body,
                &notice.actions,
                hints,
                notice.expire_timeout,
            ),
        );
        match reply.and_then(|message| message.body().deserialize::<u32>()) {
            Ok(id) => Ok(id),
            Err(e) => {
                *slot = None;
                Err(e)
            }
        }
    }
}
