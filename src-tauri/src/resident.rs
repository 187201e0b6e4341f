//! The windows need the resident (it owns the feeds). Started from the app menu with no resident
//! running, `herald-ui` starts one in the background, as docs/cli.md says.

use herald_os::{DataDir, InstanceLock, Program};

pub fn ensure_running(data_dir: &DataDir) {
    match InstanceLock::holder(&data_dir.resident_lock_path()) {
        Ok(Some(pid)) => tracing::debug!(?pid, "resident is running"),
        Ok(None) => {
            let args =
                ["--background".as_ref(), "--data-dir".as_ref(), data_dir.path().as_os_str()];
            match Program::Resident.spawn(&args) {
                Ok(mut child) => {
                    tracing::info!(pid = child.id(), "started the resident");
                    // Reap it should it exit while this window is open.
                    std::thread::spawn(move || child.wait());
                }
                // The windows still work (they read the database); only live feeds are missing.
                Err(err) => tracing::error!("cannot start the Herald resident: {err}"),
            }
        }
        Err(err) => tracing::error!("cannot check for the Herald resident: {err}"),
    }
}
