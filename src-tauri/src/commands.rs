//! The commands the windows call. Each is a one-line adapter over `herald-api`, the same API the
//! command line and the tray use; errors cross as `UiError` (a stable code and words).

use herald_api::views::{EntryView, FeedView, GeneralView};
use herald_api::{UiError, autostart, settings, views};
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

#[tauri::command]
pub fn feeds(state: State<'_, AppState>) -> Result<Vec<FeedView>, UiError> {
    Ok(views::feeds(&state.store())?)
}

#[tauri::command]
pub fn history(
    state: State<'_, AppState>,
    feed_id: Option<String>,
    search: Option<String>,
    before: Option<i64>,
) -> Result<Vec<EntryView>, UiError> {
    Ok(views::history(&state.store(), feed_id, search, before)?)
}

#[tauri::command]
pub fn general(state: State<'_, AppState>) -> Result<GeneralView, UiError> {
    Ok(views::general(&state.store())?)
}

#[tauri::command]
pub fn set_do_not_disturb(state: State<'_, AppState>, on: bool) -> Result<GeneralView, UiError> {
    settings::set_do_not_disturb(&mut state.store(), on)?;
    Ok(views::general(&state.store())?)
}

#[tauri::command]
pub fn set_launch_at_login(state: State<'_, AppState>, on: bool) -> Result<GeneralView, UiError> {
    autostart::set(on, &state.resident_program()?, &state.data_dir)?;
    Ok(views::general(&state.store())?)
}

#[tauri::command]
pub fn reconnect(state: State<'_, AppState>, feed_id: String) -> Result<(), UiError> {
    Ok(herald_api::feeds::reconnect(&mut state.store(), &feed_id)?)
}
