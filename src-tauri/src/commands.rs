//! The commands the windows call. Each is a one-line adapter over `herald-api`, the same API the
//! command line and the tray use; errors cross as `UiError` (a stable code and words).

use herald_api::feed_form::{self, ConnectionTest, FeedForm, PreviewView};
use herald_api::history::HistoryScope;
use herald_api::store_access::Shared;
use herald_api::views::{EntryView, FeedView, GeneralSettings, GeneralView, HistoryFilter};
use herald_api::{UiError, autostart, feed_file, opener, settings, views};
use herald_secrets::Sensitive;
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
    Ok(views::feeds(&state.data_dir, &state.store())?)
}

#[tauri::command]
pub fn history(
    state: State<'_, AppState>,
    filter: HistoryFilter,
) -> Result<Vec<EntryView>, UiError> {
    Ok(views::history(&state.store(), filter)?)
}

#[tauri::command]
pub fn mark_read(
    state: State<'_, AppState>,
    scope: HistoryScope,
    read: bool,
) -> Result<usize, UiError> {
    Ok(herald_api::history::mark_read(&mut state.store(), scope, read)?)
}

#[tauri::command]
pub fn delete_entries(state: State<'_, AppState>, scope: HistoryScope) -> Result<usize, UiError> {
    Ok(herald_api::history::delete(&mut state.store(), scope)?)
}

#[tauri::command]
pub fn open_link(link: String) -> Result<(), UiError> {
    Ok(opener::open_link(&link)?)
}

#[tauri::command]
pub fn open_data_folder(state: State<'_, AppState>) -> Result<(), UiError> {
    Ok(opener::open_folder(state.data_dir.path())?)
}

#[tauri::command]
pub fn feed_form(state: State<'_, AppState>, feed_id: Option<String>) -> Result<FeedForm, UiError> {
    Ok(feed_form::form(&state.store(), feed_id.as_deref())?)
}

/// The secret crosses the bridge once, typed into the form, and goes straight to the keyring.
#[tauri::command]
pub async fn save_feed(
    state: State<'_, AppState>,
    feed_id: Option<String>,
    form: FeedForm,
    secret: Option<String>,
) -> Result<FeedView, UiError> {
    let state = state.inner().clone();
    blocking(move || {
        let secret = secret.map(Sensitive::new);
        let mut store = Shared(state.shared_store());
        feed_form::save(&mut store, &*state.secrets, feed_id.as_deref(), &form, secret)
    })
    .await
}

#[tauri::command]
pub async fn delete_feed(
    state: State<'_, AppState>,
    feed_id: String,
    keep_history: bool,
) -> Result<(), UiError> {
    let state = state.inner().clone();
    blocking(move || {
        let mut store = Shared(state.shared_store());
        feed_form::delete(&mut store, &*state.secrets, &feed_id, keep_history)
    })
    .await
}

#[tauri::command]
pub fn preview_feed(
    state: State<'_, AppState>,
    feed_id: Option<String>,
    form: FeedForm,
) -> PreviewView {
    feed_form::preview(&state.store(), feed_id.as_deref(), &form)
}

#[tauri::command]
pub async fn test_connection(
    state: State<'_, AppState>,
    feed_id: Option<String>,
    form: FeedForm,
    secret: Option<String>,
) -> Result<ConnectionTest, UiError> {
    let state = state.inner().clone();
    let (feed, secret) = blocking(move || {
        let secret = secret.map(Sensitive::new);
        let mut store = Shared(state.shared_store());
        feed_form::prepare_test(&mut store, &*state.secrets, feed_id.as_deref(), &form, secret)
    })
    .await?;
    Ok(feed_form::test_connection(feed, secret).await)
}

#[tauri::command]
pub fn export_feeds(state: State<'_, AppState>) -> Result<String, UiError> {
    Ok(feed_file::export(&state.store())?)
}

#[tauri::command]
pub fn import_feeds(
    state: State<'_, AppState>,
    text: String,
    source: String,
) -> Result<usize, UiError> {
    Ok(feed_file::import(&mut state.store(), &text, &source)?)
}

#[tauri::command]
pub fn set_quiet_hours(
    state: State<'_, AppState>,
    from: Option<String>,
    to: Option<String>,
) -> Result<GeneralView, UiError> {
    let hours = from.as_deref().zip(to.as_deref());
    settings::set_quiet_hours(&mut state.store(), hours)?;
    Ok(views::general(&state.store())?)
}

#[tauri::command]
pub fn set_general(
    state: State<'_, AppState>,
    settings: GeneralSettings,
) -> Result<GeneralView, UiError> {
    settings::set_general(&mut state.store(), &settings)?;
    Ok(views::general(&state.store())?)
}

/// Keyring calls block (D-Bus on Linux): they run off the async threads that serve the windows.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, herald_api::ApiError> + Send + 'static,
) -> Result<T, UiError> {
    match tauri::async_runtime::spawn_blocking(work).await {
        Ok(result) => Ok(result?),
        Err(e) => Err(UiError {
            code: herald_api::ErrorCode::Database,
            message: format!("the request stopped unexpectedly: {e}"),
            field: None,
        }),
    }
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

#[tauri::command]
pub fn run_feed(state: State<'_, AppState>, feed_id: String) -> Result<(), UiError> {
    herald_api::feeds::run(&mut state.store(), &feed_id)?;
    Ok(())
}
