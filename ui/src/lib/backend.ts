// The one module that talks to Rust. Components import from here, never from @tauri-apps/api,
// so every call the UI makes is listed in one place. The commands, events and types are
// generated from Rust (./bindings: ts-rs, and commands.ts from src-tauri's one declaration of
// each command); `make test` fails when they are stale.
import { untrack } from "svelte";
import * as bridge from "./bindings/commands";
import { entryId } from "./route";
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
import type { TestEvent } from "./bindings/TestEvent";
import type { UiError } from "./bindings/UiError";

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

export {
  appInfo,
  deleteEntries,
  deleteFeed,
  exportFeeds,
  feedForm,
  feeds,
  formWithPreset,
  general,
  importFeeds,
  onStoreChanged,
  openDataFolder,
  openLink,
  openWindow,
  previewFeed,
  reconnect,
  runFeed,
  saveFeed,
  setDoNotDisturb,
  setGeneral,
  setLaunchAtLogin,
  setQuietHours,
  testConnection,
} from "./bindings/commands";

/** One page of history, newest first; `before` (an entry id) for the next page. */
export function history(filter: Partial<HistoryFilter> = {}): Promise<EntryView[]> {
  return bridge.history({
    feed_id: filter.feed_id ?? null,
    search: filter.search ?? null,
    unread_only: filter.unread_only ?? false,
    before: filter.before ?? null,
  });
}

/** Marks entries read (or, with `read` false, unread); resolves to how many changed. */
export function markRead(scope: HistoryScope, read = true): Promise<number> {
  return bridge.markRead(scope, read);
}

/**
 * Calls `onShow` with a history entry's id when the user asks to see that entry while this
 * window is already open (a click on its notification); returns what stops listening.
 */
export function onShowEntry(onShow: (id: number) => void): () => void {
  const stop = bridge.onNavigate((payload) => {
    const id = entryId(payload);
    if (id !== null) {
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
  const stop = bridge.onStoreChanged(() => refresh());
  return () => {
    stop.then((unlisten) => unlisten());
  };
}
