//! The resident's tray, read and clicked over D-Bus the way a desktop's tray host does.

use herald_e2e::dbusmenu::TrayMenu;
use herald_e2e::desktop::Display;
use herald_e2e::process::{DataDir, Running, is_alive};
use herald_e2e::{require_desktop_session, wait};

#[test]
fn tray_menu_opens_the_history_window_and_quits_cleanly() {
    require_desktop_session();
    let data = DataDir::new();
    let mut resident = Running::spawn({
        let mut command = data.command("herald");
        command.arg("--background");
        command
    });
    let menu = wait::until("the tray item on the session bus", wait::STARTUP, || {
        TrayMenu::of_pid(resident.pid())
    });
    assert_eq!(menu.layout().labels(), ["Open Herald", "Settings…", "---", "Quit"]);
    assert_eq!(menu.tooltip_title().as_deref(), Some("Herald"));
    assert_eq!(data.holder("ui.lock"), None, "--background must not open a window");

    menu.click("Open Herald");
    let ui_pid = wait::until("herald-ui to start", wait::STARTUP, || data.holder("ui.lock"));
    let display = Display::open();
    let window = wait::until("the history window to map", wait::STARTUP, || {
        display.window_of(ui_pid, "Herald")
    });

    display.close(window);
    wait::until("herald-ui to exit after its last window closed", wait::STARTUP, || {
        (!is_alive(ui_pid)).then_some(())
    });
    assert!(is_alive(resident.pid()), "closing the window must not stop the resident");

    menu.click_exit("Quit");
    let status = resident.wait_exit(wait::STARTUP);
    assert_eq!(status.code(), Some(0), "Quit must stop the resident cleanly: {status}");
    assert_eq!(data.holder("resident.lock"), None, "the lock is released on exit");
}

#[test]
fn settings_item_opens_the_settings_window() {
    require_desktop_session();
    let data = DataDir::new();
    let mut resident = Running::spawn({
        let mut command = data.command("herald");
        command.arg("--background");
        command
    });
    let menu = wait::until("the tray item", wait::STARTUP, || TrayMenu::of_pid(resident.pid()));
    menu.click("Settings…");
    let ui_pid = wait::until("herald-ui to start", wait::STARTUP, || data.holder("ui.lock"));
    let display = Display::open();
    let window = wait::until("the settings window to map", wait::STARTUP, || {
        display.window_of(ui_pid, "Herald Settings")
    });
    assert!(display.window_of(ui_pid, "Herald").is_none(), "only the settings window opens");
    display.close(window);
    wait::until("herald-ui to exit", wait::STARTUP, || (!is_alive(ui_pid)).then_some(()));
    herald_e2e::process::terminate(resident.pid());
    assert_eq!(resident.wait_exit(wait::STARTUP).code(), Some(0), "SIGTERM stops cleanly");
}
