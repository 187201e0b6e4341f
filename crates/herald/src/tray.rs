//! The tray icon and its menu. tray-icon gives one API on every platform: on Linux its `ksni`
//! backend is a pure D-Bus StatusNotifierItem (no GTK, so the resident stays a few MB); on
//! Windows and macOS its native backends.

use anyhow::Context;
use crossbeam_channel::Sender;
use tray_icon::menu::{Menu, MenuEvent, MenuId, MenuItem, PredefinedMenuItem};
use tray_icon::{Icon, MouseButton, MouseButtonState, TrayIcon, TrayIconBuilder, TrayIconEvent};

use crate::resident::Request;
use crate::ui_launcher::Window;

/// The icons the tray shows: a glance tells whether everything is fine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrayLook {
    Normal,
}

impl TrayLook {
    fn png(self) -> &'static [u8] {
        match self {
            TrayLook::Normal => include_bytes!("../../../icons/tray/normal.png"),
        }
    }
}

pub struct Tray {
    _icon: TrayIcon,
}

impl std::fmt::Debug for Tray {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Tray")
    }
}

struct MenuIds {
    open: MenuId,
    settings: MenuId,
    quit: MenuId,
}

impl Tray {
    pub fn start(requests: Sender<Request>) -> anyhow::Result<Self> {
        let menu = Menu::new();
        let open = MenuItem::new("Open Herald", true, None);
        let settings = MenuItem::new("Settings…", true, None);
        let quit = MenuItem::new("Quit", true, None);
        menu.append_items(&[&open, &settings, &PredefinedMenuItem::separator(), &quit])
            .context("cannot build the tray menu")?;
        let ids = MenuIds {
            open: open.id().clone(),
            settings: settings.id().clone(),
            quit: quit.id().clone(),
        };

        let menu_requests = requests.clone();
        MenuEvent::set_event_handler(Some(move |event: MenuEvent| {
            let request = if event.id == ids.open {
                Request::Open(Window::History)
            } else if event.id == ids.settings {
                Request::Open(Window::Settings)
            } else if event.id == ids.quit {
                Request::Quit
            } else {
                return;
            };
            // Only answer the click here: the resident's own thread does the work, so a Quit
            // still replies to the D-Bus call before the process goes.
            let _ = menu_requests.send(request);
        }));
        TrayIconEvent::set_event_handler(Some(move |event: TrayIconEvent| {
            if let TrayIconEvent::Click {
                button: MouseButton::Left,
                button_state: MouseButtonState::Up,
                ..
            } = event
            {
                let _ = requests.send(Request::Open(Window::History));
            }
        }));

        let icon = TrayIconBuilder::new()
            .with_id("herald")
            .with_title("Herald")
            .with_tooltip("Herald")
            .with_icon(decode_icon(TrayLook::Normal)?)
            .with_menu(Box::new(menu))
            .build()
            .context("cannot create the tray icon")?;
        tracing::info!("tray icon ready");
        Ok(Self { _icon: icon })
    }
}

fn decode_icon(look: TrayLook) -> anyhow::Result<Icon> {
    let mut reader = png::Decoder::new(std::io::Cursor::new(look.png()))
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
        decode_icon(TrayLook::Normal).expect("icons/tray/normal.png must be 8-bit RGBA");
    }
}
