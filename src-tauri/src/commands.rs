//! The commands the windows call, each declared once (see `bridge.rs` for what is made from
//! this list). Each body is a call into `herald-api`, the same API the command line and the
//! tray use; errors cross as `UiError` (a stable code and words). No body holds the store
//! across a keyring call: the use cases that need both take it a step at a time.

use herald_api::feed_form::{self, ConnectionTest, FeedForm, PreviewView};
use herald_api::history::HistoryScope;
use herald_api::store_access::Shared;
use herald_api::views::{EntryView, FeedView, GeneralSettings, GeneralView, HistoryFilter};
use herald_api::{ApiError, AppInfo, WindowKind, feed_file, settings, views};
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
            field: "window",
            message: format!("cannot open the {window} window: {e}"),
        })
    }

    sync feeds(state;) -> Vec<FeedView> {
        views::feeds(&state.data_dir, &state.store())
    }

    /// One page of history, newest first; `before` (an entry id) for the next page.
    sync history(state; filter: HistoryFilter) -> Vec<EntryView> {
        views::history(&state.store(), filter)
    }

    sync mark_read(state; scope: HistoryScope, read: bool) -> usize {
        herald_api::history::mark_read(&mut state.store(), scope, read)
    }

    sync delete_entries(state; scope: HistoryScope) -> usize {
        herald_api::history::delete(&mut state.store(), scope)
    }

    /// Opens an http(s) link in the browser; anything else is refused.
    sync open_link(state; link: String) -> () {
        Ok(opener::open_link(&link)?)
    }

    sync open_data_folder(state;) -> () {
        Ok(opener::open_folder(state.data_dir.path())?)
    }

    sync feed_form(state; feed_id: Option<String>) -> FeedForm {
        feed_form::form(&state.store(), feed_id.as_deref())
    }

    /// Adds (no feed id) or changes a feed; a typed secret goes to the keyring, never stored.
    sync save_feed(state; feed_id: Option<String>, form: FeedForm, secret: Option<String>)
        -> FeedView
    {
        let secret = secret.map(Sensitive::new);
        let mut store = Shared(state.shared_store());
        feed_form::save(&mut store, &*state.secrets, feed_id.as_deref(), &form, secret)
    }

    sync delete_feed(state; feed_id: String, keep_history: bool) -> () {
        let mut store = Shared(state.shared_store());
        feed_form::delete(&mut store, &*state.secrets, &feed_id, keep_history)
    }

    sync preview_feed(state; feed_id: Option<String>, form: FeedForm) -> PreviewView {
        Ok(feed_form::preview(&state.store(), feed_id.as_deref(), &form))
    }

    /// Connects once with the form's settings and reports; nothing is stored or notified.
    async test_connection(state; feed_id: Option<String>, form: FeedForm, secret: Option<String>)
        -> ConnectionTest
    {
        let (feed, secret) = crate::bridge::blocking(move || {
            let secret = secret.map(Sensitive::new);
            let mut store = Shared(state.shared_store());
            feed_form::prepare_test(&mut store, &*state.secrets, feed_id.as_deref(), &form, secret)
        })
        .await?;
        Ok(feed_form::test_connection(feed, secret).await)
    }

    sync export_feeds(state;) -> String {
        feed_file::export(&state.store())
    }

    sync import_feeds(state; text: String, source: String) -> usize {
        feed_file::import(&mut state.store(), &text, &source)
    }

    sync set_quiet_hours(state; from: Option<String>, to: Option<String>) -> GeneralView {
        let hours = from.as_deref().zip(to.as_deref());
        settings::set_quiet_hours(&mut state.store(), hours)?;
        views::general(&state.store())
    }

    sync set_general(state; settings: GeneralSettings) -> GeneralView {
        settings::set_general(&mut state.store(), &settings)?;
        views::general(&state.store())
    }

    sync general(state;) -> GeneralView {
        views::general(&state.store())
    }

    sync set_do_not_disturb(state; on: bool) -> GeneralView {
        settings::set_do_not_disturb(&mut state.store(), on)?;
        views::general(&state.store())
    }

    sync set_launch_at_login(state; on: bool) -> GeneralView {
        autostart::set(on, &state.resident_program()?, &state.data_dir)?;
        views::general(&state.store())
    }

    /// Asks the resident to reconnect a feed now.
    sync reconnect(state; feed_id: String) -> () {
        herald_api::feeds::reconnect(&mut state.store(), &feed_id)
    }

    /// Runs a finished feed (a POST job's stream) again.
    sync run_feed(state; feed_id: String) -> () {
        herald_api::feeds::run(&mut state.store(), &feed_id).map(|_| ())
    }
}
