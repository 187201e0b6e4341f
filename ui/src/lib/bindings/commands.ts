// Generated from src-tauri/src/commands.rs and src-tauri/src/bridge.rs by `cargo test -p herald-ui`.
// Do not edit: `make test` fails when this file differs from what Rust generates.

import { invoke } from "@tauri-apps/api/core";
import { listen, type UnlistenFn } from "@tauri-apps/api/event";
import type { AppInfo } from "./AppInfo";
import type { ConnectionTest } from "./ConnectionTest";
import type { EntryView } from "./EntryView";
import type { FeedForm } from "./FeedForm";
import type { FeedView } from "./FeedView";
import type { GeneralSettings } from "./GeneralSettings";
import type { GeneralView } from "./GeneralView";
import type { HistoryFilter } from "./HistoryFilter";
import type { HistoryScope } from "./HistoryScope";
import type { Preset } from "./Preset";
import type { PreviewView } from "./PreviewView";
import type { StoreChanged } from "./StoreChanged";
import type { WindowKind } from "./WindowKind";

export function appInfo(): Promise<AppInfo> {
  return invoke<AppInfo>("app_info");
}

export function openWindow(window: WindowKind): Promise<void> {
  return invoke<void>("open_window", { window });
}

export function feeds(): Promise<Array<FeedView>> {
  return invoke<Array<FeedView>>("feeds");
}

/** One page of history, newest first; `before` (an entry id) for the next page. */
export function history(filter: HistoryFilter): Promise<Array<EntryView>> {
  return invoke<Array<EntryView>>("history", { filter });
}

export function markRead(scope: HistoryScope, read: boolean): Promise<number> {
  return invoke<number>("mark_read", { scope, read });
}

export function deleteEntries(scope: HistoryScope): Promise<number> {
  return invoke<number>("delete_entries", { scope });
}

/** Opens an http(s) link in the browser; anything else is refused. */
export function openLink(link: string): Promise<void> {
  return invoke<void>("open_link", { link });
}

export function openDataFolder(): Promise<void> {
  return invoke<void>("open_data_folder");
}

export function feedForm(feedId: string | null): Promise<FeedForm> {
  return invoke<FeedForm>("feed_form", { feedId });
}

/** Adds (no feed id) or changes a feed; a typed secret goes to the keyring, never stored. */
export function saveFeed(feedId: string | null, form: FeedForm, secret: string | null): Promise<FeedView> {
  return invoke<FeedView>("save_feed", { feedId, form, secret });
}

export function deleteFeed(feedId: string, keepHistory: boolean): Promise<void> {
  return invoke<void>("delete_feed", { feedId, keepHistory });
}

/** The form with another preset chosen, its connection settings brought along. */
export function formWithPreset(form: FeedForm, preset: Preset): Promise<FeedForm> {
  return invoke<FeedForm>("form_with_preset", { form, preset });
}

export function previewFeed(feedId: string | null, form: FeedForm): Promise<PreviewView> {
  return invoke<PreviewView>("preview_feed", { feedId, form });
}

/** Connects once with the form's settings and reports; nothing is stored or notified. */
export function testConnection(feedId: string | null, form: FeedForm, secret: string | null): Promise<ConnectionTest> {
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
  return invoke<void>("reconnect", { feedId });
}

/** Runs a finished feed (a POST job's stream) again. */
export function runFeed(feedId: string): Promise<void> {
  return invoke<void>("run_feed", { feedId });
}

/** Calls `handler` whenever the store changed, in this process or another. */
export function onStoreChanged(handler: (payload: StoreChanged) => void): Promise<UnlistenFn> {
  return listen<StoreChanged>("store-changed", (event) => handler(event.payload));
}

/** Calls `handler` with a history entry's id when a notification's entry should show. */
export function onNavigate(handler: (payload: string) => void): Promise<UnlistenFn> {
  return listen<string>("navigate", (event) => handler(event.payload));
}
