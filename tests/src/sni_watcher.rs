//! A StatusNotifierWatcher, the registry a desktop's tray host runs (KDE's, or GNOME's
//! AppIndicator extension): it records which tray items register with it.

use std::sync::{Arc, Mutex};

#[derive(Clone, Default)]
struct Watcher {
    items: Arc<Mutex<Vec<String>>>,
}

#[zbus::interface(name = "org.kde.StatusNotifierWatcher")]
impl Watcher {
    fn register_status_notifier_item(&self, service: String) {
        self.items.lock().expect("items").push(service);
    }

    fn register_status_notifier_host(&self, _service: String) {}

    #[zbus(property)]
    fn registered_status_notifier_items(&self) -> Vec<String> {
        self.items.lock().expect("items").clone()
    }

    #[zbus(property)]
    fn is_status_notifier_host_registered(&self) -> bool {
        true
    }

    #[zbus(property)]
    fn protocol_version(&self) -> i32 {
        0
    }
}

pub struct SniWatcher {
    watcher: Watcher,
    _connection: zbus::blocking::Connection,
}

impl SniWatcher {
    /// Takes the watcher's name on the bus at `address`.
    pub fn start(address: &str) -> Self {
        let watcher = Watcher::default();
        let connection = zbus::blocking::connection::Builder::address(address)
            .and_then(|b| b.name("org.kde.StatusNotifierWatcher"))
            .and_then(|b| b.serve_at("/StatusNotifierWatcher", watcher.clone()))
            .and_then(|b| b.build())
            .expect("own org.kde.StatusNotifierWatcher");
        Self { watcher, _connection: connection }
    }

    /// The items that registered so far (bus names or paths).
    pub fn items(&self) -> Vec<String> {
        self.watcher.items.lock().expect("items").clone()
    }
}
