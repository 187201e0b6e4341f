//! The command-line surface of `herald` (see docs/cli.md, the contract) and the only place
//! that writes to stdout or stderr directly.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::path::PathBuf;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "herald",
    version,
    about = "Server-Sent Events as desktop notifications.",
    long_about = "Herald keeps your SSE feeds connected and turns their events into desktop \
                  notifications.\n\nWith no command, it makes sure the resident runs (tray, \
                  feeds, notifications) and opens the history window."
)]
pub struct Cli {
    /// Where Herald keeps its database and logs [default: the platform's app data dir]
    #[arg(long, global = true, env = herald_os::DATA_DIR_ENV, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,

    /// Start the resident (tray, feeds, notifications) without opening a window, as launch at
    /// login does; exits 0 when one already runs
    #[arg(long)]
    pub background: bool,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the resident without a tray (tiling window managers, servers); Ctrl-C stops it
    Daemon,
    /// Print a feed's events as they arrive, reconnecting like the app does
    Tail(TailArgs),
    /// Add, change, list and remove feeds
    #[command(subcommand)]
    Feeds(Box<crate::commands::feeds::FeedsCommand>),
    /// Show, search, export, mark read or delete history
    History(crate::commands::history::HistoryArgs),
    /// Do not disturb: `on` keeps every event in the history without notifying; `off` ends it
    Dnd {
        #[arg(value_parser = ["on", "off"])]
        state: Option<String>,
    },
    /// Daily quiet hours without notifications, in local time: `quiet-hours 22:00 07:00`, or `off`
    QuietHours {
        #[arg(value_name = "FROM|off")]
        from: String,
        #[arg(value_name = "TO")]
        to: Option<String>,
    },
    /// Launch at login (`herald --background`): `on`, `off`, or no argument to see what the OS has
    Autostart {
        #[arg(value_parser = ["on", "off"])]
        state: Option<String>,
    },
    /// The resident's state and every feed's state, last event and last error
    Status {
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, clap::Args)]
pub struct TailArgs {
    /// The event stream's URL (http or https)
    pub url: String,
    /// Connect once: exit 0 when the server ends the stream, 1 when the attempt fails
    #[arg(long)]
    pub once: bool,
    /// One JSON object per event and line: type, data, last_event_id, id
    #[arg(long)]
    pub json: bool,
    /// Resume after this event id (sent as Last-Event-ID)
    #[arg(long, value_name = "ID")]
    pub last_event_id: Option<String>,
    /// An extra request header (repeatable); secrets belong in --auth
    #[arg(short = 'H', long = "header", value_name = "NAME: VALUE")]
    pub headers: Vec<String>,
    /// none, bearer, basic (user:password), header:NAME or query:NAME; the secret is read from
    /// stdin (or prompted for on a terminal), never from the command line
    #[arg(long, value_name = "KIND", default_value = "none")]
    pub auth: herald_api::model::AuthKind,
    /// GET, or POST for APIs that stream their answer
    #[arg(long, value_name = "METHOD", default_value = "GET")]
    pub method: herald_api::model::Method,
    /// The JSON body to POST
    #[arg(long, value_name = "FILE")]
    pub body_file: Option<PathBuf>,
    /// An extra CA certificate (PEM) for a self-hosted server
    #[arg(long, value_name = "PEM")]
    pub ca_file: Option<PathBuf>,
    /// Give up on a connection that sends nothing (no headers, no events, no comments) for this
    /// long: with --once exit 1, otherwise reconnect
    #[arg(
        long,
        value_name = "SECONDS",
        default_value_t = herald_api::model::presets::DEFAULT_IDLE_TIMEOUT.as_secs(),
        value_parser = clap::value_parser!(u64).range(1..=86_400)
    )]
    pub idle_timeout: u64,
}

/// Exit code for usage errors (cli.md), the same that clap uses for bad flags.
pub fn usage_error() -> std::process::ExitCode {
    std::process::ExitCode::from(2)
}

pub fn print_line(line: &str) {
    println!("{line}");
}

pub fn pid_words(pid: Option<u32>) -> String {
    match pid {
        Some(pid) => format!("pid {pid}"),
        None => "pid unknown".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_argument_definitions_are_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn data_dir_is_global() {
        let cli = Cli::try_parse_from(["herald", "daemon", "--data-dir", "/tmp/x"]).unwrap();
        assert_eq!(cli.data_dir, Some(PathBuf::from("/tmp/x")));
        assert!(matches!(cli.command, Some(Command::Daemon)));
    }

    #[test]
    fn unknown_flags_are_usage_errors() {
        let err = Cli::try_parse_from(["herald", "--frobnicate"]).unwrap_err();
        assert_eq!(err.exit_code(), 2, "usage errors exit 2 (cli.md)");
    }
}
