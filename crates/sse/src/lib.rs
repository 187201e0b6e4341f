//! Server-Sent Events for Herald: the WHATWG parser (no I/O), the reconnection policy (time is
//! passed in, so it is tested exactly), and one HTTP connection attempt over reqwest that
//! validates the response the way the spec and a notifier need.

mod connect;
mod parser;
mod redirect;
mod retry;
mod scrub;

pub use connect::{
    Attempt, ConnectError, Connection, Method, Next, Request, StreamError, http_client,
    redacted_url,
};
pub use parser::{DEFAULT_MAX_EVENT_SIZE, Event, EventRef, Item, OwnedItem, Parser};
pub use redirect::{MAX_REDIRECTS, RedirectError};
pub use retry::{AfterFailure, Backoff, DEFAULT_CAP, DEFAULT_RETRY, MAX_RETRY_AFTER};
pub use scrub::{REDACTED, Scrubber};
