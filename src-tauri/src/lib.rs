//! `herald-ui`: Herald's windows. It starts on demand (from the tray, `herald`, or the app menu),
//! shows the history or settings window, and exits when its last window closes, so the 250 MB of
//! a webview exist only while someone looks at them. Everything it shows comes from
//! `herald-api`; the commands here are one-line adapters.

mod args;
mod commands;
mod resident;
mod single_instance;
mod windows;

use std::process::ExitCode;

use anyhow::Context;
use clap::Parser;
use herald_api::DataDir;

use crate::args::Args;
use crate::single_instance::Claim;
use crate::windows::Target;

/// What every command can reach.
#[derive(Debug)]
pub struct AppState {
    pub data_dir: DataDir,
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
    let _log = herald_api::logging::init(&data_dir, "herald-ui")?;
    let target = Target { window: args.window, event: args.event };
    let instance = match single_instance::claim(&data_dir, &target)? {
        Claim::Forwarded => {
            tracing::info!("a Herald window is already open for this data dir; handed over to it");
            return Ok(ExitCode::SUCCESS);
        }
        Claim::Primary(instance) => instance,
    };
    resident::ensure_running(&data_dir);

    tauri::Builder::default()
        .manage(AppState { data_dir })
        .invoke_handler(tauri::generate_handler![commands::app_info, commands::open_window])
        .setup(move |app| {
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
