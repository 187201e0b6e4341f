//! The resident's memory right after start: the point of the two-process design. The figure is
//! printed for the record; the bound only catches a gross regression (say, GTK or WebKit linked
//! back in). `make bench` measures the release build properly.

use herald_e2e::dbusmenu::TrayMenu;
use herald_e2e::process::{DataDir, Running, pss_kib};
use herald_e2e::{require_desktop_session, wait};

#[test]
fn resident_footprint_after_start() {
    require_desktop_session();
    let data = DataDir::new();
    let resident = Running::spawn({
        let mut command = data.command("herald");
        command.arg("--background");
        command
    });
    wait::until("the tray item", wait::STARTUP, || TrayMenu::of_pid(resident.pid()));
    let pss = pss_kib(resident.pid());
    #[allow(clippy::print_stdout)]
    {
        println!("resident PSS after start (debug build): {pss} KiB");
    }
    assert!(pss > 0);
    assert!(pss < 40 * 1024, "the resident uses {pss} KiB: did a GUI toolkit get linked in?");
}
