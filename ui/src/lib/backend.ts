// The one module that talks to Rust. Components import from here, never from @tauri-apps/api,
// so every call the UI makes is listed in one place. The types come from Rust (ts-rs, in
// ./bindings); `make test` fails when they are stale.
import { invoke } from "@tauri-apps/api/core";
import { listen, type UnlistenFn } from "@tauri-apps/api/event";
import type { AppInfo } from "./bindings/AppInfo";
import type { EntryView } from "./bindings/EntryView";
import type { FeedView } from "./bindings/FeedView";
import type { GeneralView } from "./bindings/GeneralView";
import type { StoreChanged } from "./bindings/StoreChanged";
import type { UiError } from "./bindings/UiError";
import type { WindowKind } from "./route";

export type { AppInfo, EntryView, FeedView, GeneralView, UiError };

export function appInfo(): Promise<AppInfo> {
  return invoke<AppInfo>("app_info");
}

export function openWindow(window: WindowKind): Promise<void> {
  return invoke("open_window", { window });
}

export function feeds(): Promise<FeedView[]> {
  return invoke<FeedView[]>("feeds");
}

export function history(
  query: { feedId?: string; search?: string; before?: number } = {},
): Promise<EntryView[]> {
  return invoke<EntryView[]>("history", {
    feedId: query.feedId ?? null,
    search: query.search ?? null,
    before: query.before ?? null,
  });
}

export function general(): Promise<GeneralView> {
  return invoke<GeneralView>("general");
}

export function setDoNotDisturb(on: boolean): Promise<GeneralView> {
  return invoke<GeneralView>("set_do_not_disturb", { on });
}

export function setLaunchAtLogin(on: boolean): Promise<GeneralView> {
  return invoke<GeneralView>("set_launch_at_login", { on });
}

/** Asks the resident to reconnect a feed now. */
export function reconnect(feedId: string): Promise<void> {
  return invoke("reconnect", { feedId });
}

/** Calls `onChange` whenever the store changed, in this process or another. */
export function onStoreChanged(onChange: (change: StoreChanged) => void): Promise<UnlistenFn> {
  return listen<StoreChanged>("store-changed", (event) => onChange(event.payload));
}

/** Runs `refresh` now and whenever the store changes; returns what stops it (for $effect). */
export function followStore(refresh: () => void): () => void {
  refresh();
  const stop = onStoreChanged(() => refresh());
  return () => {
    stop.then((unlisten) => unlisten());
  };
}
