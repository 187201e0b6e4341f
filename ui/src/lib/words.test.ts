import { describe, expect, it } from "vitest";
import { errorWords, feedBadge, isUiError, unreadWords } from "./words";

describe("errorWords", () => {
  it("shows a backend error's words and never debug output", () => {
    expect(errorWords({ code: "database", message: "the disk is full" })).toBe("the disk is full");
    expect(isUiError({ code: "x" })).toBe(false);
    expect(errorWords(new Error("Store(Sqlite(\"...\"))"))).toBe(
      "Something went wrong inside Herald; the log has the details.",
    );
    expect(errorWords("cannot start herald-ui")).toBe("cannot start herald-ui");
  });
});

describe("feedBadge", () => {
  it("says paused for disabled feeds and notes mute", () => {
    expect(feedBadge({ state: "disabled", quiet: false })).toBe("paused");
    expect(feedBadge({ state: "live", quiet: true })).toBe("live, muted");
  });
});

describe("unreadWords", () => {
  it("is empty when nothing is unread", () => {
    expect(unreadWords(0)).toBe("");
    expect(unreadWords(3)).toBe("3 unread");
  });
});
