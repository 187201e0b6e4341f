//! Herald's plumbing into the operating system, one module per thing it asks of the OS: where
//! its data and logs live, one resident and one window process per data folder, launch at login,
//! opening links and folders, starting Herald's other programs, and the log files. Each is
//! written per platform here, so the use cases in `herald-api` and the binaries never are.

pub mod autostart;
mod data_dir;
mod error;
mod instance;
pub mod logging;
pub mod opener;
mod programs;

pub use data_dir::{
    DataDir, ENV_VAR as DATA_DIR_ENV, create_private_dir, make_private, private_file,
};
pub use error::{OsError, Refused};
pub use instance::{InstanceLock, LockState};
pub use programs::Program;
