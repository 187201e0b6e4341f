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
struct StoreFollower(#[allow(dead_code)] herald_api::Follower);

/// What every command can reach. Cheap to clone, so a blocking task can hold it.
#[derive(Clone)]
pub struct AppState {
    pub data_dir: DataDir,
    /// The windows' door into Herald's data (their own connection to the store; the resident
    /// has its own, and they meet in the file) and the OS keyring, where a feed's secret goes
    /// straight from the form.
    pub herald: std::sync::Arc<herald_api::Herald>,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState").field("data_dir", &self.data_dir).finish_non_exhaustive()
    }
}

impl AppState {
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
    let keyring: std::sync::Arc<herald_secrets::Keyring> = std::sync::Arc::default();
    let herald = herald_api::Herald::open(data_dir.clone(), keyring.clone())?;
    // Its own connection: a re-read after each commit never waits behind a command.
    let watched = herald_api::Herald::open(data_dir.clone(), keyring)?;

    tauri::Builder::default()
        .manage(AppState { data_dir, herald: std::sync::Arc::new(herald) })
        .invoke_handler(commands::handler())
        .setup(move |app| {
            // Managed state lives as long as the app: the windows follow the store until then.
            let follower = store_watch::spawn(app.handle().clone(), watched)?;
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
