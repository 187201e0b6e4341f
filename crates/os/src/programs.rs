//! Finding and starting Herald's two programs from each other: `herald` starts `herald-ui` for a
//! window, and `herald-ui` starts `herald --background` when no resident runs. They are installed
//! side by side; an environment variable points elsewhere in development trees and tests.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

use crate::OsError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Program {
    /// `herald`: the resident and command line.
    Resident,
    /// `herald-ui`: the windows.
    Ui,
}

impl Program {
    pub fn file_name(self) -> String {
        let stem = match self {
            Program::Resident => "herald",
            Program::Ui => "herald-ui",
        };
        format!("{stem}{}", std::env::consts::EXE_SUFFIX)
    }

    pub fn env_override(self) -> &'static str {
        match self {
            Program::Resident => "HERALD_BIN",
            Program::Ui => "HERALD_UI_BIN",
        }
    }

    pub fn locate(self) -> Result<PathBuf, OsError> {
        if let Some(path) = std::env::var_os(self.env_override()) {
            return Ok(PathBuf::from(path));
        }
        let missing = |detail: String| OsError::ProgramMissing {
            program: self.file_name(),
            detail,
            env: self.env_override(),
        };
        let me = std::env::current_exe().map_err(|err| missing(err.to_string()))?;
        let beside = me.with_file_name(self.file_name());
        if beside.is_file() {
            Ok(beside)
        } else {
            Err(missing(format!("looked for {}", beside.display())))
        }
    }

    /// Starts the program detached from the caller: in its own process group, so a Ctrl-C in
    /// the terminal that started one does not also stop the other.
    pub fn spawn(self, args: &[&std::ffi::OsStr]) -> Result<Child, OsError> {
        let exe = self.locate()?;
        let mut command = Command::new(&exe);
        command.args(args).stdin(Stdio::null());
        #[cfg(unix)]
        std::os::unix::process::CommandExt::process_group(&mut command, 0);
        // The resident is a console program (it is the command line too): started from the
        // windows it must not bring a console window of its own. Its own group, for Ctrl+C.
        #[cfg(windows)]
        std::os::windows::process::CommandExt::creation_flags(
            &mut command,
            CREATE_NO_WINDOW | CREATE_NEW_PROCESS_GROUP,
        );
        command.spawn().map_err(|source| OsError::Spawn { path: exe, source })
    }
}

#[cfg(windows)]
const CREATE_NO_WINDOW: u32 = 0x0800_0000;
#[cfg(windows)]
const CREATE_NEW_PROCESS_GROUP: u32 = 0x0000_0200;
