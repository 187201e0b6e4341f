//! `herald status`: the resident's state and every feed's.

use std::io::Write;

use herald_api::{ApiError, rfc3339};
use herald_os::{DataDir, InstanceLock};

use super::{open, run};
use crate::terminal_text::escape;

pub fn command(data_dir: &DataDir, json: bool) -> std::process::ExitCode {
    run(|| {
        let herald = open(data_dir)?;
        let resident = InstanceLock::holder(&data_dir.resident_lock_path())?;
        let statuses = herald.feed_statuses()?;
        let mut out = std::io::stdout().lock();
        if json {
            let feeds: Vec<serde_json::Value> = statuses
                .iter()
                .map(|s| {
                    let mut v = super::feeds::status_json(s);
                    v["last_error"] = s.live.as_ref().and_then(|l| l.last_error.clone()).into();
                    v
                })
                .collect();
            let doc = serde_json::json!({
                "resident": { "running": resident.is_some(), "pid": resident.flatten() },
                "data_dir": data_dir.path(),
                "feeds": feeds,
            });
            let _ = writeln!(out, "{doc}");
            return Ok(());
        }
        let _ = match resident {
            Some(pid) => writeln!(
                out,
                "Herald is running (pid {}).",
                pid.map_or("unknown".into(), |p| p.to_string())
            ),
            None => writeln!(
                out,
                "Herald is not running: start it with `herald` or `herald --background`."
            ),
        };
        for s in &statuses {
            let last = s.resume.last_event_at.map_or_else(|| "never".to_owned(), rfc3339);
            let _ = writeln!(
                out,
                "- {}: {} ({}); last event {last}",
                escape(&s.feed.spec.name),
                s.state(),
                escape(&s.state_detail())
            );
            if let Some(error) = s.live.as_ref().and_then(|l| l.last_error.as_deref()) {
                let _ = writeln!(out, "    last error: {}", escape(error));
            }
        }
        Ok::<(), ApiError>(())
    })
}
