import { createHash } from "node:crypto";
import type { RepoConfig } from "../config/repo-config.ts";
import { extractRequest, mentions } from "./mention.ts";
import { requestOptions, requestText, type RequestOptions } from "./request-text.ts";
import type { Actor, RunMode, Trigger, WebhookTrigger } from "./types.ts";

/** Pure decisions about what a delivery asks for. Table-tested. */

export type Command = "stop" | "status" | "reset";

export type Intent =
  /** fixCi: `@bot fix-ci`, a CI follow-up asked for (intake/ci-intake.ts gathers the failing checks). */
  | { type: "run"; mode: RunMode; fixCi?: true }
  | { type: "command"; command: Command }
  | { type: "ignore"; reason: string };

export const PERMISSION_RANK = { none: 0, read: 1, triage: 2, write: 3, maintain: 4, admin: 5 } as const;
export type Permission = keyof typeof PERMISSION_RANK;

export function isPermission(value: string): value is Permission {
  return Object.hasOwn(PERMISSION_RANK, value);
}

export interface IntentFacts {
  action: string;
  /** Run API triggers never come here: that API authenticates its callers itself (the admin token). */
  trigger: WebhookTrigger;
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

/**
 * One delivery's decision: the intent and, for a run, its request (the prompt's: the text with the
 * mention taken out once, here). Intake stores the request with the run as trigger.request.
 */
export interface Decision {
  intent: Intent;
  request?: string;
  /** `/model <name>` or `--model <name>`: not yet checked against the config (intake does that). */
  model?: string;
  /** `go` / `approve`: the thread's pending plan is carried out. */
  approvesPlan?: boolean;
}

const ignore = (reason: string): Decision => ({ intent: { type: "ignore", reason } });

/**
 * A run in this mode; `asked` is the text with the mention taken out, when it was already, and
 * `options` what it asked besides its task. With `planFirst`, a code run in an issue thread plans first.
 */
function run(f: IntentFacts, asked: string | undefined, options: Omit<RequestOptions, "rest"> & { mode: "code" | "review" }): Decision {
  const approvesPlan = options.verb === "approve";
  const planFirst = options.mode === "code" && !approvesPlan && f.config.planFirst && !f.trigger.thread.isPullRequest;
  const mode: RunMode = options.verb === "plan" || planFirst ? "plan" : options.mode;
  const request = requestText({ ...f.trigger, mode, approvesPlan }, f.triggerPhrase, asked);
  return { intent: { type: "run", mode }, request, ...(options.model ? { model: options.model } : {}), ...(approvesPlan ? { approvesPlan } : {}) };
}

function mentionDecision(f: IntentFacts, expectedAction: string): Decision {
  const { trigger: t } = f;
  if (f.action !== expectedAction) return ignore(`${t.kind} ${f.action}: only ${expectedAction} starts runs`);
  if (!mentions(t.text, f.triggerPhrase)) return ignore(`no ${f.triggerPhrase} mention`);
  const request = extractRequest(t.text, f.triggerPhrase);
  const command = commandOf(request);
  if (command) return { intent: { type: "command", command } };
  if (/^fix-ci[.!?]*$/i.test(request.trim())) return { intent: { type: "run", mode: "code", fixCi: true }, request: "Fix the failing CI checks of this pull request." };
  const { rest, ...options } = requestOptions(request);
  return run(f, rest, { ...options, mode: !options.verb && t.thread.isPullRequest && /^review\b/i.test(rest) ? "review" : "code" });
}

function matchesReviewer(reviewer: string, configured: readonly string[]): boolean {
  const bare = reviewer.replace(/^team:/, "");
  return configured.some((c) => sameLogin(c, reviewer) || sameLogin(c, bare) || sameLogin(c.split("/").pop() ?? "", bare));
}

/** Everything that can be decided from the payload and the repo's config, before any API call. */
export function decideDelivery(f: IntentFacts): Decision {
  const { trigger: t, config } = f;
  const actor = t.actor;
  if (sameLogin(actor.login, f.appLogin)) return ignore("the app's own action");
  const allowListed = config.access.allowUsers.some((u) => sameLogin(u, actor.login));
  if (isBot(actor) && !allowListed) return ignore(`bots (${actor.login}) never start runs unless allow-listed`);

  switch (t.kind) {
    case "issue_comment":
    case "review_comment":
      return mentionDecision(f, "created");
    case "review":
      return mentionDecision(f, "submitted");
    case "issue_opened":
      if (!mentions(t.text, f.triggerPhrase)) return ignore(`no ${f.triggerPhrase} mention in the new issue`);
      return run(f, undefined, { mode: "code" });
    case "issue_assigned": {
      const assignee = t.source.type === "assignment" ? t.source.assignee : "";
      if (!config.assignees.some((a) => sameLogin(a, assignee))) return ignore(`assigned to ${assignee}, not a configured assignee`);
      return run(f, undefined, { mode: "code" });
    }
    case "issue_labeled":
    case "pull_labeled": {
      const label = t.source.type === "label" ? t.source.label : "";
      if (sameLogin(label, config.labels.fix)) return run(f, undefined, { mode: "code" });
      if (t.thread.isPullRequest && sameLogin(label, config.labels.review)) return run(f, undefined, { mode: "review" });
      return ignore(`label "${label}" is not one of ours`);
    }
    case "review_requested": {
      const reviewer = t.source.type === "review_request" ? t.source.reviewer : "";
      if (!matchesReviewer(reviewer, config.reviewers)) return ignore(`review requested from ${reviewer}, not a configured reviewer`);
      return run(f, undefined, { mode: "review" });
    }
  }
}

/** The intent alone (decideDelivery without the request). */
export function decideIntent(f: IntentFacts): Intent {
  return decideDelivery(f).intent;
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
