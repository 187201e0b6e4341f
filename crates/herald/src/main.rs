//! `herald`: the resident (tray, engine, store and notifications) and the command
//! line. This file is glue: it parses arguments and hands each command to the module that does it.

mod cli;
mod clicks;
mod commands;
mod event_loop;
mod json_line;
mod notifier;
mod resident;
mod retention;
mod secret_input;
mod tail;
mod terminal_text;
mod tray;
mod tray_actions;
mod tray_model;
mod ui_launcher;
#[cfg(all(unix, not(target_os = "macos")))]
mod xdg_notify;

use std::process::ExitCode;

use clap::Parser;
use herald_api::WindowKind;
use herald_os::{DataDir, InstanceLock, LockState};

use crate::cli::{Cli, Command};
use crate::resident::{Inbox, Resident, TrayMode};

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => return usage_error(&err),
    };
    match run(cli) {
        Ok(code) => code,
        Err(err) => {
            // `{:#}` prints the whole context chain on one line: "what failed: why".
            tracing::error!("{err:#}");
            terminal_text::print_error(&err);
            ExitCode::FAILURE
        }
    }
}

/// Help and version as clap prints them; a usage error quotes what was typed, which may hold a
/// terminal escape (`--resume $'query:\e]0;x\a'`), so it is printed plain and escaped.
fn usage_error(err: &clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    if matches!(err.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion)
        || matches!(err.kind(), ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand)
    {
        let _ = err.print();
        return ExitCode::from(u8::try_from(err.exit_code()).unwrap_or(2));
    }
    let words = err.render().to_string();
    terminal_text::to_stderr(&terminal_text::escape(&words));
    ExitCode::from(u8::try_from(err.exit_code()).unwrap_or(2))
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    if let Some(Command::Tail(args)) = &cli.command {
        return run_tail(args);
    }
    let data_dir = DataDir::resolve(cli.data_dir.clone())?;
    match cli.command {
        Some(Command::Tail(_)) => unreachable!("handled above"),
        Some(Command::Feeds(command)) => Ok(commands::feeds::command(&data_dir, *command)),
        Some(Command::History(args)) => Ok(commands::history::command(&data_dir, args)),
        Some(Command::Status { json }) => Ok(commands::status::command(&data_dir, json)),
        Some(Command::Autostart { state }) => {
            Ok(commands::quiet::autostart(&data_dir, state.as_deref()))
        }
        Some(Command::Dnd { state }) => Ok(commands::quiet::dnd(&data_dir, state.as_deref())),
        Some(Command::QuietHours { from, to }) => {
            Ok(commands::quiet::quiet_hours(&data_dir, &from, to.as_deref()))
        }
        Some(Command::Daemon) => resident(data_dir, TrayMode::None, false),
        None => resident(data_dir, TrayMode::Tray, cli.background),
    }
}

/// Becomes the resident (`herald daemon`: without a tray), or, where one already runs for
/// this data dir, says so (`daemon`), leaves quietly (`--background`, as launch at login
/// starts it) or opens its window (a plain `herald`).
fn resident(data_dir: DataDir, tray: TrayMode, background: bool) -> anyhow::Result<ExitCode> {
    let _log = herald_os::logging::init(&data_dir, "herald")?;
    let inbox = Inbox::with_signals()?;
    let lock = match InstanceLock::try_acquire(&data_dir.resident_lock_path())? {
        LockState::Acquired(lock) => lock,
        LockState::Held { pid } => {
            match tray {
                TrayMode::None => {
                    terminal_text::print_error(&anyhow::anyhow!(
                        "a Herald resident is already running for {} ({}); stop it first",
                        data_dir.path().display(),
                        cli::pid_words(pid)
                    ));
                    return Ok(ExitCode::FAILURE);
                }
                // Safe for launch at login: a second start is not an error.
                TrayMode::Tray if background => {
                    cli::print_line(&format!("already running ({})", cli::pid_words(pid)));
                }
                TrayMode::Tray => ui_launcher::open(&data_dir, WindowKind::History, None)?,
            }
            return Ok(ExitCode::SUCCESS);
        }
    };
    let mut resident = Resident::new(data_dir, inbox, lock, tray);
    if background {
        resident::leave_console();
    } else if tray == TrayMode::Tray {
        resident = resident.open_on_start(WindowKind::History);
    }
    resident.run()?;
    Ok(ExitCode::SUCCESS)
}

fn run_tail(args: &cli::TailArgs) -> anyhow::Result<ExitCode> {
    let mut request = match tail::request(args) {
        Ok(request) => request,
        Err(err) => {
            terminal_text::print_error(&err);
            return Ok(cli::usage_error());
        }
    };
    let client = match tail::client(args) {
        Ok(client) => client,
        Err(tail::Refused::Usage(err)) => {
            terminal_text::print_error(&err);
            return Ok(cli::usage_error());
        }
        Err(tail::Refused::Failed(err)) => return Err(err),
    };
    tail::apply_auth(&args.auth, &mut request)?;
    // Not buffered here: tail writes whole lines, each chunk's at once.
    tail::run_on_runtime(client, request, tail::Options::from_args(args), std::io::stdout())
}
