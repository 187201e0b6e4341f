#!/usr/bin/env bash
# `make bundle`: .deb and .rpm packages with both programs (herald-ui, the Tauri app, and herald,
# the resident), built offline with @tauri-apps/cli from npm and the root tauri.conf.json.
# The CLI treats the folder holding tauri.conf.json as the app crate, so it runs in src-tauri with
# a temporary link to the root config, and paths made absolute.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
target="${CARGO_TARGET_DIR:-$root/target}"
cargo build --release --locked -p herald --manifest-path "$root/Cargo.toml"
link="$root/src-tauri/tauri.conf.json"
ln -sfn ../tauri.conf.json "$link"
trap 'rm -f "$link"' EXIT
override="$(cat <<JSON
{
  "build": { "frontendDist": "$root/ui/dist" },
  "bundle": {
    "icon": ["$root/icons/32x32.png", "$root/icons/128x128.png", "$root/icons/128x128@2x.png",
             "$root/icons/icon.icns", "$root/icons/icon.ico"],
    "linux": {
      "deb": { "files": { "/usr/bin/herald": "$target/release/herald" } },
      "rpm": { "files": { "/usr/bin/herald": "$target/release/herald" } }
    }
  }
}
JSON
)"
cd "$root/src-tauri"
"$root/ui/node_modules/.bin/tauri" build --bundles deb,rpm --config "$override"
ls -l "$target"/release/bundle/deb/*.deb "$target"/release/bundle/rpm/*.rpm
