import { randomBytes } from "node:crypto";

/**
 * What a change adds, from `git log -p`: every commit message and every added line, with the
 * files it touches. This is what the secret check reads: a secret already in the repository (a
 * context or removed line) is not leaked by the change. Each message is fenced by a marker made
 * for this one log, so no commit message or file can pretend to end one. Pure but for the marker.
 */

export interface AddedText {
  /** Messages and added lines, one per line (without the diff's "+"). */
  text: string;
  /** The files the change touches (for the refusal's message). */
  files: string[];
}

export function newLogMarker(): string {
  return `csb-${randomBytes(16).toString("hex")}`;
}

/** git log arguments that fence each message with the marker. */
export function logFormat(marker: string): string {
  return `--format=${marker}%n%B%n${marker}`;
}

export function addedText(log: string, marker: string): AddedText {
  const out: string[] = [];
  const files = new Set<string>();
  // Outside a message, a diff: "diff --git" starts a file's header ("--- a/x", "+++ b/x"), "@@" a
  // hunk, whose lines all carry a prefix ("+" added, "-" removed, " " context, "\\" no newline).
  let state: "message" | "header" | "hunk" = "header";
  for (const line of log.split("\n")) {
    if (line === marker) {
      state = state === "message" ? "header" : "message";
      continue;
    }
    if (state === "message") out.push(line);
    else if (line.startsWith("diff --git ")) state = "header";
    else if (line.startsWith("@@")) state = "hunk";
    else if (state === "header") {
      const name = /^(?:\+\+\+ b|--- a)\/(.*)$/.exec(line);
      if (name) files.add(name[1]!);
    } else if (line.startsWith("+")) out.push(line.slice(1));
  }
  return { text: out.join("\n"), files: [...files] };
}
