//! The X display as a user sees it: which top-level windows are mapped, with which titles, and
//! closing one the way a window manager's close button does (WM_DELETE_WINDOW).

use x11rb::connection::Connection;
use x11rb::protocol::xproto::{
    AtomEnum, ClientMessageEvent, ConnectionExt, EventMask, MapState, Window,
};
use x11rb::rust_connection::RustConnection;

pub struct Display {
    conn: RustConnection,
    root: Window,
}

impl Default for Display {
    fn default() -> Self {
        Self::open()
    }
}

impl Display {
    pub fn open() -> Self {
        let (conn, screen) = x11rb::connect(None).expect("connect to the X display");
        let root = conn.setup().roots[screen].root;
        Self { conn, root }
    }

    /// The mapped window titled exactly `title` that process `pid` owns, if there is one.
    pub fn window_of(&self, pid: u32, title: &str) -> Option<Window> {
        self.windows_titled(title)
            .into_iter()
            .find(|(_, owner)| *owner == Some(pid))
            .map(|(w, _)| w)
    }

    /// Mapped windows (anywhere in the tree) whose title is exactly `title`, with their pids.
    pub fn windows_titled(&self, title: &str) -> Vec<(Window, Option<u32>)> {
        let mut found = Vec::new();
        let mut stack = vec![self.root];
        while let Some(window) = stack.pop() {
            let Some(tree) = self.conn.query_tree(window).ok().and_then(|c| c.reply().ok()) else {
                continue;
            };
            for child in tree.children {
                stack.push(child);
                let mapped = self
                    .conn
                    .get_window_attributes(child)
                    .ok()
                    .and_then(|c| c.reply().ok())
                    .is_some_and(|a| a.map_state == MapState::VIEWABLE);
                if mapped && self.title(child).as_deref() == Some(title) {
                    found.push((child, self.pid(child)));
                }
            }
        }
        found
    }

    fn atom(&self, name: &str) -> u32 {
        self.conn.intern_atom(false, name.as_bytes()).expect("intern").reply().expect("atom").atom
    }

    fn title(&self, window: Window) -> Option<String> {
        let utf8 = self.atom("UTF8_STRING");
        let net_name = self.atom("_NET_WM_NAME");
        for (prop, kind) in [(net_name, utf8), (AtomEnum::WM_NAME.into(), AtomEnum::STRING.into())]
        {
            let reply =
                self.conn.get_property(false, window, prop, kind, 0, 1024).ok()?.reply().ok()?;
            if !reply.value.is_empty() {
                return Some(String::from_utf8_lossy(&reply.value).into_owned());
            }
        }
        None
    }

    fn pid(&self, window: Window) -> Option<u32> {
        let prop = self.atom("_NET_WM_PID");
        let reply = self
            .conn
            .get_property(false, window, prop, AtomEnum::CARDINAL, 0, 1)
            .ok()?
            .reply()
            .ok()?;
        reply.value32()?.next()
    }

    /// Asks the window to close, as a window manager's close button does.
    pub fn close(&self, window: Window) {
        let protocols = self.atom("WM_PROTOCOLS");
        let delete = self.atom("WM_DELETE_WINDOW");
        let event =
            ClientMessageEvent::new(32, window, protocols, [delete, x11rb::CURRENT_TIME, 0, 0, 0]);
        self.conn.send_event(false, window, EventMask::NO_EVENT, event).expect("send_event");
        self.conn.flush().expect("flush");
    }
}
