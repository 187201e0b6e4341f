// The feed form's view logic: list fields edited as lines, what an auth kind needs, and the
// checks the form can make before it asks Rust (which checks everything again).
import type { FeedForm } from "./bindings/FeedForm";

/** A list shown in a textarea, one item per line. */
export function toLines(list: string[]): string {
  return list.join("\n");
}

export function fromLines(text: string): string[] {
  return text
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line.length > 0);
}

export type AuthChoice = "none" | "bearer" | "basic" | "header" | "query";

/** Splits "header:X-Api-Key" into the choice and its name. */
export function splitAuth(auth: string): { choice: AuthChoice; name: string } {
  const [kind, ...rest] = auth.split(":");
  const name = rest.join(":");
  if (kind === "header" || kind === "query") {
    return { choice: kind, name };
  }
  if (kind === "bearer" || kind === "basic") {
    return { choice: kind, name: "" };
  }
  return { choice: "none", name: "" };
}

export function joinAuth(choice: AuthChoice, name: string): string {
  return choice === "header" || choice === "query" ? `${choice}:${name.trim()}` : choice;
}

export function needsSecret(auth: string): boolean {
  return splitAuth(auth).choice !== "none";
}

/** What the secret field asks for, by kind. */
export function secretHint(auth: string): string {
  switch (splitAuth(auth).choice) {
    case "bearer":
      return "The token";
    case "basic":
      return "user:password";
    case "header":
      return "The header's value";
    case "query":
      return "The parameter's value";
    default:
      return "";
  }
}

/** The URL check the form shows as you type; null when it looks right. */
export function urlProblem(url: string): string | null {
  const text = url.trim();
  if (text === "") {
    return "Enter the address of the event stream.";
  }
  let parsed: URL;
  try {
    parsed = new URL(text);
  } catch {
    return "This is not a web address (it should start with https://).";
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
    return `Only http and https addresses can be subscribed to, not ${parsed.protocol}`;
  }
  if (parsed.username !== "" || parsed.password !== "") {
    return "Put the user name and password in Credentials (basic), not in the address.";
  }
  return null;
}

/** A blank form for a new feed, ready for the user's URL. */
export function blankForm(): FeedForm {
  return {
    name: "",
    url: "",
    preset: "generic",
    auth: "none",
    headers: [],
    method: "GET",
    body: "",
    resume: "header",
    id_source: "sse",
    title_template: "",
    body_template: "",
    link_template: "",
    include_types: [],
    exclude_types: [],
    conditions: [],
    min_priority: null,
    idle_timeout_s: null,
    on_end: "",
    muted: false,
    enabled: true,
  };
}
