#!/usr/bin/env bash
# Installs what building and testing Herald needs on Debian/Ubuntu, and only what is missing.
# As root it uses apt directly, with passwordless sudo it uses sudo; otherwise it prints the
# exact command to run and stops.
set -euo pipefail

packages=(
  # Building the UI process (Tauri on WebKitGTK) and the bundles.
  build-essential pkg-config file libssl-dev libwebkit2gtk-4.1-dev libayatana-appindicator3-dev
  librsvg2-dev libxdo-dev
  # Running the end-to-end tests: a private X display and D-Bus session, WebKit's WebDriver,
  # a real Secret Service and a real notification daemon.
  xvfb xauth dbus dbus-x11 webkit2gtk-driver gnome-keyring libsecret-tools dunst x11-utils
  # Checking Windows and macOS (`make cross`): Debian's Rust with its standard library's source
  # and clippy (any target, through -Zbuild-std), mingw-w64 to link Windows programs, and Wine
  # to run their tests.
  rustc-web cargo-web rust-web-src rust-web-clippy rust-web-llvm gcc-mingw-w64-x86-64 wine wine64
)

missing=()
for pkg in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done

if ((${#missing[@]})); then
  cmd=(apt-get install -y --no-install-recommends "${missing[@]}")
  if [ "$(id -u)" = 0 ]; then sudo=()
  elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then sudo=(sudo)
  else
    echo "Herald needs these packages: ${missing[*]}" >&2
    echo "Install them with:  sudo apt-get update && sudo ${cmd[*]}" >&2
    exit 1
  fi
  echo "Installing: ${missing[*]}"
  "${sudo[@]}" apt-get update -q
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" "${cmd[@]}"
fi

need_node="20.19.0"
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "Herald's UI needs Node.js >= $need_node with npm (https://nodejs.org or your package manager)." >&2
  exit 1
fi
have_node=$(node --version | tr -d v)
if [ "$(printf '%s\n%s\n' "$need_node" "$have_node" | sort -V | head -n1)" != "$need_node" ]; then
  echo "Herald's UI needs Node.js >= $need_node; this machine has $have_node." >&2
  exit 1
fi
command -v cargo >/dev/null || { echo "Herald needs Rust (https://rustup.rs)." >&2; exit 1; }
