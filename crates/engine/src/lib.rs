//! Herald's subscription engine: one supervisor per enabled feed that stays connected, resumes
//! exactly where it left off and never repeats an event (ARCHITECTURE.md, "From
//! bytes to a notification"). GUI-free: the resident runs it, tests drive it against loopback servers.

pub mod auth;
mod connector;
mod core;
mod engine;
pub mod filters;
pub mod input_file;
mod json_pointer;
mod log_fold;
pub mod mapping;
pub mod notify;
mod options;
pub mod plan;
pub mod probe;
// Public for the benchmark of the per-event path (bench/engine); the engine is its user.
pub mod shaper;
pub mod state;
mod supervisor;
mod template_limits;
pub mod watchers;
mod writer;

pub use connector::{ByteStream, Connector, DEFAULT_STREAMS_PER_CONNECTION, HttpConnector};
pub use engine::{Engine, join_within};
pub use notify::{Notification, NotificationKind, Notifier};
pub use options::{EngineError, EngineOptions, STOP_BUDGET, StoreTrouble};
pub use state::{FeedState, FeedStates, StopReason};
