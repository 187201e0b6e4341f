//! `herald-ui`: Herald's windows. It starts on demand (from the tray, `herald`, or the app menu),
//! shows the history or settings window, and exits when its last window closes, so the 250 MB of
//! a webview exist only while someone looks at them. Everything it shows comes from
//! `herald-api`; the commands here are one-line adapters.

mod args;
mod bridge;
mod commands;
mod resident;
mod single_instance;
mod store_watch;
mod windows;

use std::process::ExitCode;

use anyhow::Context;
use clap::Parser;
use herald_os::DataDir;

use crate::args::Args;
use crate::single_instance::Claim;
use crate::windows::Target;

/// Keeps the windows following the store (see `store_watch`).
struct StoreFollower(#[allow(dead_code)] herald_store::changes::Follower);

/// What every command can reach. Cheap to clone, so a blocking task can hold it.
#[derive(Clone)]
pub struct AppState {
    pub data_dir: DataDir,
    store: std::sync::Arc<std::sync::Mutex<herald_store::Store>>,
    /// The OS keyring, where a feed's secret goes straight from the form.
    pub secrets: std::sync::Arc<herald_secrets::Keyring>,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState").field("data_dir", &self.data_dir).finish_non_exhaustive()
    }
}

impl AppState {
    /// The UI's connection to the store (the resident has its own; they meet in the file).
    pub fn store(&self) -> std::sync::MutexGuard<'_, herald_store::Store> {
        self.store.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// For the use cases that also call the keyring: they lock the store a step at a time.
    pub fn shared_store(&self) -> &std::sync::Mutex<herald_store::Store> {
        &self.store
    }

    /// The `herald` next to this program, which launch at login starts.
    pub fn resident_program(&self) -> Result<std::path::PathBuf, herald_api::ApiError> {
        Ok(herald_os::Program::Resident.locate()?)
    }
}

pub fn run_app() -> ExitCode {
    let args = Args::parse();
    match start(args) {
        Ok(code) => code,
        Err(err) => {
            tracing::error!("{err:#}");
            #[allow(clippy::print_stderr)]
            {
                eprintln!("herald-ui: {err:#}");
            }
            ExitCode::FAILURE
        }
    }
}

fn start(args: Args) -> anyhow::Result<ExitCode> {
    let data_dir = DataDir::resolve(args.data_dir)?;
    let _log = herald_os::logging::init(&data_dir, "herald-ui")?;
    let target = Target { window: args.window, event: args.event };
    let instance = match single_instance::claim(&data_dir, &target)? {
        Claim::Forwarded => {
            tracing::info!("a Herald window is already open for this data dir; handed over to it");
            return Ok(ExitCode::SUCCESS);
        }
        Claim::Primary(instance) => instance,
    };
    resident::ensure_running(&data_dir);
    let db = herald_store::Store::path_in(data_dir.path());
    let store = herald_store::Store::open(&db)?;
    let watched = herald_store::Store::open(&db)?;
    let watch_dir = data_dir.clone();

    tauri::Builder::default()
        .manage(AppState {
            data_dir,
            store: std::sync::Arc::new(std::sync::Mutex::new(store)),
            secrets: std::sync::Arc::new(herald_secrets::Keyring::new()),
        })
        .invoke_handler(commands::handler())
        .setup(move |app| {
            // Managed state lives as long as the app: the windows follow the store until then.
            let follower = store_watch::spawn(app.handle().clone(), watch_dir, watched)?;
            tauri::Manager::manage(app, StoreFollower(follower));
            // The first window before any hand-over: a request that arrives meanwhile waits in
            // the listener's backlog, and then finds this window instead of making a second.
            windows::open(app.handle(), &target)?;
            instance.serve(app.handle().clone())?;
            Ok(())
        })
        // Tauri ends the process when the last window closes, which is the point of this binary.
        .run(tauri::generate_context!("../tauri.conf.json"))
        .context("the window system failed")?;
    Ok(ExitCode::SUCCESS)
}
