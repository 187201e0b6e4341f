#!/usr/bin/env bash
# The Windows tests that Wine can run, built for x86_64-pc-windows-gnu with Debian's compiler
# (see scripts/cross.sh) and run under Wine through tools/cross/wine-runner: the GUI-free crates
# and the resident's platform code (event loop, data dirs, launch at login in Wine's registry).
# What Wine cannot run is marked in the tests themselves (cfg or a comment saying why).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
target_dir="${CARGO_TARGET_DIR:-$root/target}/cross"
export PATH="/usr/bin:$PATH" RUSTC_BOOTSTRAP=1 RUSTC=/usr/bin/rustc CARGO_TARGET_DIR="$target_dir"
export CARGO_TARGET_X86_64_PC_WINDOWS_GNU_LINKER=x86_64-w64-mingw32-gcc
export CARGO_TARGET_X86_64_PC_WINDOWS_GNU_RUNNER="$root/tools/cross/wine-runner"
# A prefix of our own, kept between runs (making one takes Wine half a minute).
export WINEPREFIX="$target_dir/wine-prefix" WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
mkdir -p "$target_dir"

# Wine 8 lacks bcryptprimitives.dll, which every Rust program imports (ProcessPrng).
dll="$target_dir/bcryptprimitives.dll"
if [ ! -e "$dll" ] || [ tools/cross/process-prng.c -nt "$dll" ]; then
  x86_64-w64-mingw32-gcc -shared -o "$dll" tools/cross/process-prng.c -ladvapi32
fi

if [ ! -d "$WINEPREFIX/drive_c/windows/system32" ]; then
  echo "== wine: making a prefix in $WINEPREFIX"
  /usr/lib/wine/wine64 wineboot --init >/dev/null 2>&1 || true
fi
# In the prefix's system32, every program finds it: test binaries and the programs they start.
cp "$dll" "$WINEPREFIX/drive_c/windows/system32/bcryptprimitives.dll"

echo "== wine: tests for x86_64-pc-windows-gnu under $(/usr/lib/wine/wine64 --version)"
test=(/usr/bin/cargo test -Zbuild-std=std,panic_abort,test --target x86_64-pc-windows-gnu --locked)
wine_cannot=(
  # A private CA (a feed's --ca-file) goes to Windows' chain engine through the Windows 8 layout
  # of CERT_CHAIN_ENGINE_CONFIG (rustls-platform-verifier sets hExclusiveRoot and
  # dwExclusiveFlags); Wine 8's crypt32 knows only the older size and answers E_INVALIDARG
  # ("Invalid parameter", os error -2147024809) before any connection. Every test that trusts a
  # test CA meets it; Windows itself runs them in the GitHub workflow.
  --skip tls::an_extra_ca_makes_a_private_certificate_trusted
  --skip tls::a_redirect_from_https_to_plain_http_is_refused
  --skip http2::
)
"${test[@]}" -p herald-model -p herald-os -p herald-sse -p herald-store -p herald-engine -p herald-api -p herald-secrets "$@" \
  -- "${wine_cannot[@]}"
# The resident's own tests (event loop, clicks, tray model). Its integration tests drive the
# real binary the Unix way (signals, /proc, file modes); the workflow's Windows runner builds
# and lints them, and they are Linux's.
"${test[@]}" -p herald --bin herald "$@"
