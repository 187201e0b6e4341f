//! The .deb that `make bundle` builds, installed for real: `dpkg -i`, the installed `herald`
//! answers, its resident shows the tray and opens the installed `herald-ui`'s window, and
//! `dpkg -r` removes every file again. Needs root or passwordless sudo (CI and this machine
//! have both); fails, never skips, without.

use std::path::PathBuf;
use std::process::{Command, Stdio};

use herald_e2e::dbusmenu::TrayMenu;
use herald_e2e::desktop::Display;
use herald_e2e::process::{DataDir, Running, is_alive, profile_dir};
use herald_e2e::{require_desktop_session, wait};

fn the_deb() -> PathBuf {
    // Bundles come from release builds: <target>/release/bundle/deb.
    let target = profile_dir().parent().expect("target dir").to_owned();
    let dir = target.join("release/bundle/deb");
    let mut debs: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("no {}: run `make bundle` first ({e})", dir.display()))
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "deb"))
        .collect();
    debs.sort();
    debs.pop().unwrap_or_else(|| panic!("no .deb in {}", dir.display()))
}

fn as_root(args: &[&str]) -> std::process::Output {
    let root = Command::new("id").arg("-u").output().map(|o| o.stdout == b"0\n").unwrap_or(false);
    let mut command = if root {
        Command::new(args[0])
    } else {
        let mut sudo = Command::new("sudo");
        sudo.args(["-n", args[0]]);
        sudo
    };
    command.args(&args[1..]).stdin(Stdio::null()).output().expect("run as root")
}

/// Removes the package even when the test fails half-way.
struct Installed;

impl Drop for Installed {
    fn drop(&mut self) {
        let _ = as_root(&["dpkg", "-r", "herald"]);
    }
}

#[test]
fn the_deb_installs_runs_and_removes_cleanly() {
    require_desktop_session();
    let deb = the_deb();
    let out = as_root(&["dpkg", "-i", deb.to_str().unwrap()]);
    assert!(out.status.success(), "dpkg -i: {}", String::from_utf8_lossy(&out.stderr));
    let installed = Installed;
    let files = String::from_utf8(as_root(&["dpkg", "-L", "herald"]).stdout).unwrap();
    for path in ["/usr/bin/herald", "/usr/bin/herald-ui", "/usr/share/applications/Herald.desktop"]
    {
        assert!(files.lines().any(|l| l == path), "{path} in the package: {files}");
    }

    let version = Command::new("/usr/bin/herald").arg("--version").output().unwrap();
    assert_eq!(
        String::from_utf8_lossy(&version.stdout).trim(),
        format!("herald {}", env!("CARGO_PKG_VERSION"))
    );

    // The installed programs, not the build tree's: no HERALD_BIN/HERALD_UI_BIN overrides.
    let data = DataDir::new();
    let mut resident = Running::spawn({
        let mut command = Command::new("/usr/bin/herald");
        command
            .arg("--data-dir")
            .arg(data.path())
            .arg("--background")
            .env_remove("HERALD_BIN")
            .env_remove("HERALD_UI_BIN")
            .stdin(Stdio::null());
        command
    });
    let menu =
        wait::until("the installed tray", wait::STARTUP, || TrayMenu::of_pid(resident.pid()));
    menu.click("Open Herald");
    let ui_pid = wait::until("the installed herald-ui", wait::STARTUP, || data.holder("ui.lock"));
    let exe = std::fs::read_link(format!("/proc/{ui_pid}/exe")).unwrap();
    assert_eq!(exe, PathBuf::from("/usr/bin/herald-ui"));
    let display = Display::open();
    let window = wait::until("its window", wait::STARTUP, || display.window_of(ui_pid, "Herald"));
    display.close(window);
    wait::until("herald-ui to exit", wait::STARTUP, || (!is_alive(ui_pid)).then_some(()));
    menu.click_exit("Quit");
    assert_eq!(resident.wait_exit(wait::STARTUP).code(), Some(0));

    drop(installed);
    for path in ["/usr/bin/herald", "/usr/bin/herald-ui"] {
        assert!(!std::path::Path::new(path).exists(), "{path} is left after dpkg -r");
    }
}
