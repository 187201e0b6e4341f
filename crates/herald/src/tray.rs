//! The tray icon and its menu. tray-icon gives one API on every platform: on Linux its `ksni`
//! backend is a pure D-Bus StatusNotifierItem (no GTK, so the resident stays a few MB); on
//! Windows and macOS its native backends. What it shows comes from [`TrayModel`]; a click sends
//! the item's [`Action`] to the resident.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use anyhow::Context;
use tray_icon::menu::{
    CheckMenuItem, IsMenuItem, Menu, MenuEvent, MenuId, MenuItem, PredefinedMenuItem, Submenu,
};
use tray_icon::{Icon, MouseButton, MouseButtonState, TrayIcon, TrayIconBuilder, TrayIconEvent};

use crate::event_loop::{Request, Requests};
use crate::tray_model::{Action, Entry, TrayLook, TrayModel};

type Actions = Arc<Mutex<HashMap<MenuId, Action>>>;

/// What the icon shows, part by part: each is sent to the desktop only when it changed. A new
/// event changes the unread count in the tooltip, not the menu, whose rebuild (dozens of items,
/// each a message to the tray's thread) was most of what a busy resident's main thread did.
pub struct Tray {
    icon: TrayIcon,
    actions: Actions,
    look: TrayLook,
    tooltip: String,
    menu: Vec<Entry>,
}

impl std::fmt::Debug for Tray {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Tray")
    }
}

fn png(look: TrayLook) -> &'static [u8] {
    match look {
        TrayLook::Normal => include_bytes!("../../../icons/tray/normal.png"),
        TrayLook::Attention => include_bytes!("../../../icons/tray/attention.png"),
        TrayLook::Unread => include_bytes!("../../../icons/tray/unread.png"),
        TrayLook::Paused => include_bytes!("../../../icons/tray/paused.png"),
    }
}

impl Tray {
    /// Publishes the icon showing `model`.
    pub fn start(requests: Requests, model: &TrayModel) -> anyhow::Result<Self> {
        let actions: Actions = Arc::default();
        let menu_actions = actions.clone();
        let menu_requests = requests.clone();
        MenuEvent::set_event_handler(Some(move |event: MenuEvent| {
            let action =
                menu_actions.lock().unwrap_or_else(|p| p.into_inner()).get(&event.id).cloned();
            // Only answer the click here: the resident's own thread does the work, so a Quit
            // still replies to the D-Bus call before the process goes.
            if let Some(action) = action {
                menu_requests.send(Request::Tray(action));
            }
        }));
        TrayIconEvent::set_event_handler(Some(move |event: TrayIconEvent| {
            if let TrayIconEvent::Click {
                button: MouseButton::Left,
                button_state: MouseButtonState::Up,
                ..
            } = event
            {
                requests.send(Request::Tray(Action::OpenHistory));
            }
        }));
        let (look, tooltip, menu) = (model.look(), model.tooltip(), model.menu());
        let icon = TrayIconBuilder::new()
            .with_id("herald")
            .with_title("Herald")
            .with_tooltip(&tooltip)
            .with_icon(decode_icon(look)?)
            .with_menu(Box::new(build_menu(&menu, &actions)?))
            .build()
            .context("cannot create the tray icon")?;
        tracing::info!("tray icon ready");
        Ok(Self { icon, actions, look, tooltip, menu })
    }

    /// The menu is sent again at the next [`Tray::show`], even if its entries did not change:
    /// after a click, a check item has toggled itself in the desktop's copy, and must show the
    /// store's answer (a failed "Do not disturb" stays unchecked).
    pub fn clicked(&mut self) {
        self.menu.clear();
    }

    /// Shows `model`: the icon, tooltip and menu that differ from what is shown.
    pub fn show(&mut self, model: &TrayModel) -> anyhow::Result<()> {
        let look = model.look();
        if self.look != look {
            self.icon.set_icon(Some(decode_icon(look)?)).context("cannot change the tray icon")?;
            self.look = look;
        }
        let tooltip = model.tooltip();
        if self.tooltip != tooltip {
            self.icon.set_tooltip(Some(&tooltip)).context("cannot set the tooltip")?;
            self.tooltip = tooltip;
        }
        let menu = model.menu();
        if self.menu != menu {
            self.icon.set_menu(Some(Box::new(build_menu(&menu, &self.actions)?)));
            self.menu = menu;
        }
        Ok(())
    }
}

/// Whether the desktop shows tray icons: on Linux, whether a StatusNotifierWatcher (the tray
/// host's registry) is on the session bus. GNOME without the AppIndicator extension and bare X
/// sessions have none; the icon then exists on the bus but nobody shows it.
#[cfg(all(unix, not(target_os = "macos")))]
pub fn host_present() -> bool {
    // Asked within the notifier's wait: a bus that does not answer must not hold the tray.
    // Without an answer nothing is known, and nothing is said.
    crate::xdg_notify::name_has_owner("org.kde.StatusNotifierWatcher").unwrap_or_else(|e| {
        tracing::debug!("cannot ask whether a tray host is there: {e}");
        true
    })
}

#[cfg(not(all(unix, not(target_os = "macos"))))]
pub fn host_present() -> bool {
    true
}

/// Says [`NO_HOST`] in a notification, over the notifier's kind of connection: within its
/// wait, so that a bus that does not answer cannot hold the tray's start.
#[cfg(all(unix, not(target_os = "macos")))]
pub fn say_no_host() {
    let notice = crate::xdg_notify::Notice {
        summary: "Herald is running without a tray icon",
        body: NO_HOST,
        actions: Vec::new(),
        urgency: 1,
        expire_timeout: -1,
    };
    if let Err(e) = crate::xdg_notify::SessionBus::default().notify(&notice) {
        tracing::debug!("cannot say so in a notification: {e}");
    }
}

/// Elsewhere the tray is always shown (see [`host_present`]).
#[cfg(not(all(unix, not(target_os = "macos"))))]
pub fn say_no_host() {}

/// Said once, when the tray cannot be seen: how to get one, and how to reach Herald meanwhile.
pub const NO_HOST: &str = "This desktop shows no tray icons (on GNOME, install the \
    AppIndicator extension). Herald keeps running and notifying; run `herald` to open its window.";

fn build_menu(entries: &[Entry], actions: &Actions) -> anyhow::Result<Menu> {
    let mut map = HashMap::new();
    let menu = Menu::new();
    for entry in entries {
        let item = build_item(entry, &mut map)?;
        menu.append(item.as_ref()).context("cannot build the tray menu")?;
    }
    *actions.lock().unwrap_or_else(|p| p.into_inner()) = map;
    Ok(menu)
}

fn build_item(
    entry: &Entry,
    map: &mut HashMap<MenuId, Action>,
) -> anyhow::Result<Box<dyn IsMenuItem>> {
    Ok(match entry {
        Entry::Item { label, action } => {
            let item = MenuItem::new(label, true, None);
            map.insert(item.id().clone(), action.clone());
            Box::new(item)
        }
        Entry::Check { label, checked, action } => {
            let item = CheckMenuItem::new(label, true, *checked, None);
            map.insert(item.id().clone(), action.clone());
            Box::new(item)
        }
        Entry::Submenu { label, items } => {
            let submenu = Submenu::new(label, true);
            for child in items {
                let item = build_item(child, map)?;
                submenu.append(item.as_ref()).context("cannot build the tray menu")?;
            }
            Box::new(submenu)
        }
        Entry::Separator => Box::new(PredefinedMenuItem::separator()),
    })
}

fn decode_icon(look: TrayLook) -> anyhow::Result<Icon> {
    let mut reader = png::Decoder::new(std::io::Cursor::new(png(look)))
        .read_info()
        .context("the built-in tray icon is not a valid PNG")?;
    let size = reader.output_buffer_size().context("the built-in tray icon is too large")?;
    let mut rgba = vec![0; size];
    let info = reader.next_frame(&mut rgba).context("cannot decode the built-in tray icon")?;
    anyhow::ensure!(
        info.color_type == png::ColorType::Rgba && info.bit_depth == png::BitDepth::Eight,
        "the built-in tray icon must be 8-bit RGBA"
    );
    rgba.truncate(info.buffer_size());
    Icon::from_rgba(rgba, info.width, info.height).context("the built-in tray icon was rejected")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_in_icons_decode() {
        for look in [TrayLook::Normal, TrayLook::Attention, TrayLook::Unread, TrayLook::Paused] {
            decode_icon(look).unwrap_or_else(|e| panic!("{look:?}: {e:#}"));
        }
    }
}
