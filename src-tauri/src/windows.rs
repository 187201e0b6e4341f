//! Opening and focusing the two windows. A window is created on demand and destroyed when closed
//! (never hidden): a hidden webview keeps all of its memory.

pub use herald_api::WindowKind;
use tauri::{AppHandle, Emitter, Manager, WebviewUrl, WebviewWindowBuilder};

fn title(kind: WindowKind) -> &'static str {
    match kind {
        WindowKind::History => "Herald",
        WindowKind::Settings => "Herald Settings",
    }
}

fn size(kind: WindowKind) -> (f64, f64) {
    match kind {
        WindowKind::History => (960.0, 680.0),
        WindowKind::Settings => (820.0, 640.0),
    }
}

/// Which window to show, and optionally which history entry to jump to.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Target {
    pub window: WindowKind,
    pub event: Option<String>,
}

/// Held while a window is looked up and created, so two requests at once (a hand-over and a
/// click in the other window) cannot both create the same window.
static OPENING: std::sync::Mutex<()> = std::sync::Mutex::new(());

pub fn open(app: &AppHandle, target: &Target) -> tauri::Result<()> {
    let _opening = OPENING.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let label = target.window.name();
    if let Some(window) = app.get_webview_window(label) {
        tracing::info!(window = label, pid = std::process::id(), "window focused");
        window.unminimize()?;
        window.show()?;
        window.set_focus()?;
        if let Some(event) = &target.event {
            window.emit_to(label, crate::bridge::events::NAVIGATE, event)?;
        }
        return Ok(());
    }
    let mut url = format!("index.html?window={label}");
    if let Some(event) = &target.event {
        url.push_str("&event=");
        url.extend(event.bytes().map(|b| format!("%{b:02X}")));
    }
    let (width, height) = size(target.window);
    WebviewWindowBuilder::new(app, label, WebviewUrl::App(url.into()))
        .title(title(target.window))
        .inner_size(width, height)
        .min_inner_size(420.0, 360.0)
        // Ctrl + / Ctrl - / Ctrl 0, as in a browser (for people who need larger text).
        .zoom_hotkeys_enabled(true)
        .build()?;
    tracing::info!(window = label, pid = std::process::id(), "window opened");
    Ok(())
}
