//! The commands the windows call, each declared once (see `bridge.rs` for what is made from
//! this list). Each body is a call into `herald-api`, the same API the command line and the
//! tray use; errors cross as `UiError` (a stable code and words). No body holds the store
//! across a keyring call: the use cases that need both take it a step at a time.

use herald_api::feed_form::{ConnectionTest, FeedForm, PreviewView};
use herald_api::history::HistoryScope;
use herald_api::model::{Preset, QuietHours};
use herald_api::views::{EntryView, FeedView, GeneralSettings, GeneralView, HistoryFilter};
use herald_api::{ApiError, AppInfo, Field, WindowKind};
use herald_os::{autostart, opener};
use herald_secrets::Sensitive;

use crate::bridge::bridge;
use crate::windows::{self, Target};

bridge! {
    sync app_info(state;) -> AppInfo {
        Ok(herald_api::app_info(&state.data_dir))
    }

    sync open_window(state, app; window: WindowKind) -> () {
        windows::open(&app, &Target { window, event: None }).map_err(|e| ApiError::Invalid {
            field: Field::Window,
            message: format!("cannot open the {window} window: {e}"),
        })
    }

    sync feeds(state;) -> Vec<FeedView> {
        state.herald.feeds()
    }

    /// One page of history, newest first; `before` (an entry id) for the next page.
    sync history(state; filter: HistoryFilter) -> Vec<EntryView> {
        state.herald.history_views(filter)
    }

    sync mark_read(state; scope: HistoryScope, read: bool) -> usize {
        state.herald.mark_read(scope, read)
    }

    sync delete_entries(state; scope: HistoryScope) -> usize {
        state.herald.delete_history(scope)
    }

    /// Opens an http(s) link in the browser; anything else is refused.
    sync open_link(state; link: String) -> () {
        Ok(opener::open_link(&link)?)
    }

    sync open_data_folder(state;) -> () {
        Ok(opener::open_folder(state.data_dir.path())?)
    }

    sync feed_form(state; feed_id: Option<String>) -> FeedForm {
        state.herald.feed_form(feed_id.as_deref())
    }

    /// Adds (no feed id) or changes a feed; a typed secret goes to the keyring, never stored.
    sync save_feed(state; feed_id: Option<String>, form: FeedForm, secret: Option<String>)
        -> FeedView
    {
        let secret = secret.map(Sensitive::new);
        state.herald.save_feed_form(feed_id.as_deref(), &form, secret)
    }

    sync delete_feed(state; feed_id: String, keep_history: bool) -> () {
        state.herald.remove_feed(&feed_id, keep_history).map(drop)
    }

    /// The form with another preset chosen, its connection settings brought along.
    sync form_with_preset(state; form: FeedForm, preset: Preset) -> FeedForm {
        Ok(form.with_preset(preset))
    }

    sync preview_feed(state; feed_id: Option<String>, form: FeedForm) -> PreviewView {
        Ok(state.herald.preview(feed_id.as_deref(), &form))
    }

    /// Connects once with the form's settings and reports; nothing is stored or notified.
    async test_connection(state; feed_id: Option<String>, form: FeedForm, secret: Option<String>)
        -> ConnectionTest
    {
        let test = crate::bridge::blocking(move || {
            let secret = secret.map(Sensitive::new);
            state.herald.prepare_test(feed_id.as_deref(), &form, secret)
        })
        .await?;
        Ok(test.run().await)
    }

    sync export_feeds(state;) -> String {
        state.herald.export_feeds()
    }

    sync import_feeds(state; text: String, source: String) -> usize {
        state.herald.import_feeds(&text, &source)
    }

    sync set_quiet_hours(state; from: Option<String>, to: Option<String>) -> GeneralView {
        let hours = match (from, to) {
            (Some(from), Some(to)) => Some(QuietHours::parse(&from, &to)?),
            (None, None) => None,
            _ => {
                return Err(ApiError::Invalid {
                    field: Field::QuietHours,
                    message: "give a start and an end, or neither".into(),
                });
            }
        };
        state.herald.set_quiet_hours(hours)?;
        state.herald.general()
    }

    sync set_general(state; settings: GeneralSettings) -> GeneralView {
        state.herald.set_general(&settings)?;
        state.herald.general()
    }

    sync general(state;) -> GeneralView {
        state.herald.general()
    }

    sync set_do_not_disturb(state; on: bool) -> GeneralView {
        state.herald.set_do_not_disturb(on)?;
        state.herald.general()
    }

    sync set_launch_at_login(state; on: bool) -> GeneralView {
        autostart::set(on, &state.resident_program()?, &state.data_dir)?;
        state.herald.general()
    }

    /// Asks the resident to reconnect a feed now.
    sync reconnect(state; feed_id: String) -> () {
        state.herald.reconnect(&feed_id).map(drop)
    }

    /// Runs a finished feed (a POST job's stream) again.
    sync run_feed(state; feed_id: String) -> () {
        state.herald.run_again(&feed_id).map(drop)
    }
}
