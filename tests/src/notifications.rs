//! A real org.freedesktop.Notifications service on the private session bus that records every
//! `Notify` call, as a desktop's notification daemon would receive it. One per test process
//! (only one can own the name); tests tell their notifications apart by feed name.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use zbus::zvariant::OwnedValue;

use crate::wait;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notify {
    /// The id the service answered with (what `ActionInvoked` refers to).
    pub id: u32,
    pub app_name: String,
    pub app_icon: String,
    pub summary: String,
    pub body: String,
    pub actions: Vec<String>,
    /// The `urgency` hint (0 low, 1 normal, 2 critical), if sent.
    pub urgency: Option<u8>,
    pub expire_timeout: i32,
}

#[derive(Clone, Default)]
struct Service {
    seen: Arc<Mutex<Vec<Notify>>>,
}

#[zbus::interface(name = "org.freedesktop.Notifications")]
impl Service {
    #[allow(clippy::too_many_arguments)]
    fn notify(
        &self,
        app_name: String,
        _replaces_id: u32,
        app_icon: String,
        summary: String,
        body: String,
        actions: Vec<String>,
        hints: HashMap<String, OwnedValue>,
        expire_timeout: i32,
    ) -> u32 {
        let urgency = hints.get("urgency").and_then(|v| u8::try_from(v).ok());
        let mut seen = self.seen.lock().expect("notifications");
        let id = seen.len() as u32 + 1;
        seen.push(Notify {
            id,
            app_name,
            app_icon,
            summary,
            body,
            actions,
            urgency,
            expire_timeout,
        });
        id
    }

    fn get_capabilities(&self) -> Vec<String> {
        vec!["body".into(), "body-markup".into(), "actions".into()]
    }

    fn get_server_information(&self) -> (String, String, String, String) {
        ("herald-test".into(), "herald".into(), "1".into(), "1.2".into())
    }

    fn close_notification(&self, _id: u32) {}
}

pub struct Recorder {
    service: Service,
    connection: zbus::blocking::Connection,
}

impl Notify {
    /// The action keys offered, without their labels.
    pub fn action_keys(&self) -> Vec<&str> {
        self.actions.iter().step_by(2).map(String::as_str).collect()
    }
}

impl Recorder {
    /// The process's recorder, started on first use.
    pub fn shared() -> &'static Recorder {
        static RECORDER: OnceLock<Recorder> = OnceLock::new();
        RECORDER.get_or_init(|| {
            let service = Service::default();
            let connection = zbus::blocking::connection::Builder::session()
                .and_then(|b| b.name("org.freedesktop.Notifications"))
                .and_then(|b| b.serve_at("/org/freedesktop/Notifications", service.clone()))
                .and_then(|b| b.build())
                .expect("own org.freedesktop.Notifications on the private session bus");
            Recorder { service, connection }
        })
    }

    pub fn all(&self) -> Vec<Notify> {
        self.service.seen.lock().expect("notifications").clone()
    }

    /// Notifications whose summary or body mentions `text`.
    pub fn about(&self, text: &str) -> Vec<Notify> {
        self.all()
            .into_iter()
            .filter(|n| n.summary.contains(text) || n.body.contains(text))
            .collect()
    }

    /// What a notification daemon sends when the user clicks an action.
    pub fn invoke(&self, id: u32, action_key: &str) {
        self.connection
            .emit_signal(
                None::<()>,
                "/org/freedesktop/Notifications",
                "org.freedesktop.Notifications",
                "ActionInvoked",
                &(id, action_key),
            )
            .expect("emit ActionInvoked");
    }

    pub fn wait_for(&self, what: &str, deadline: Duration, done: impl Fn(&[Notify]) -> bool) {
        wait::until(what, deadline, || done(&self.all()).then_some(()));
    }
}
