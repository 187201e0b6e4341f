//! Opening a link from an event: http and https only, through the OS's own opener. Event data is
//! untrusted; a `javascript:` or `file:` link is never handed to anything.

use std::process::{Command, Stdio};

use anyhow::{Context, bail};

pub fn open_link(link: &str) -> anyhow::Result<()> {
    let url = url::Url::parse(link).context("the link is not a valid URL")?;
    if !matches!(url.scheme(), "http" | "https") {
        bail!("only http and https links are opened, not {}:", url.scheme());
    }
    let mut command = os_opener(url.as_str());
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .context("cannot start the program that opens links")?;
    // Reaped in the background: openers exit at once, and a resident collects no zombies.
    std::thread::spawn(move || {
        let _ = child.wait();
    });
    Ok(())
}

#[cfg(all(unix, not(target_os = "macos")))]
fn os_opener(url: &str) -> Command {
    let mut command = Command::new("xdg-open");
    command.arg(url);
    command
}

#[cfg(target_os = "macos")]
fn os_opener(url: &str) -> Command {
    let mut command = Command::new("open");
    command.arg(url);
    command
}

#[cfg(windows)]
fn os_opener(url: &str) -> Command {
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
            assert!(open_link(bad).is_err(), "{bad}");
        }
    }
}
