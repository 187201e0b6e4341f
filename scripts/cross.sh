#!/usr/bin/env bash
# Windows and macOS from a Linux machine: every crate type-checked and linted with clippy for
# x86_64-pc-windows-gnu, aarch64-apple-darwin and x86_64-apple-darwin, then the Windows tests run
# under Wine. `make cross` runs this; `make test` runs `make cross`.
#
# rustup cannot fetch other targets' standard library offline, so this uses Debian's compiler
# (rustc-web, with the standard library's source in rust-web-src) and builds std for each target
# with -Zbuild-std; RUSTC_BOOTSTRAP lets that stable compiler take the -Z flag, here only.
# macOS has no SDK or linker here: a stand-in C compiler (tools/cross/stand-in-cc) lets build
# scripts that compile C finish, and a check never links. Windows links with mingw-w64.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
outer_target_dir="${CARGO_TARGET_DIR:-$root/target}"
target_dir="$outer_target_dir/cross"

# Debian's toolchain first on PATH, so that `cargo clippy` finds Debian's clippy-driver (the one
# that matches /usr/bin/rustc), not rustup's.
export PATH="/usr/bin:$PATH" RUSTC_BOOTSTRAP=1 RUSTC=/usr/bin/rustc CARGO_TARGET_DIR="$target_dir"
cargo=(/usr/bin/cargo)
build_std=(-Zbuild-std=std,panic_abort)

for mac in aarch64_apple_darwin x86_64_apple_darwin; do
  export "CC_$mac=$root/tools/cross/stand-in-cc" "CXX_$mac=$root/tools/cross/stand-in-cc" "AR_$mac=ar"
done
# Build scripts that look for an SDK find none either way; an existing dir keeps them quiet.
export SDKROOT=/tmp
export CARGO_TARGET_X86_64_PC_WINDOWS_GNU_LINKER=x86_64-w64-mingw32-gcc

# The end-to-end crate drives Linux's X display and D-Bus session; it has nothing to check on
# the other platforms.
packages=(--workspace --exclude herald-e2e)

lint() {
  local target=$1
  echo "== cross: clippy for $target"
  "${cargo[@]}" clippy "${build_std[@]}" --target "$target" "${packages[@]}" --all-targets --locked -- -D warnings
}

case "${1:-all}" in
  lint) shift; for t in "${@:-x86_64-pc-windows-gnu aarch64-apple-darwin x86_64-apple-darwin}"; do for x in $t; do lint "$x"; done; done ;;
  wine) CARGO_TARGET_DIR="$outer_target_dir" exec scripts/wine-tests.sh ;;
  all)
    for t in x86_64-pc-windows-gnu aarch64-apple-darwin x86_64-apple-darwin; do lint "$t"; done
    CARGO_TARGET_DIR="$outer_target_dir" scripts/wine-tests.sh
    ;;
  *) echo "usage: scripts/cross.sh [all|lint [TARGET...]|wine]" >&2; exit 2 ;;
esac
