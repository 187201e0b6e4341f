//! The commands the windows call. Each is a one-line adapter over `herald-api`, the same API the
//! command line and the tray use.

use tauri::{AppHandle, State};

use crate::AppState;
use crate::windows::{self, Target, WindowKind};

#[tauri::command]
pub fn app_info(state: State<'_, AppState>) -> herald_api::AppInfo {
    herald_api::app_info(&state.data_dir)
}

#[tauri::command]
pub fn open_window(app: AppHandle, window: WindowKind) -> Result<(), String> {
    windows::open(&app, &Target { window, event: None }).map_err(|err| err.to_string())
}
