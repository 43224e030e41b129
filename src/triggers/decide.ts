import { createHash } from "node:crypto";
import type { RepoConfig } from "../config/repo-config.ts";
import { extractRequest, mentions } from "./mention.ts";
import type { Actor, Trigger } from "./types.ts";

/** Pure decisions about what a delivery asks for. Table-tested. */

export type Command = "stop" | "status" | "reset";

export type Intent =
  | { type: "run"; mode: "code" | "review" }
  | { type: "command"; command: Command }
  | { type: "ignore"; reason: string };

export const PERMISSION_RANK = { none: 0, read: 1, triage: 2, write: 3, maintain: 4, admin: 5 } as const;
export type Permission = keyof typeof PERMISSION_RANK;

export function isPermission(value: string): value is Permission {
  return Object.hasOwn(PERMISSION_RANK, value);
}

export interface IntentFacts {
  action: string;
  trigger: Trigger;
  config: RepoConfig;
  triggerPhrase: string;
  /** The app's own bot login, e.g. "my-app[bot]". */
  appLogin: string;
}

const sameLogin = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();
const isBot = (a: Actor) => a.type === "Bot" || a.login.endsWith("[bot]");

/** A request that is exactly one command word (punctuation aside): "@bot stop". */
function commandOf(request: string): Command | null {
  const word = request.trim().toLowerCase().replace(/[.!?]+$/, "");
  return word === "stop" || word === "cancel" ? "stop" : word === "status" ? "status" : word === "reset" ? "reset" : null;
}

function mentionIntent(f: IntentFacts, expectedAction: string): Intent {
  const { trigger: t } = f;
  if (f.action !== expectedAction) return { type: "ignore", reason: `${t.kind} ${f.action}: only ${expectedAction} starts runs` };
  if (!mentions(t.text, f.triggerPhrase)) return { type: "ignore", reason: `no ${f.triggerPhrase} mention` };
  const request = extractRequest(t.text, f.triggerPhrase);
  const command = commandOf(request);
  if (command) return { type: "command", command };
  if (t.thread.isPullRequest && /^review\b/i.test(request.trim())) return { type: "run", mode: "review" };
  return { type: "run", mode: "code" };
}

function matchesReviewer(reviewer: string, configured: readonly string[]): boolean {
  const bare = reviewer.replace(/^team:/, "");
  return configured.some((c) => sameLogin(c, reviewer) || sameLogin(c, bare) || sameLogin(c.split("/").pop() ?? "", bare));
}

/** Everything that can be decided from the payload and the repo's config, before any API call. */
export function decideIntent(f: IntentFacts): Intent {
  const { trigger: t, config } = f;
  const actor = t.actor;
  if (sameLogin(actor.login, f.appLogin)) return { type: "ignore", reason: "the app's own action" };
  const allowListed = config.access.allowUsers.some((u) => sameLogin(u, actor.login));
  if (isBot(actor) && !allowListed) return { type: "ignore", reason: `bots (${actor.login}) never start runs unless allow-listed` };

  switch (t.kind) {
    case "issue_comment":
    case "review_comment":
      return mentionIntent(f, "created");
    case "review":
      return mentionIntent(f, "submitted");
    case "issue_opened":
      if (!mentions(t.text, f.triggerPhrase)) return { type: "ignore", reason: `no ${f.triggerPhrase} mention in the new issue` };
      return { type: "run", mode: "code" };
    case "issue_assigned": {
      const assignee = t.source.type === "assignment" ? t.source.assignee : "";
      if (!config.assignees.some((a) => sameLogin(a, assignee))) return { type: "ignore", reason: `assigned to ${assignee}, not a configured assignee` };
      return { type: "run", mode: "code" };
    }
    case "issue_labeled":
    case "pull_labeled": {
      const label = t.source.type === "label" ? t.source.label : "";
      if (sameLogin(label, config.labels.fix)) return { type: "run", mode: "code" };
      if (t.thread.isPullRequest && sameLogin(label, config.labels.review)) return { type: "run", mode: "review" };
      return { type: "ignore", reason: `label "${label}" is not one of ours` };
    }
    case "api":
      // The run API authenticates its callers itself (the admin token); nothing to decide here.
      return { type: "run", mode: t.mode };
    case "review_requested": {
      const reviewer = t.source.type === "review_request" ? t.source.reviewer : "";
      if (!matchesReviewer(reviewer, config.reviewers)) return { type: "ignore", reason: `review requested from ${reviewer}, not a configured reviewer` };
      return { type: "run", mode: "review" };
    }
  }
}

export interface AccessFacts {
  login: string;
  /** From the collaborator-permission API (role_name, which knows maintain and triage). */
  permission: string;
  access: RepoConfig["access"];
}

/** After the collaborator-permission lookup: minimum permission, then the allow and deny lists. */
export function decideAccess(f: AccessFacts): { allowed: true } | { allowed: false; reason: string } {
  if (f.access.denyUsers.some((u) => sameLogin(u, f.login))) return { allowed: false, reason: "the user is on this repository's deny list" };
  if (f.access.allowUsers.some((u) => sameLogin(u, f.login))) return { allowed: true };
  const rank = isPermission(f.permission) ? PERMISSION_RANK[f.permission] : 0;
  if (rank >= PERMISSION_RANK[f.access.minimumPermission]) return { allowed: true };
  return { allowed: false, reason: `${f.access.minimumPermission} permission or higher is needed (the user has ${f.permission})` };
}

/**
 * What one triggering object is, whatever delivery id it arrives under: the comment or review, the
 * action and a hash of its text (an edit that changes the text is a new request). Labels,
 * assignments and review requests have no key: taking a label off and on again is a new request
 * GitHub gives no object id for. Pure.
 */
export function triggerObjectKey(trigger: Pick<Trigger, "source" | "text" | "repo">, action: string): string | undefined {
  const id = trigger.source.type === "issue_comment" || trigger.source.type === "review_comment" ? trigger.source.commentId : trigger.source.type === "review" ? trigger.source.reviewId : undefined;
  if (id === undefined) return undefined;
  const text = createHash("sha256").update(trigger.text).digest("hex").slice(0, 16);
  return `object:${trigger.repo.fullName}:${trigger.source.type}:${id}:${action}:${text}`;
}
