#!/usr/bin/env bash
# Regenerates every icon from herald.svg. The results are committed; run this after editing the SVG.
# Needs only the UI's npm deps: `tauri icon` rasterises SVG itself (resvg), so every icon comes from one renderer.
set -euo pipefail
cd "$(dirname "$0")"
# App and bundle icons (PNG sizes, .ico, .icns) in the layout Tauri's bundler expects.
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
render() { (cd ../ui && npx --no-install tauri icon "$1" -o "$2" >/dev/null 2>&1); }
render ../icons/herald.svg "$tmp"
cp "$tmp"/{32x32.png,64x64.png,128x128.png,128x128@2x.png,icon.png,icon.ico,icon.icns} .
# Tray variants, 64 px (crisp at 2x on a 32 px panel): a badge in one corner tells the state.
mkdir -p tray
tray() { # name, extra SVG drawn on top (empty for none), tile colours
  sed -e "s|#4f46e5|$3|; s|#7c3aed|$4|; s|</svg>|$2</svg>|" herald.svg >"$tmp/$1.svg"
  render "$tmp/$1.svg" "$tmp/$1" && cp "$tmp/$1/64x64.png" "tray/$1.png"
}
badge() { echo "<circle cx=\"400\" cy=\"112\" r=\"104\" fill=\"$1\" stroke=\"#ffffff\" stroke-width=\"24\"/>$2"; }
tray normal "" "#4f46e5" "#7c3aed"
tray unread "$(badge '#f59e0b' '')" "#4f46e5" "#7c3aed"
tray attention "$(badge '#dc2626' '<rect x="388" y="52" width="24" height="76" rx="12" fill="#fff"/><circle cx="400" cy="162" r="14" fill="#fff"/>')" "#4f46e5" "#7c3aed"
tray paused "$(badge '#6b7280' '<rect x="364" y="68" width="24" height="88" rx="8" fill="#fff"/><rect x="412" y="68" width="24" height="88" rx="8" fill="#fff"/>')" "#6b7280" "#9ca3af"
