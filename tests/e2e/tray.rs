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
    assert_eq!(
        menu.layout().labels(),
        ["Do not disturb", "---", "Open Herald", "Settings…", "---", "Quit"]
    );
    assert_eq!(menu.tooltip_title().as_deref(), Some("Herald"));
    assert_eq!(menu.tooltip_text().as_deref(), Some("Herald: no feeds yet"));
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

#[test]
fn the_tray_shows_every_feed_its_state_and_pauses_them_all() {
    require_desktop_session();
    let server = herald_sse_server::SseServer::start(|_, _| {
        herald_sse_server::Reply::stream(
            vec![b"id: 1\ndata: hello\n\n".to_vec()],
            herald_sse_server::End::Hold,
        )
    });
    let data = DataDir::new();
    let herald = |args: &[&str]| {
        let out = data.command("herald").args(args).output().unwrap();
        assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    };
    herald(&["feeds", "add", &server.url("/deploys"), "--name", "Deploys"]);
    let resident = Running::spawn({
        let mut command = data.command("herald");
        command.arg("--background");
        command
    });
    let tray = wait::until("the tray item", wait::STARTUP, || TrayMenu::of_pid(resident.pid()));
    // The first menu the tray publishes already lists every feed (it used to be empty until
    // the first refresh, up to a second later).
    let first = tray.layout().labels();
    assert!(first.iter().any(|l| l.starts_with("Deploys: ")), "the first menu: {first:?}");
    wait::until("the feed live in the menu", wait::STARTUP, || {
        tray.layout().find("Deploys: live").map(|_| ())
    });
    wait::until("the tooltip to sum it up", wait::STARTUP, || {
        (tray.tooltip_text().as_deref() == Some("Herald: 1 feed live, 1 unread")).then_some(())
    });
    let labels = tray.layout().labels();
    for expected in ["Pause all", "Do not disturb", "Open Herald", "Settings…", "Quit"] {
        assert!(labels.iter().any(|l| l == expected), "{expected} in {labels:?}");
    }
    let submenu = tray.layout().find("Deploys: live").unwrap().labels();
    assert_eq!(
        submenu,
        ["Open history", "Pause", "Mute for 1 hour", "Mute until tomorrow", "Reconnect now"]
    );

    // A feed added from the command line appears, live.
    herald(&["feeds", "add", &server.url("/alerts"), "--name", "Alerts"]);
    wait::until("the new feed in the menu", wait::STARTUP, || {
        tray.layout().find("Alerts: live").map(|_| ())
    });

    tray.click("Pause all");
    wait::until("every feed paused", wait::STARTUP, || {
        let layout = tray.layout();
        (layout.find("Deploys: paused").is_some()
            && layout.find("Alerts: paused").is_some()
            && layout.find("Resume all").is_some())
        .then_some(())
    });
    let status = data.command("herald").args(["status", "--json"]).output().unwrap();
    let status: serde_json::Value = serde_json::from_slice(&status.stdout).unwrap();
    assert!(status["feeds"].as_array().unwrap().iter().all(|f| f["state"] == "disabled"));

    tray.click("Mute for 1 hour");
    wait::until("the feed muted", wait::STARTUP, || {
        tray.layout().labels().iter().any(|l| l.ends_with("paused, muted")).then_some(())
    });
}

#[test]
fn the_tray_registers_as_soon_as_a_tray_host_appears() {
    require_desktop_session();
    // A bus of its own: the watcher's name must not reach the other tests' sessions.
    let session = herald_e2e::keyring::KeyringSession::start(herald_e2e::keyring::Keyring::Absent);
    let data = DataDir::new();
    let resident = Running::spawn({
        let mut command = data.command("herald");
        command.arg("--background");
        session.apply(&mut command);
        command
    });
    // Running with no host yet: its item is on the bus, registered with nobody.
    let bus = zbus::blocking::connection::Builder::address(session.bus_address())
        .and_then(|b| b.build())
        .expect("the private bus");
    let prefix = format!("org.kde.StatusNotifierItem-{}-", resident.pid());
    wait::until("the tray item on the bus", wait::STARTUP, || {
        let reply = bus
            .call_method(
                Some("org.freedesktop.DBus"),
                "/org/freedesktop/DBus",
                Some("org.freedesktop.DBus"),
                "ListNames",
                &(),
            )
            .ok()?;
        let names: Vec<String> = reply.body().deserialize().ok()?;
        names.iter().any(|n| n.starts_with(&prefix)).then_some(())
    });
    let watcher = herald_e2e::sni_watcher::SniWatcher::start(session.bus_address());
    let items = wait::until("the item to register", wait::STARTUP, || {
        Some(watcher.items()).filter(|items| !items.is_empty())
    });
    assert!(items[0].starts_with(&prefix) || items[0].starts_with(':'), "{items:?}");
}
