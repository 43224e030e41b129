import { mentions } from "./mention.ts";
import type { Actor } from "./types.ts";

/** Pure decisions about whether a delivery should start a run. Table-tested. */

export type Decision = { run: true } | { run: false; reason: string };

export const PERMISSION_RANK = { none: 0, read: 1, triage: 2, write: 3, maintain: 4, admin: 5 } as const;
export type Permission = keyof typeof PERMISSION_RANK;

export function isPermission(value: string): value is Permission {
  return Object.hasOwn(PERMISSION_RANK, value);
}

export interface MentionFacts {
  action: string;
  body: string;
  author: Actor;
  triggerPhrase: string;
  /** The app's own bot login, e.g. "my-app[bot]". */
  appLogin: string;
}

/** Everything that can be decided from the payload alone, before any API call. */
export function decideMention(f: MentionFacts): Decision {
  if (f.action !== "created") return { run: false, reason: `comment ${f.action}, only new comments start runs` };
  if (f.author.login.toLowerCase() === f.appLogin.toLowerCase()) return { run: false, reason: "the comment is the app's own" };
  if (f.author.type === "Bot" || f.author.login.endsWith("[bot]")) return { run: false, reason: `comments by bots (${f.author.login}) never start runs` };
  if (!mentions(f.body, f.triggerPhrase)) return { run: false, reason: `no ${f.triggerPhrase} mention` };
  return { run: true };
}

/** After the collaborator-permission lookup. */
export function decidePermission(permission: string, minimum: Permission = "write"): Decision {
  const rank = isPermission(permission) ? PERMISSION_RANK[permission] : 0;
  if (rank >= PERMISSION_RANK[minimum]) return { run: true };
  return { run: false, reason: `the author has ${permission} permission; ${minimum} or higher is needed` };
}
