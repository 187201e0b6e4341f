// The feed form's view logic: list fields edited as lines, what an auth kind needs, and the
// checks the form can make before it asks Rust (which checks everything again).
import type { AuthKind } from "./bindings/AuthKind";
import type { FeedForm } from "./bindings/FeedForm";
import type { IdSource } from "./bindings/IdSource";
import type { Resume } from "./bindings/Resume";

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

export type AuthChoice = AuthKind["kind"];

/** The kind select and the name field of an auth kind. */
export function splitAuth(auth: AuthKind): { choice: AuthChoice; name: string } {
  return { choice: auth.kind, name: "name" in auth ? auth.name : "" };
}

/** The auth kind the select and the name field describe. */
export function joinAuth(choice: AuthChoice, name: string): AuthKind {
  return choice === "header" || choice === "query" ? { kind: choice, name: name.trim() } : { kind: choice };
}

export function sameAuth(a: AuthKind, b: AuthKind): boolean {
  return a.kind === b.kind && splitAuth(a).name === splitAuth(b).name;
}

export function needsSecret(auth: AuthKind): boolean {
  return auth.kind !== "none";
}

/** What the secret field asks for, by kind. */
export function secretHint(auth: AuthKind): string {
  switch (auth.kind) {
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

/** How the feed resumes, from its select and its parameter field. */
export function joinResume(choice: Resume["kind"], param: string): Resume {
  return choice === "query" ? { kind: "query", param: param.trim() } : { kind: "header" };
}

/** Where event ids come from, from its select and its pointer field. */
export function joinIdSource(choice: IdSource["kind"], pointer: string): IdSource {
  return choice === "json" ? { kind: "json", pointer: pointer.trim() } : { kind: "sse" };
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
