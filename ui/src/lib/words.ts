// Turning what the backend says into what a person reads. Errors from Rust arrive as a UiError
// (a code and words); anything else is shown as a generic failure, never as debug output.
import type { UiError } from "./bindings/UiError";
import type { FeedView } from "./bindings/FeedView";

export function isUiError(value: unknown): value is UiError {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as UiError).code === "string" &&
    typeof (value as UiError).message === "string"
  );
}

export function errorWords(err: unknown): string {
  if (isUiError(err)) {
    return err.message;
  }
  if (typeof err === "string" && err.length > 0 && err.length < 300) {
    return err;
  }
  return "Something went wrong inside Herald; the log has the details.";
}

/** A feed's state as a short badge and its one-line detail. */
export function feedBadge(feed: Pick<FeedView, "state" | "quiet">): string {
  const word = feed.state === "disabled" ? "paused" : feed.state;
  return feed.quiet ? `${word}, muted` : word;
}

/** "3 unread" or nothing. */
export function unreadWords(unread: number): string {
  return unread > 0 ? `${unread} unread` : "";
}
