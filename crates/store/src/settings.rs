//! App-wide settings, stored as one JSON document so new settings need no migration.

use rusqlite::OptionalExtension;

use crate::{Store, StoreError};
use herald_model::{QuietHours, TimeOfDay};

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct Settings {
    pub do_not_disturb: bool,
    /// Daily quiet hours, local time (stored "HH:MM"); both or neither.
    #[serde(deserialize_with = "herald_model::time_of_day::lenient")]
    pub quiet_from: Option<TimeOfDay>,
    #[serde(deserialize_with = "herald_model::time_of_day::lenient")]
    pub quiet_to: Option<TimeOfDay>,
    /// More than this many events from one feed within `coalesce_window_s` become one summary.
    pub coalesce_count: u32,
    pub coalesce_window_s: u32,
    /// A feed down for longer than this raises one notification.
    pub health_down_after_s: u32,
    /// Keep at most this many entries per feed (None: no limit).
    pub retention_per_feed: Option<u32>,
    /// Keep at most this many MiB of entries per feed (None: no limit): 10,000 entries of a
    /// few MiB each would otherwise be tens of GB.
    pub retention_mib_per_feed: Option<u32>,
    /// Delete entries older than this many days (None: never).
    pub retention_days: Option<u32>,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            do_not_disturb: false,
            quiet_from: None,
            quiet_to: None,
            coalesce_count: 5,
            coalesce_window_s: 10,
            health_down_after_s: 600,
            retention_per_feed: Some(10_000),
            retention_mib_per_feed: Some(100),
            retention_days: None,
        }
    }
}

impl Settings {
    /// The quiet hours, when both ends are set.
    pub fn quiet_hours(&self) -> Option<QuietHours> {
        Some(QuietHours { from: self.quiet_from?, to: self.quiet_to? })
    }
}

impl Store {
    pub fn settings(&self) -> Result<Settings, StoreError> {
        // Read as whatever it is: a value that is not text (edited by hand) is settings that do
        // not read, below, not an error for every caller.
        let json: Option<Result<String, rusqlite::Error>> = self
            .conn
            .prepare_cached("SELECT value FROM settings WHERE key = 'settings'")?
            .query_row([], |r| Ok(r.get::<_, String>(0)))
            .optional()?;
        // Settings that no longer read (edited by hand) are the defaults, said in the log, so
        // that every command, and the next change, still works (and writes them whole again).
        let parsed = json.map(|json| {
            json.map_err(|e| e.to_string())
                .and_then(|json| serde_json::from_str::<Settings>(&json).map_err(|e| e.to_string()))
        });
        Ok(match parsed {
            Some(Ok(settings)) => settings,
            Some(Err(e)) => {
                tracing::warn!("the stored settings do not read ({e}); using the defaults");
                Settings::default()
            }
            None => Settings::default(),
        })
    }

    pub fn set_settings(&mut self, settings: &Settings) -> Result<(), StoreError> {
        self.conn.execute(
            "INSERT INTO settings (key, value) VALUES ('settings', ?1)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            [serde_json::to_string(settings)?],
        )?;
        Ok(())
    }
}
