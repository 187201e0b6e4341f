#!/usr/bin/env bash
# `make demo`: a local event source and Herald in a throwaway data dir, so a new user sees it
# work within a minute. Ctrl-C (or closing after the hour the demo server runs) cleans up.
set -euo pipefail
bin="${1:?usage: demo.sh TARGET_DIR/debug}"
port="${DEMO_PORT:-8787}"
dir="$(mktemp -d -t herald-demo-XXXXXX)"

cleanup() {
  kill "${server:-}" 2>/dev/null || true
  if [ -f "$dir/resident.lock.pid" ]; then kill "$(cat "$dir/resident.lock.pid")" 2>/dev/null || true; fi
  if [ -f "$dir/ui.lock.pid" ]; then kill "$(cat "$dir/ui.lock.pid")" 2>/dev/null || true; fi
  rm -rf "$dir"
}
trap cleanup EXIT INT TERM

"$bin/herald-demo-server" "$port" 3600 &
server=$!
"$bin/herald" --data-dir "$dir" feeds add "http://127.0.0.1:$port/ops" --name Demo
"$bin/herald" --data-dir "$dir" feeds add "http://127.0.0.1:$((port + 1))/demo/sse" \
  --name "Demo ntfy" --preset ntfy
# Starts the resident (tray, feeds, notifications) and opens the history window.
"$bin/herald" --data-dir "$dir"
echo "Herald runs on a throwaway data dir ($dir). Events arrive every few seconds; Ctrl-C ends the demo."
wait "$server"
