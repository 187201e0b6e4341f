//! Times are stored as Unix milliseconds and shown as RFC 3339 UTC.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

pub use herald_model::Millis;

pub fn now_millis() -> Millis {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as Millis)
}

pub fn rfc3339(ms: Millis) -> String {
    let time = UNIX_EPOCH + Duration::from_millis(ms.max(0) as u64);
    humantime::format_rfc3339_millis(time).to_string()
}
