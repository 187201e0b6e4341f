import { describe, expect, it } from "vitest";
import { blankForm, fromLines, joinAuth, needsSecret, secretHint, splitAuth, toLines, urlProblem } from "./form";

describe("lines", () => {
  it("edits lists as lines, dropping blank ones", () => {
    expect(fromLines(" X-Team: ops \n\n  \nX-Env: prod")).toEqual(["X-Team: ops", "X-Env: prod"]);
    expect(toLines(["a", "b"])).toBe("a\nb");
  });
});

describe("auth", () => {
  it("splits and joins kinds with a name", () => {
    expect(splitAuth("header:X-Api-Key")).toEqual({ choice: "header", name: "X-Api-Key" });
    expect(splitAuth("bearer")).toEqual({ choice: "bearer", name: "" });
    expect(splitAuth("weird")).toEqual({ choice: "none", name: "" });
    expect(joinAuth("query", " auth ")).toBe("query:auth");
    expect(joinAuth("basic", "ignored")).toBe("basic");
    expect(needsSecret("none")).toBe(false);
    expect(needsSecret("basic")).toBe(true);
    expect(secretHint("basic")).toBe("user:password");
  });
});

describe("urlProblem", () => {
  it("accepts web addresses and explains the rest", () => {
    expect(urlProblem("https://ntfy.sh/alerts/sse")).toBeNull();
    expect(urlProblem("")).toMatch(/Enter/);
    expect(urlProblem("ntfy.sh/alerts")).toMatch(/not a web address/);
    expect(urlProblem("javascript:alert(1)")).toMatch(/Only http and https/);
    expect(urlProblem("https://me:pw@host/")).toMatch(/Credentials/);
  });

  it("starts a new feed as a plain GET subscription", () => {
    expect(blankForm()).toMatchObject({ method: "GET", auth: "none", enabled: true });
  });
});
