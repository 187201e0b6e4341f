// The one module that talks to Rust. Components import from here, never from @tauri-apps/api,
// so every call the UI makes is listed in one place. The types come from Rust (ts-rs, in
// ./bindings); `make test` fails when they are stale.
import { invoke } from "@tauri-apps/api/core";
import { listen, type UnlistenFn } from "@tauri-apps/api/event";
import { untrack } from "svelte";
import type { AppInfo } from "./bindings/AppInfo";
import type { ConnectionTest } from "./bindings/ConnectionTest";
import type { EntryView } from "./bindings/EntryView";
import type { FeedForm } from "./bindings/FeedForm";
import type { FeedView } from "./bindings/FeedView";
import type { GeneralSettings } from "./bindings/GeneralSettings";
import type { GeneralView } from "./bindings/GeneralView";
import type { HistoryFilter } from "./bindings/HistoryFilter";
import type { HistoryScope } from "./bindings/HistoryScope";
import type { PreviewView } from "./bindings/PreviewView";
import type { StoreChanged } from "./bindings/StoreChanged";
import type { TestEvent } from "./bindings/TestEvent";
import type { UiError } from "./bindings/UiError";
import type { WindowKind } from "./route";

export type {
  AppInfo,
  ConnectionTest,
  EntryView,
  FeedForm,
  FeedView,
  GeneralSettings,
  GeneralView,
  HistoryFilter,
  HistoryScope,
  PreviewView,
  TestEvent,
  UiError,
};

export function appInfo(): Promise<AppInfo> {
  return invoke<AppInfo>("app_info");
}

export function openWindow(window: WindowKind): Promise<void> {
  return invoke("open_window", { window });
}

export function feeds(): Promise<FeedView[]> {
  return invoke<FeedView[]>("feeds");
}

/** One page of history, newest first; `before` (an entry id) for the next page. */
export function history(filter: Partial<HistoryFilter> = {}): Promise<EntryView[]> {
  const full: HistoryFilter = {
    feed_id: filter.feed_id ?? null,
    search: filter.search ?? null,
    unread_only: filter.unread_only ?? false,
    before: filter.before ?? null,
  };
  return invoke<EntryView[]>("history", { filter: full });
}

export function markRead(scope: HistoryScope, read = true): Promise<number> {
  return invoke<number>("mark_read", { scope, read });
}

export function deleteEntries(scope: HistoryScope): Promise<number> {
  return invoke<number>("delete_entries", { scope });
}

/** Opens an http(s) link in the browser; anything else is refused by Rust too. */
export function openLink(link: string): Promise<void> {
  return invoke("open_link", { link });
}

export function openDataFolder(): Promise<void> {
  return invoke("open_data_folder");
}

export function feedForm(feedId: string | null): Promise<FeedForm> {
  return invoke<FeedForm>("feed_form", { feedId });
}

/** Adds (feedId null) or changes a feed; a typed secret goes to the keyring, never stored here. */
export function saveFeed(feedId: string | null, form: FeedForm, secret: string | null): Promise<FeedView> {
  return invoke<FeedView>("save_feed", { feedId, form, secret });
}

export function deleteFeed(feedId: string, keepHistory: boolean): Promise<void> {
  return invoke("delete_feed", { feedId, keepHistory });
}

export function previewFeed(feedId: string | null, form: FeedForm): Promise<PreviewView> {
  return invoke<PreviewView>("preview_feed", { feedId, form });
}

export function testConnection(
  feedId: string | null,
  form: FeedForm,
  secret: string | null,
): Promise<ConnectionTest> {
  return invoke<ConnectionTest>("test_connection", { feedId, form, secret });
}

export function exportFeeds(): Promise<string> {
  return invoke<string>("export_feeds");
}

export function importFeeds(text: string, source: string): Promise<number> {
  return invoke<number>("import_feeds", { text, source });
}

export function setQuietHours(from: string | null, to: string | null): Promise<GeneralView> {
  return invoke<GeneralView>("set_quiet_hours", { from, to });
}

export function setGeneral(settings: GeneralSettings): Promise<GeneralView> {
  return invoke<GeneralView>("set_general", { settings });
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

/** Runs a finished feed (a POST job's stream) again. */
export function runFeed(feedId: string): Promise<void> {
  return invoke("run_feed", { feedId });
}

/** Calls `onChange` whenever the store changed, in this process or another. */
export function onStoreChanged(onChange: (change: StoreChanged) => void): Promise<UnlistenFn> {
  return listen<StoreChanged>("store-changed", (event) => onChange(event.payload));
}

/**
 * Calls `onShow` with a history entry's id when the user asks to see that entry while this
 * window is already open (a click on its notification); returns what stops listening.
 */
export function onShowEntry(onShow: (id: number) => void): () => void {
  const stop = listen<string>("navigate", (event) => {
    const id = Number(event.payload);
    if (event.payload.trim() !== "" && Number.isSafeInteger(id)) {
      onShow(id);
    }
  });
  return () => {
    stop.then((unlisten) => unlisten());
  };
}

/**
 * Runs `refresh` now and whenever the store changes; returns what stops it (for $effect).
 * What `refresh` reads is not tracked: the effect must not re-subscribe whenever it runs.
 */
export function followStore(refresh: () => void): () => void {
  untrack(refresh);
  const stop = onStoreChanged(() => refresh());
  return () => {
    stop.then((unlisten) => unlisten());
  };
}
