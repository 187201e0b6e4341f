// Search matches come from Rust's full-text index as a snippet with each match between two
// private-use marks. Splitting on them gives plain text parts, so matches can be highlighted
// while event data is still only ever rendered as text.

export const MATCH_START = "\uE000";
export const MATCH_END = "\uE001";

export interface Part {
  text: string;
  match: boolean;
}

export function highlightParts(snippet: string): Part[] {
  const parts: Part[] = [];
  let rest = snippet;
  while (rest.length > 0) {
    const start = rest.indexOf(MATCH_START);
    if (start < 0) {
      parts.push({ text: rest, match: false });
      break;
    }
    if (start > 0) {
      parts.push({ text: rest.slice(0, start), match: false });
    }
    const end = rest.indexOf(MATCH_END, start + 1);
    const stop = end < 0 ? rest.length : end;
    const text = rest.slice(start + 1, stop);
    if (text.length > 0) {
      parts.push({ text, match: true });
    }
    rest = end < 0 ? "" : rest.slice(end + 1);
  }
  return parts;
}

/** Event data as it reads best: pretty-printed when it is JSON, as it came otherwise. */
export function prettyData(data: string): string {
  const trimmed = data.trim();
  if (!trimmed.startsWith("{") && !trimmed.startsWith("[")) {
    return data;
  }
  try {
    return JSON.stringify(JSON.parse(trimmed), null, 2);
  } catch {
    return data;
  }
}
