//! Starting `herald-ui`, the process that owns the windows. It lives only while a window is
//! open, so the resident stays small; a UI that is already running for this data dir takes the
//! request over and the new process exits at once (single instance, see docs/cli.md).

use std::ffi::OsStr;

use anyhow::Context;
use herald_api::WindowKind;
use herald_os::{DataDir, Program};

pub fn open(data_dir: &DataDir, window: WindowKind, event: Option<&str>) -> anyhow::Result<()> {
    let mut args: Vec<&OsStr> = vec![
        "--data-dir".as_ref(),
        data_dir.path().as_os_str(),
        "--window".as_ref(),
        window.name().as_ref(),
    ];
    if let Some(event) = event {
        args.extend(["--event".as_ref(), OsStr::new(event)]);
    }
    let mut child = Program::Ui.spawn(&args).context("cannot open the Herald window")?;
    tracing::info!(pid = child.id(), window = window.name(), "started herald-ui");
    // Reap it when it exits, so a long-running resident collects no zombies.
    std::thread::Builder::new()
        .name("herald-ui-reaper".into())
        .spawn(move || match child.wait() {
            Ok(status) => tracing::debug!(%status, "herald-ui exited"),
            Err(err) => tracing::warn!("could not wait for herald-ui: {err}"),
        })
        .context("cannot start a thread")?;
    Ok(())
}
