import { describe, expect, it } from "vitest";
import {
  fromLines,
  joinAuth,
  joinIdSource,
  joinResume,
  needsSecret,
  sameAuth,
  secretHint,
  splitAuth,
  toLines,
  urlProblem,
} from "./form";

describe("lines", () => {
  it("edits lists as lines, dropping blank ones", () => {
    expect(fromLines(" X-Team: ops \n\n  \nX-Env: prod")).toEqual(["X-Team: ops", "X-Env: prod"]);
    expect(toLines(["a", "b"])).toBe("a\nb");
  });
});

describe("auth", () => {
  it("splits and joins kinds with a name", () => {
    expect(splitAuth({ kind: "header", name: "X-Api-Key" })).toEqual({ choice: "header", name: "X-Api-Key" });
    expect(splitAuth({ kind: "bearer" })).toEqual({ choice: "bearer", name: "" });
    expect(joinAuth("query", " auth ")).toEqual({ kind: "query", name: "auth" });
    expect(joinAuth("basic", "ignored")).toEqual({ kind: "basic" });
    expect(needsSecret({ kind: "none" })).toBe(false);
    expect(needsSecret({ kind: "basic" })).toBe(true);
    expect(secretHint({ kind: "basic" })).toBe("user:password");
  });

  it("tells a changed kind or name from the stored one", () => {
    const stored = { kind: "header", name: "X-Key" } as const;
    expect(sameAuth(stored, joinAuth("header", " X-Key "))).toBe(true);
    expect(sameAuth(stored, joinAuth("header", "X-Other"))).toBe(false);
    expect(sameAuth(stored, joinAuth("query", "X-Key"))).toBe(false);
    expect(sameAuth({ kind: "bearer" }, joinAuth("bearer", ""))).toBe(true);
  });
});

describe("connection settings", () => {
  it("builds resume and id source from a choice and its field", () => {
    expect(joinResume("query", " since ")).toEqual({ kind: "query", param: "since" });
    expect(joinResume("header", "ignored")).toEqual({ kind: "header" });
    expect(joinIdSource("json", "/id")).toEqual({ kind: "json", pointer: "/id" });
    expect(joinIdSource("sse", "/id")).toEqual({ kind: "sse" });
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
});
