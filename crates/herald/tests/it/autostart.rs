//! Launch at login on Linux: an XDG autostart entry that starts `herald --background`, read back
//! from the file itself (what the session will actually run), and gone when switched off.

use std::path::Path;
use std::process::{Command, Output, Stdio};

fn herald(config: &Path, data: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_herald"))
        .arg("--data-dir")
        .arg(data)
        .args(args)
        .env("XDG_CONFIG_HOME", config)
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

#[test]
fn the_autostart_entry_appears_with_the_right_exec_line_and_goes_away() {
    let (config, data) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let entry = config.path().join("autostart/herald.desktop");
    let say = |args: &[&str]| {
        let out = herald(config.path(), data.path(), args);
        assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    };
    assert_eq!(say(&["autostart"]), "launch at login is off\n");
    say(&["autostart", "on"]);
    let text = std::fs::read_to_string(&entry).unwrap();
    let exec = text.lines().find_map(|l| l.strip_prefix("Exec=")).unwrap();
    let data_dir = data.path().canonicalize().unwrap();
    assert_eq!(
        exec,
        format!(
            "\"{}\" \"--data-dir\" \"{}\" \"--background\"",
            env!("CARGO_BIN_EXE_herald"),
            data_dir.display()
        )
    );
    assert!(text.starts_with("[Desktop Entry]\nType=Application\nName=Herald\n"));
    assert!(say(&["autostart"]).starts_with("launch at login is on: "));
    // What the OS has decides: an entry the user disabled in their session settings is off.
    std::fs::write(
        &entry,
        text.replace("X-GNOME-Autostart-enabled=true", "X-GNOME-Autostart-enabled=false"),
    )
    .unwrap();
    assert_eq!(say(&["autostart"]), "launch at login is off\n");
    say(&["autostart", "off"]);
    assert!(!entry.exists(), "switched off, the entry is gone");
    assert_eq!(say(&["autostart"]), "launch at login is off\n");
}
