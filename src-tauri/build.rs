fn main() {
    // The config lives at the repository root (one file for the app and the bundler).
    tauri_build::try_build(tauri_build::Attributes::new().config_path("../tauri.conf.json"))
        .expect("tauri build script failed (is ui/dist built? run `make ui`)");
}
