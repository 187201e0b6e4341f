//! Launch at login: the resident starts with `herald --background` (tray, no window). The switch
//! reports what the OS actually has, not a stored flag: on Linux an XDG autostart entry, on
//! macOS a LaunchAgent, on Windows a value under the user's Run key.

use std::path::Path;

use crate::{DataDir, OsError};

/// What the OS will start at login, if anything.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Autostart {
    pub enabled: bool,
    /// Where the entry lives (a file, or the registry value).
    pub location: String,
    /// The command the entry starts, when there is one.
    pub command: Option<String>,
}

fn failed(what: &str, path: &Path, e: std::io::Error) -> OsError {
    OsError::Refused {
        what: crate::Refused::Autostart,
        message: format!("cannot {what} {}: {e}", path.display()),
    }
}

/// The arguments launch at login passes: `--background`, and the data dir when it is not the
/// default one (a second profile starts itself).
fn arguments(data_dir: &DataDir) -> Vec<String> {
    let mut args = Vec::new();
    if !data_dir.is_default() {
        args.push("--data-dir".to_owned());
        args.push(data_dir.path().display().to_string());
    }
    args.push("--background".to_owned());
    args
}

#[cfg(all(unix, not(target_os = "macos")))]
mod platform {
    use super::*;
    use std::path::PathBuf;

    fn entry_path() -> PathBuf {
        let config = std::env::var_os("XDG_CONFIG_HOME")
            .map(PathBuf::from)
            .filter(|p| p.is_absolute())
            .or_else(dirs::config_dir)
            .unwrap_or_else(|| PathBuf::from(".config"));
        config.join("autostart").join("herald.desktop")
    }

    /// A desktop entry `Exec` argument: quoted, with `"`, `` ` ``, `$` and `\` escaped.
    fn quote(arg: &str) -> String {
        let mut out = String::from("\"");
        for c in arg.chars() {
            if matches!(c, '"' | '`' | '$' | '\\') {
                out.push('\\');
            }
            out.push(c);
        }
        out.push('"');
        out
    }

    pub fn command_line(program: &Path, args: &[String]) -> String {
        std::iter::once(quote(&program.display().to_string()))
            .chain(args.iter().map(|a| quote(a)))
            .collect::<Vec<_>>()
            .join(" ")
    }

    pub fn read() -> Result<Autostart, OsError> {
        let path = entry_path();
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(e) => return Err(failed("read", &path, e)),
        };
        let command = text.lines().find_map(|l| l.strip_prefix("Exec=")).map(str::to_owned);
        let hidden = text.lines().any(|l| l.trim() == "Hidden=true")
            || text.lines().any(|l| l.trim() == "X-GNOME-Autostart-enabled=false");
        Ok(Autostart {
            enabled: command.is_some() && !hidden,
            location: path.display().to_string(),
            command,
        })
    }

    pub fn write(program: &Path, args: &[String]) -> Result<(), OsError> {
        let path = entry_path();
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| failed("create", dir, e))?;
        }
        let text = format!(
            "[Desktop Entry]\nType=Application\nName=Herald\nComment=Server-Sent Events as desktop \
             notifications\nExec={}\nIcon=herald\nTerminal=false\nX-GNOME-Autostart-enabled=true\n",
            command_line(program, args)
        );
        std::fs::write(&path, text).map_err(|e| failed("write", &path, e))
    }

    pub fn remove() -> Result<(), OsError> {
        let path = entry_path();
        match std::fs::remove_file(&path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(failed("remove", &path, e)),
        }
    }
}

#[cfg(target_os = "macos")]
mod platform {
    use super::*;
    use std::path::PathBuf;

    fn entry_path() -> PathBuf {
        dirs::home_dir().unwrap_or_default().join("Library/LaunchAgents/app.herald.resident.plist")
    }

    fn xml(text: &str) -> String {
        text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
    }

    pub fn read() -> Result<Autostart, OsError> {
        let path = entry_path();
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        let enabled = text.contains("<key>RunAtLoad</key>");
        Ok(Autostart {
            enabled,
            location: path.display().to_string(),
            command: enabled.then(|| text.clone()),
        })
    }

    pub fn write(program: &Path, args: &[String]) -> Result<(), OsError> {
        let path = entry_path();
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| failed("create", dir, e))?;
        }
        let mut arguments = format!("<string>{}</string>", xml(&program.display().to_string()));
        for arg in args {
            arguments.push_str(&format!("<string>{}</string>", xml(arg)));
        }
        let text = format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!DOCTYPE plist PUBLIC \"-//Apple//DTD PLIST \
             1.0//EN\" \"http://www.apple.com/DTDs/PropertyList-1.0.dtd\">\n<plist version=\"1.0\">\
             <dict><key>Label</key><string>app.herald.resident</string><key>ProgramArguments</key>\
             <array>{arguments}</array><key>RunAtLoad</key><true/></dict></plist>\n"
        );
        std::fs::write(&path, text).map_err(|e| failed("write", &path, e))
    }

    pub fn remove() -> Result<(), OsError> {
        let path = entry_path();
        match std::fs::remove_file(&path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(failed("remove", &path, e)),
            _ => Ok(()),
        }
    }
}

#[cfg(windows)]
mod platform {
    use super::*;
    use std::process::Command;

    const KEY: &str = r"HKCU\Software\Microsoft\Windows\CurrentVersion\Run";
    /// The Run key's value that holds Herald's command line.
    const VALUE: &str = "Herald";

    fn reg(args: &[&str]) -> Result<String, OsError> {
        use std::os::windows::process::CommandExt;
        // Run from the windows too: no console window may flash up.
        const CREATE_NO_WINDOW: u32 = 0x0800_0000;
        let out = Command::new("reg")
            .args(args)
            .creation_flags(CREATE_NO_WINDOW)
            .output()
            .map_err(|e| failed("run", Path::new("reg"), e))?;
        if out.status.success() {
            Ok(String::from_utf8_lossy(&out.stdout).into_owned())
        } else {
            Err(OsError::Refused {
                what: crate::Refused::Autostart,
                message: String::from_utf8_lossy(&out.stderr).trim().to_owned(),
            })
        }
    }

    pub fn read() -> Result<Autostart, OsError> {
        read_value(VALUE)
    }

    pub(super) fn read_value(value: &str) -> Result<Autostart, OsError> {
        let command = reg(&["query", KEY, "/v", value]).ok().and_then(|text| {
            text.lines().find_map(|l| l.split_once("REG_SZ").map(|(_, v)| v.trim().to_owned()))
        });
        Ok(Autostart { enabled: command.is_some(), location: format!(r"{KEY}\{value}"), command })
    }

    pub fn write(program: &Path, args: &[String]) -> Result<(), OsError> {
        write_value(VALUE, program, args)
    }

    pub(super) fn write_value(value: &str, program: &Path, args: &[String]) -> Result<(), OsError> {
        let mut command = super::windows_quote(&program.display().to_string());
        for arg in args {
            command.push(' ');
            command.push_str(&super::windows_quote(arg));
        }
        reg(&["add", KEY, "/v", value, "/t", "REG_SZ", "/d", &command, "/f"]).map(|_| ())
    }

    pub fn remove() -> Result<(), OsError> {
        remove_value(VALUE)
    }

    pub(super) fn remove_value(value: &str) -> Result<(), OsError> {
        let _ = reg(&["delete", KEY, "/v", value, "/f"]);
        Ok(())
    }
}

/// One argument quoted as Windows programs read their command line (CommandLineToArgvW, the
/// C runtime): in quotes, with a quote escaped and the backslashes before a quote (or before the
/// closing one) doubled, so that `D:\` stays `D:\` and does not swallow the next argument.
#[cfg_attr(not(any(windows, test)), allow(dead_code))]
fn windows_quote(arg: &str) -> String {
    let mut out = String::with_capacity(arg.len() + 2);
    out.push('"');
    let mut backslashes = 0;
    for c in arg.chars() {
        match c {
            '\\' => backslashes += 1,
            '"' => {
                out.extend(std::iter::repeat_n('\\', backslashes * 2 + 1));
                out.push('"');
                backslashes = 0;
            }
            c => {
                out.extend(std::iter::repeat_n('\\', backslashes));
                out.push(c);
                backslashes = 0;
            }
        }
    }
    out.extend(std::iter::repeat_n('\\', backslashes * 2));
    out.push('"');
    out
}

/// What the OS has now.
pub fn status() -> Result<Autostart, OsError> {
    platform::read()
}

/// Turns launch at login on (for `program`, this `herald`) or off, and reports what the OS has
/// afterwards.
pub fn set(enabled: bool, program: &Path, data_dir: &DataDir) -> Result<Autostart, OsError> {
    if enabled {
        platform::write(program, &arguments(data_dir))?;
    } else {
        platform::remove()?;
    }
    platform::read()
}

#[cfg(all(test, unix, not(target_os = "macos")))]
mod tests {
    use super::platform::command_line;
    use std::path::Path;

    #[test]
    fn exec_lines_quote_what_the_desktop_entry_spec_says() {
        let line = command_line(
            Path::new("/opt/my apps/herald"),
            &["--data-dir".into(), "/home/a/$x \"q\"".into(), "--background".into()],
        );
        assert_eq!(
            line,
            r#""/opt/my apps/herald" "--data-dir" "/home/a/\$x \"q\"" "--background""#
        );
    }
}

/// The Run key for real (Wine's registry under `make test`), under a value of the test's own so
/// that a developer's own Herald entry is never touched.
#[cfg(all(test, windows))]
mod tests {
    use super::platform::{read_value, remove_value, write_value};
    use std::path::Path;

    #[test]
    fn launch_at_login_goes_into_the_run_key_and_out_again() {
        let value = format!("Herald-test-{}", std::process::id());
        let program = Path::new(r"C:\Program Files\Herald\herald.exe");
        let args =
            ["--data-dir".to_owned(), r"C:\Users\a b\Herald".to_owned(), "--background".to_owned()];
        write_value(&value, program, &args).unwrap();
        let on = read_value(&value).unwrap();
        remove_value(&value).unwrap();
        assert!(on.enabled, "{on:?}");
        assert_eq!(
            on.command.as_deref(),
            Some(
                r#""C:\Program Files\Herald\herald.exe" "--data-dir" "C:\Users\a b\Herald" "--background""#
            )
        );
        assert!(!read_value(&value).unwrap().enabled, "still there after removing it");
    }
}

#[cfg(test)]
mod quoting_tests {
    use super::windows_quote;

    #[test]
    fn windows_arguments_survive_trailing_backslashes_and_quotes() {
        assert_eq!(windows_quote(r"C:\Program Files\Herald"), r#""C:\Program Files\Herald""#);
        assert_eq!(windows_quote(r"D:\"), r#""D:\\""#, "a trailing backslash is doubled");
        assert_eq!(windows_quote(r"C:\x\"), r#""C:\x\\""#);
        assert_eq!(windows_quote(r#"a\"b"#), r#""a\\\"b""#);
        assert_eq!(windows_quote("50%"), r#""50%""#);
    }
}
