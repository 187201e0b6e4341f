//! Opening a link from an event (http and https only) or the data folder, through the OS's own
//! opener. Event data is untrusted; a `javascript:` or `file:` link is never handed to anything.

use std::ffi::OsStr;
use std::path::Path;
use std::process::{Command, Stdio};

use crate::OsError;

pub fn open_link(link: &str) -> Result<(), OsError> {
    let invalid = |message: String| OsError::Refused { what: crate::Refused::Link, message };
    let url = url::Url::parse(link).map_err(|e| invalid(format!("the link is not valid: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(invalid(format!(
            "only http and https links are opened, not {}:",
            url.scheme()
        )));
    }
    open(OsStr::new(url.as_str()))
}

/// Shows a folder (the data folder) in the file manager.
pub fn open_folder(path: &Path) -> Result<(), OsError> {
    if !path.is_dir() {
        return Err(OsError::Refused {
            what: crate::Refused::Folder,
            message: format!("{} is not a folder", path.display()),
        });
    }
    open(path.as_os_str())
}

fn open(target: &OsStr) -> Result<(), OsError> {
    let mut command = os_opener(target);
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|source| OsError::Spawn { path: command.get_program().into(), source })?;
    // Reaped in the background: openers exit at once, and a resident collects no zombies.
    std::thread::spawn(move || {
        let _ = child.wait();
    });
    Ok(())
}

#[cfg(all(unix, not(target_os = "macos")))]
fn os_opener(url: &OsStr) -> Command {
    let mut command = Command::new("xdg-open");
    command.arg(url);
    command
}

#[cfg(target_os = "macos")]
fn os_opener(url: &OsStr) -> Command {
    let mut command = Command::new("open");
    command.arg(url);
    command
}

#[cfg(windows)]
fn os_opener(url: &OsStr) -> Command {
    // The URL goes as one argument to the shell's protocol handler: no `cmd /c start` quoting.
    let mut command = Command::new("rundll32");
    command.arg("url.dll,FileProtocolHandler").arg(url);
    command
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_web_links_are_opened() {
        for bad in ["javascript:alert(1)", "file:///etc/passwd", "not a url", "data:text/html,x"] {
            assert!(matches!(open_link(bad), Err(OsError::Refused { .. })), "{bad}");
        }
        assert!(open_folder(Path::new("/no/such/folder")).is_err());
    }
}
