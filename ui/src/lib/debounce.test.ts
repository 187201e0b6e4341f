import { afterEach, describe, expect, it, vi } from "vitest";
import { debounce } from "./debounce";

afterEach(() => {
  vi.useRealTimers();
});

describe("debounce", () => {
  it("acts once, with the last value, after typing pauses", () => {
    vi.useFakeTimers();
    const seen: string[] = [];
    const search = debounce(250, (value: string) => seen.push(value));
    search("d");
    vi.advanceTimersByTime(100);
    search("de");
    vi.advanceTimersByTime(249);
    expect(seen).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(seen).toEqual(["de"]);
  });

  it("can be cancelled", () => {
    vi.useFakeTimers();
    const seen: number[] = [];
    const act = debounce(10, (n: number) => seen.push(n));
    act(1);
    act.cancel();
    vi.advanceTimersByTime(100);
    expect(seen).toEqual([]);
  });
});
