// Which window this webview is, and what it was asked to show. herald-ui opens each window at
// `index.html?window=<WindowKind>[&event=ID]`; the window names come from Rust.
import type { WindowKind } from "./bindings/WindowKind";

export type { WindowKind };

export interface Route {
  window: WindowKind;
  event: string | null;
}

export function parseRoute(search: string): Route {
  const params = new URLSearchParams(search);
  const window: WindowKind = params.get("window") === "settings" ? "settings" : "history";
  const event = params.get("event");
  return { window, event: event === "" ? null : event };
}

/** A history entry's id as the URL or the `navigate` event carries it (text); null if none. */
export function entryId(text: string | null): number | null {
  if (text === null || text.trim() === "") {
    return null;
  }
  const id = Number(text);
  return Number.isSafeInteger(id) ? id : null;
}
