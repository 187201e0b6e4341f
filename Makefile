# Herald: `make run` and `make test` are the two commands a new checkout needs (see README.md).
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := run

CARGO ?= cargo
TARGET_DIR := $(or $(CARGO_TARGET_DIR),$(CURDIR)/target)
NPM_STAMP := ui/node_modules/.herald-stamp
TAURI_DRIVER_VERSION := ^2

.PHONY: run demo bundle test deps ui build lint ui-check unit bindings e2e check-resident tauri-driver cross bench clean

## Install what is missing, build, and start the tray app.
run: deps build
	$(TARGET_DIR)/debug/herald

## A demo anyone can run: a local event source and Herald in a throwaway data dir, with a
## "Demo" feed (deploys, alerts, bursts) and an ntfy-format "Demo ntfy" feed.
demo: deps build
	$(CARGO) build -p herald-sse-server --bin herald-demo-server
	scripts/demo.sh $(TARGET_DIR)/debug

## .deb and .rpm with both programs, offline (release builds).
bundle: deps ui
	CARGO_TARGET_DIR=$(TARGET_DIR) scripts/bundle.sh

deps:
	@scripts/install-deps.sh

$(NPM_STAMP): ui/package.json ui/package-lock.json
	cd ui && npm ci --no-audit --no-fund
	touch $@

## The UI bundle that herald-ui embeds (the Tauri build script needs it before compiling).
ui: $(NPM_STAMP)
	cd ui && npm run build

build: ui
	$(CARGO) build -p herald -p herald-ui

## The whole suite: formatting, lints, the UI's type check and unit tests, Rust tests, then the
## end-to-end tests on a private X display and D-Bus session.
test: deps ui lint ui-check unit bindings build check-resident bundle e2e cross

lint:
	$(CARGO) fmt --all --check
	$(CARGO) clippy --workspace --all-targets --locked -- -D warnings

ui-check: $(NPM_STAMP)
	cd ui && npm run check && npm test && npm run lint:workflows

unit:
	$(CARGO) test --workspace --exclude herald-e2e --locked

## The resident must stay free of Tauri, GTK and WebKit: that is what keeps it at ~10 MB.
check-resident: build
	@if $(CARGO) tree -p herald -e normal --prefix none | grep -Eiq '^(tauri|gtk|webkit|wry|tao) '; then \
	  echo "herald depends on a GUI toolkit:"; $(CARGO) tree -p herald -e normal -i tauri 2>/dev/null | head; exit 1; fi
	@if ldd $(TARGET_DIR)/debug/herald | grep -Eiq 'gtk|webkit|gdk'; then \
	  echo "herald links a GUI toolkit:"; ldd $(TARGET_DIR)/debug/herald | grep -Ei 'gtk|webkit|gdk'; exit 1; fi
	@echo "check-resident: herald links no Tauri, GTK or WebKit"

tauri-driver:
	@command -v tauri-driver >/dev/null || [ -x "$$HOME/.cargo/bin/tauri-driver" ] || \
	  $(CARGO) install tauri-driver --locked --version '$(TAURI_DRIVER_VERSION)'

## The TypeScript types and commands the UI uses are generated from Rust (ts-rs and the bridge)
## when `unit` runs the tests; committed files that differ from the generated ones fail the build.
bindings:
	@if ! git diff --quiet -- ui/src/lib/bindings || \
	  [ -n "$$(git ls-files --others --exclude-standard -- ui/src/lib/bindings)" ]; then \
	  echo "ui/src/lib/bindings is stale: run cargo test -p herald-model -p herald-api -p herald-ui and commit the result"; \
	  git status --short -- ui/src/lib/bindings; exit 1; fi
	@echo "bindings: ui/src/lib/bindings matches the Rust types"

## Windows and macOS from this machine: clippy (-D warnings) for x86_64-pc-windows-gnu,
## aarch64-apple-darwin and x86_64-apple-darwin, then the Windows tests under Wine
## (scripts/cross.sh says how).
cross: deps ui
	scripts/cross.sh all

## End-to-end tests fail (never skip) without a display, bus or driver, so they run inside both.
e2e: build tauri-driver
	PATH="$$HOME/.cargo/bin:$$PATH" xvfb-run -a -s "-screen 0 1280x800x24" \
	  dbus-run-session -- $(CARGO) test -p herald-e2e --locked -- --test-threads=2

## Benchmarks (release builds; figures go into BENCHMARKS.md by hand, with this command).
bench:
	$(CARGO) build --release -p herald -p herald-ui
	cd bench/node && npm ci --no-audit --no-fund
	cd bench && $(CARGO) run --release -p herald-bench-parser -- $(TARGET_DIR)/bench-corpus $(TARGET_DIR)/release/herald
	cd bench && $(CARGO) run --release -p herald-bench-store
	cd bench && xvfb-run -a -s "-screen 0 1280x800x24" dbus-run-session -- \
	  $(CARGO) run --release -p herald-bench-engine -- $(TARGET_DIR)/release/herald
	xvfb-run -a -s "-screen 0 1280x800x24" dbus-run-session -- \
	  $(CARGO) bench -p herald-e2e --bench history_window
	dbus-run-session -- $(CARGO) bench -p herald-e2e --bench resident

clean:
	$(CARGO) clean
	rm -rf ui/dist ui/node_modules
