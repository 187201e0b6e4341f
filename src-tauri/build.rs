/// Every command the windows may call. Each gets an `allow-<command>` permission, and each
/// window's capability in tauri.conf.json grants only the ones it uses.
const COMMANDS: &[&str] = &[
    "app_info",
    "open_window",
    "feeds",
    "history",
    "general",
    "set_do_not_disturb",
    "set_launch_at_login",
    "reconnect",
    "run_feed",
    "mark_read",
    "delete_entries",
    "open_link",
    "open_data_folder",
    "feed_form",
    "save_feed",
    "delete_feed",
    "form_with_preset",
    "preview_feed",
    "test_connection",
    "export_feeds",
    "import_feeds",
    "set_quiet_hours",
    "set_general",
];

fn main() {
    // The windows' files are compiled in. Named relative to this package, so a target dir that
    // also builds other checkouts (CI keeps one) still rebuilds when this checkout's UI changes;
    // tauri-build's own watch names an absolute path, that of whichever checkout built last.
    println!("cargo:rerun-if-changed=../ui/dist");
    // The config lives at the repository root (one file for the app and the bundler).
    tauri_build::try_build(
        tauri_build::Attributes::new()
            .config_path("../tauri.conf.json")
            .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS)),
    )
    .expect("tauri build script failed (is ui/dist built? run `make ui`)");
}
