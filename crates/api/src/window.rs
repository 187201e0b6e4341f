//! Herald's two windows, named once: the resident asks `herald-ui` for one by this name, a
//! running `herald-ui` hands it over, and the UI (through the generated TypeScript type) decides
//! what to render from it.

use std::fmt;
use std::str::FromStr;

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize, ts_rs::TS,
)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum WindowKind {
    History,
    Settings,
}

impl WindowKind {
    pub const ALL: [WindowKind; 2] = [WindowKind::History, WindowKind::Settings];

    /// The name on the command line (`--window`), in the window's URL and as its label.
    pub fn name(self) -> &'static str {
        match self {
            WindowKind::History => "history",
            WindowKind::Settings => "settings",
        }
    }
}

impl fmt::Display for WindowKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("no window is called {0:?} (there are history and settings)")]
pub struct UnknownWindow(String);

impl FromStr for WindowKind {
    type Err = UnknownWindow;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL.into_iter().find(|kind| kind.name() == s).ok_or_else(|| UnknownWindow(s.into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_window_reads_back_from_its_name_and_its_json() {
        for kind in WindowKind::ALL {
            assert_eq!(kind.name().parse::<WindowKind>(), Ok(kind));
            let json = serde_json::to_string(&kind).unwrap();
            assert_eq!(json, format!("\"{}\"", kind.name()));
        }
        assert!("History".parse::<WindowKind>().is_err());
    }
}
