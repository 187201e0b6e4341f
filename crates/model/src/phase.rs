//! Where a feed is, in the one word `herald feeds list`, the tray and the windows show: the
//! engine's state of a feed, as stored for every process to read.

use std::fmt;
use std::str::FromStr;

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize, ts_rs::TS,
)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum Phase {
    /// Connecting, or waiting for the resident to.
    Connecting,
    Live,
    /// Waiting before the next attempt.
    Retrying,
    /// Stopped until something changes (credentials refused, the server said stop, a setting
    /// that cannot run).
    Stopped,
    /// A job's stream that ended; it runs again when asked.
    Finished,
    /// Switched off by the user.
    Disabled,
}

pub const ALL: [Phase; 6] = [
    Phase::Connecting,
    Phase::Live,
    Phase::Retrying,
    Phase::Stopped,
    Phase::Finished,
    Phase::Disabled,
];

impl Phase {
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Connecting => "connecting",
            Phase::Live => "live",
            Phase::Retrying => "retrying",
            Phase::Stopped => "stopped",
            Phase::Finished => "finished",
            Phase::Disabled => "disabled",
        }
    }
}

impl fmt::Display for Phase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Not a word Herald writes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a feed state")]
pub struct UnknownPhase(String);

impl FromStr for Phase {
    type Err = UnknownPhase;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ALL.into_iter().find(|p| p.as_str() == s).ok_or_else(|| UnknownPhase(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_phase_reads_its_own_word() {
        for phase in ALL {
            assert_eq!(phase.as_str().parse(), Ok(phase));
            assert_eq!(serde_json::to_string(&phase).unwrap(), format!("{:?}", phase.as_str()));
        }
        assert!("paused".parse::<Phase>().is_err());
    }
}
