//! `herald dnd` and `herald quiet-hours` (when Herald stays quiet; events still go to the
//! history, only notifications pause) and `herald autostart` (whether it starts at login).

use herald_api::model::QuietHours;
use herald_api::{ApiError, Field};
use herald_os::DataDir;

use super::{open, run};

pub fn dnd(data_dir: &DataDir, state: Option<&str>) -> std::process::ExitCode {
    run(|| {
        let herald = open(data_dir)?;
        let settings = match state {
            Some(state) => herald.set_do_not_disturb(state == "on")?,
            None => herald.settings()?,
        };
        println!("do not disturb is {}", if settings.do_not_disturb { "on" } else { "off" });
        Ok(())
    })
}

pub fn quiet_hours(data_dir: &DataDir, from: &str, to: Option<&str>) -> std::process::ExitCode {
    run(|| {
        let herald = open(data_dir)?;
        let hours = match (from, to) {
            ("off", None) => None,
            (from, Some(to)) => Some(QuietHours::parse(from, to)?),
            (_, None) => {
                return Err(ApiError::Invalid {
                    field: Field::QuietHours,
                    message: "give a start and an end (quiet-hours 22:00 07:00), or off".into(),
                });
            }
        };
        let settings = herald.set_quiet_hours(hours)?;
        match (settings.quiet_from, settings.quiet_to) {
            (Some(from), Some(to)) => println!("quiet hours: {from} to {to}"),
            _ => println!("no quiet hours"),
        }
        Ok(())
    })
}

pub fn autostart(data_dir: &DataDir, state: Option<&str>) -> std::process::ExitCode {
    run(|| {
        let now = match state {
            Some(state) => {
                let program = std::env::current_exe().map_err(|e| ApiError::Invalid {
                    field: Field::Autostart,
                    message: format!("cannot tell where this program is: {e}"),
                })?;
                herald_os::autostart::set(state == "on", &program, data_dir)?
            }
            None => herald_os::autostart::status()?,
        };
        match (now.enabled, &now.command) {
            (true, Some(command)) => {
                println!("launch at login is on: {command} ({})", now.location);
            }
            _ => println!("launch at login is off"),
        }
        Ok(())
    })
}
