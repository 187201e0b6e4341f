//! What a feed is and how it is set, as types. A setting is parsed once, where its text comes in
//! (the command line, an imported file, the settings window, a stored row), and is a type from
//! then on: the store writes it back with `Display` as the same text, files carry that text, and
//! the windows get it as a tagged union (ts-rs). Nothing here does I/O.
//!
//! Each type's `FromStr` is the one rule for what its text may be; `check` applies the same rule
//! to a value the settings window built from its parts.

pub mod auth;
mod error;
pub mod feed;
pub mod phase;
pub mod presets;
mod spec;
pub mod text;
pub mod time_of_day;

pub use auth::AuthKind;
pub use error::{Setting, SettingError};
pub use feed::{HeaderLine, IdSource, Method, OnEnd, Resume, check_pointer};
pub use phase::Phase;
pub use presets::Preset;
pub use spec::{
    FeedSpec, Filters, IDLE_TIMEOUT_S, Millis, PRIORITIES, Stored, Tuning, Unreadable, snoozed,
};
pub use time_of_day::{NotATimeOfDay, QuietHours, TimeOfDay};
