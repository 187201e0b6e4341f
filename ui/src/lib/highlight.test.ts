import { describe, expect, it } from "vitest";
import { highlightParts, prettyData } from "./highlight";

describe("highlightParts", () => {
  it("splits a snippet into plain and matched text", () => {
    expect(highlightParts("deploy \uE000failed\uE001 on \uE000prod\uE001")).toEqual([
      { text: "deploy ", match: false },
      { text: "failed", match: true },
      { text: " on ", match: false },
      { text: "prod", match: true },
    ]);
  });

  it("keeps markup as text and survives unbalanced marks", () => {
    expect(highlightParts("<img src=x onerror=alert(1)>")).toEqual([
      { text: "<img src=x onerror=alert(1)>", match: false },
    ]);
    expect(highlightParts("a\uE000b")).toEqual([
      { text: "a", match: false },
      { text: "b", match: true },
    ]);
    expect(highlightParts("")).toEqual([]);
  });
});

describe("prettyData", () => {
  it("pretty-prints JSON and leaves other text alone", () => {
    expect(prettyData('{"a":1,"b":[2]}')).toBe('{\n  "a": 1,\n  "b": [\n    2\n  ]\n}');
    expect(prettyData("{not json")).toBe("{not json");
    expect(prettyData("plain words")).toBe("plain words");
  });
});
