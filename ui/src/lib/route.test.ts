import { describe, expect, it } from "vitest";
import { entryId, parseRoute } from "./route";

describe("parseRoute", () => {
  it("reads the window and the event", () => {
    expect(parseRoute("?window=settings&event=%61%62")).toEqual({ window: "settings", event: "ab" });
  });

  it("falls back to the history window for anything unknown", () => {
    expect(parseRoute("?window=<script>")).toEqual({ window: "history", event: null });
    expect(parseRoute("")).toEqual({ window: "history", event: null });
  });

  it("treats an empty event as none", () => {
    expect(parseRoute("?window=history&event=").event).toBeNull();
  });
});

describe("entryId", () => {
  it("reads an entry id and nothing else", () => {
    expect(entryId("42")).toBe(42);
    for (const bad of [null, "", " ", "4.5", "abc", "1e400", "9007199254740993"]) {
      expect(entryId(bad)).toBeNull();
    }
  });
});
