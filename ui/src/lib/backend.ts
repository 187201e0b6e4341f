// The one module that talks to Rust. Components import from here, never from @tauri-apps/api,
// so every call the UI makes is listed in one place.
import { invoke } from "@tauri-apps/api/core";
import type { WindowKind } from "./route";

export interface AppInfo {
  version: string;
  data_dir: string;
}

export function appInfo(): Promise<AppInfo> {
  return invoke<AppInfo>("app_info");
}

export function openWindow(window: WindowKind): Promise<void> {
  return invoke("open_window", { window });
}
