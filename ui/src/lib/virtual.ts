// Which rows of a long list are worth rendering: the ones in view plus a few either side. Rows
// have one fixed height, so 100k entries cost what 30 do.

export interface Window {
  /** First row to render. */
  start: number;
  /** One past the last row to render. */
  end: number;
  /** Where the first rendered row sits, in pixels from the top of the list. */
  offset: number;
  /** The full list's height, so the scrollbar is true. */
  height: number;
}

export function visibleWindow(
  scrollTop: number,
  viewport: number,
  rowHeight: number,
  count: number,
  overscan = 8,
): Window {
  const height = count * rowHeight;
  if (count === 0 || rowHeight <= 0) {
    return { start: 0, end: 0, offset: 0, height };
  }
  const top = Math.max(0, Math.min(scrollTop, Math.max(0, height - viewport)));
  const first = Math.floor(top / rowHeight);
  const start = Math.max(0, first - overscan);
  const end = Math.min(count, Math.ceil((top + viewport) / rowHeight) + overscan);
  return { start, end, offset: start * rowHeight, height };
}

/** Whether the view is close enough to the end of what is loaded to ask for the next page. */
export function nearEnd(win: Window, count: number, margin = 50): boolean {
  return count > 0 && win.end >= count - margin;
}

/** The scroll position that brings row `index` into view (unchanged when it already is). */
export function scrollToShow(
  index: number,
  scrollTop: number,
  viewport: number,
  rowHeight: number,
): number {
  const top = index * rowHeight;
  if (top < scrollTop) {
    return top;
  }
  if (top + rowHeight > scrollTop + viewport) {
    return top + rowHeight - viewport;
  }
  return scrollTop;
}
