//! How `herald` and `herald-ui` find each other for one data dir (docs/cli.md, "The two
//! binaries" and "Starting the resident").

use herald_e2e::desktop::Display;
use herald_e2e::process::{DataDir, Running, is_alive, terminate};
use herald_e2e::{require_desktop_session, wait};

#[test]
fn herald_ui_is_single_instance_and_starts_a_resident() {
    require_desktop_session();
    let data = DataDir::new();
    let mut first = Running::spawn({
        let mut command = data.command("herald-ui");
        command.args(["--window", "history"]);
        command
    });
    let resident = wait::until("herald-ui to start a resident", wait::STARTUP, || {
        data.holder("resident.lock")
    });
    assert_ne!(resident, first.pid());
    let display = Display::open();
    let history = wait::until("the history window", wait::STARTUP, || {
        display.window_of(first.pid(), "Herald")
    });

    let mut second = Running::spawn({
        let mut command = data.command("herald-ui");
        command.args(["--window", "settings"]);
        command
    });
    let status = second.wait_exit(wait::STARTUP);
    assert_eq!(status.code(), Some(0), "a second start hands over and exits 0");
    let settings = wait::until("the first UI to open the settings window", wait::STARTUP, || {
        display.window_of(first.pid(), "Herald Settings")
    });
    assert_eq!(data.holder("ui.lock"), Some(first.pid()), "still one UI for the data dir");

    display.close(history);
    // One window is still open, so the UI keeps running.
    wait::until("the history window to go", wait::STARTUP, || {
        display.window_of(first.pid(), "Herald").is_none().then_some(())
    });
    assert!(is_alive(first.pid()), "herald-ui must live while a window is open");
    display.close(settings);
    assert_eq!(first.wait_exit(wait::STARTUP).code(), Some(0), "exits 0 with its last window");

    assert!(is_alive(resident), "the resident outlives the windows");
    terminate(resident);
    wait::until("the resident to stop", wait::STARTUP, || (!is_alive(resident)).then_some(()));
}

#[test]
fn plain_herald_becomes_the_resident_or_opens_a_window() {
    require_desktop_session();
    let data = DataDir::new();
    // No resident yet: `herald` becomes it and opens the history window.
    let mut resident = Running::spawn(data.command("herald"));
    let ui = wait::until("the history window's process", wait::STARTUP, || data.holder("ui.lock"));
    assert_eq!(data.holder("resident.lock"), Some(resident.pid()));
    let display = Display::open();
    let window =
        wait::until("the history window", wait::STARTUP, || display.window_of(ui, "Herald"));

    // A resident runs: `herald` only opens the window (here: focuses the open one) and exits 0.
    let output = data.command("herald").output().expect("run herald");
    assert_eq!(output.status.code(), Some(0), "{}", String::from_utf8_lossy(&output.stderr));
    assert_eq!(data.holder("resident.lock"), Some(resident.pid()), "still the same resident");
    // That `herald` started a second herald-ui, which hands its request to the first and exits;
    // wait for it, or a late hand-over would rightly reopen the window closed below.
    let data_dir = data.path().to_str().expect("utf-8 temp path").to_owned();
    wait::until("the second herald-ui to hand over and exit", wait::STARTUP, || {
        (herald_e2e::process::pids_with_args(&["herald-ui", &data_dir]) == [ui]).then_some(())
    });
    assert_eq!(data.holder("ui.lock"), Some(ui), "still the same UI");

    // `herald --background` while one runs: says so and exits 0 (safe for launch at login).
    let output = data.command("herald").arg("--background").output().expect("run herald");
    assert_eq!(output.status.code(), Some(0));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains(&format!("already running (pid {})", resident.pid())),
        "unexpected output: {stdout}"
    );

    display.close(window);
    wait::until("herald-ui to exit", wait::STARTUP, || {
        if display.window_of(ui, "Herald").is_some_and(|w| w != window) {
            panic!("herald-ui {ui} opened another history window");
        }
        (!is_alive(ui)).then_some(())
    });
    terminate(resident.pid());
    assert_eq!(resident.wait_exit(wait::STARTUP).code(), Some(0));
}
