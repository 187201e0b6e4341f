import { describe, expect, it } from "vitest";
import { nearEnd, scrollToShow, visibleWindow } from "./virtual";

describe("visibleWindow", () => {
  it("renders only the rows in view plus the overscan, at 100k rows", () => {
    const win = visibleWindow(500_000, 600, 50, 100_000, 5);
    expect(win).toEqual({ start: 9_995, end: 10_017, offset: 499_750, height: 5_000_000 });
    expect(win.end - win.start).toBeLessThan(30);
  });

  it("stays inside the list at both ends", () => {
    expect(visibleWindow(-100, 600, 50, 10, 2)).toEqual({ start: 0, end: 10, offset: 0, height: 500 });
    const bottom = visibleWindow(1e9, 600, 50, 1000, 2);
    expect(bottom.end).toBe(1000);
    expect(bottom.start).toBe(986);
    expect(visibleWindow(0, 600, 50, 0)).toEqual({ start: 0, end: 0, offset: 0, height: 0 });
  });
});

describe("nearEnd", () => {
  it("asks for the next page when the view nears the end of what is loaded", () => {
    expect(nearEnd(visibleWindow(0, 600, 50, 200, 5), 200)).toBe(false);
    expect(nearEnd(visibleWindow(8_000, 600, 50, 200, 5), 200)).toBe(true);
  });
});

describe("scrollToShow", () => {
  it("scrolls just enough to show a row", () => {
    expect(scrollToShow(3, 0, 600, 50)).toBe(0);
    expect(scrollToShow(20, 0, 600, 50)).toBe(450);
    expect(scrollToShow(2, 400, 600, 50)).toBe(100);
  });
});
