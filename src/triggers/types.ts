import type { RepoConfig } from "../config/repo-config.ts";

/** A webhook payload reduced to what a run needs. Parsed once, then passed around. */

export interface RepoRef {
  id: number;
  owner: string;
  name: string;
  fullName: string;
  htmlUrl: string;
  defaultBranch: string;
  private: boolean;
}

export interface Actor {
  login: string;
  type: string;
  /** The account's numeric id, from the payload (its commits' Co-authored-by address); runs stored before have none. */
  id?: number | undefined;
}

/** The issue or pull request the conversation happens in. */
export interface ThreadRef {
  number: number;
  isPullRequest: boolean;
  title: string;
  body: string;
  htmlUrl: string;
  author: string;
  /** Conversation comments when the event fired, from the payload (the trigger itself included). */
  commentCount?: number;
}

/** Where the request came from: decides where the 👀 goes and where the answer is posted. */
export type Source =
  | { type: "issue_comment"; commentId: number }
  | { type: "review_comment"; commentId: number; path: string; line: number | null; side: string; diffHunk: string }
  | { type: "review"; reviewId: number }
  | { type: "issue" }
  | { type: "label"; label: string }
  | { type: "assignment"; assignee: string }
  | { type: "review_request"; reviewer: string }
  /** The run API (POST /api/runs): no comment to react to; answered on the issue if one was named. */
  | { type: "api" }
  /** Failing CI on a pull request's head (a check event): nothing to react to. */
  | { type: "ci" };

export type TriggerKind =
  | "issue_comment"
  | "review_comment"
  | "review"
  | "issue_opened"
  | "issue_assigned"
  | "issue_labeled"
  | "review_requested"
  | "pull_labeled"
  | "api"
  | "ci_failure";

/**
 * What a webhook delivery can be (parse-trigger.ts). "api" runs come from the run API, which
 * decides them itself; "ci_failure" runs from check events (triggers/ci-trigger.ts).
 */
export type WebhookTriggerKind = Exclude<TriggerKind, "api" | "ci_failure">;

/** One failed check of a head commit, as the CI follow-up's prompt shows it (ci-logs.ts gathers it). */
export interface FailedCheck {
  name: string;
  /** failure, timed_out, startup_failure (check runs) or failure, error (commit statuses). */
  conclusion: string;
  url: string | null;
  annotations: Array<{ path: string; line: number | null; level: string; message: string }>;
  /** The end of the GitHub Actions job's log, redacted and bounded; null when there is none. */
  logTail: string | null;
}

/** Failing CI on a pull request's head commit: what a CI follow-up run is asked to fix. */
export interface CiFailure {
  headSha: string;
  branch: string;
  pullNumber: number;
  /** true: started by a check event; false: asked for (`@bot fix-ci`). */
  auto: boolean;
  checks: FailedCheck[];
}

export interface Trigger {
  kind: TriggerKind;
  deliveryId: string;
  installationId: number;
  repo: RepoRef;
  /** Who asked: the comment's or review's author, the labeler, the assigner, the review requester. */
  actor: Actor;
  thread: ThreadRef;
  source: Source;
  /** The text addressed to the bot: a comment or review body, or the title and body. */
  text: string;
  /**
   * code: change the branch and push. review: post one pull request review, push nothing. plan:
   * Claude in plan mode, its plan posted as a comment, nothing written or pushed.
   */
  mode: RunMode;
  /** The repository's configuration when the run was asked for (set at intake). */
  config?: RepoConfig;
  /** Run API only: the branch to work on (created from the base branch if it does not exist). */
  branch?: string;
  /**
   * What the user asked for, as the prompt's request: taken out of the text once, when the run was
   * decided (decide.ts's runTrigger). Runs stored before it have none: runRequest falls back to
   * requestText.
   */
  request?: string;
  /** `@bot /model <name>` (or `--model <name>`): the model asked for, checked at intake against the config's allowed models. */
  model?: string;
  /** `@bot go` / `@bot approve`: carries out the plan pending in the thread (a code run in the plan's session). */
  approvesPlan?: boolean;
  /** A CI follow-up (a check event, or `@bot fix-ci`): the failing checks to fix. */
  ci?: CiFailure;
}

export type RunMode = "code" | "review" | "plan";

/** A trigger parsed from a webhook payload. */
export type WebhookTrigger = Trigger & { kind: WebhookTriggerKind };

/** The identity of a conversation: one Claude session, one branch. */
export function threadKey(repoFullName: string, number: number): string {
  return `${repoFullName.toLowerCase()}#${number}`;
}

/** A run API conversation that is not attached to an issue: thread number 0, its own key. */
export function apiThreadKey(repoFullName: string, id: string): string {
  return `${repoFullName.toLowerCase()}@api-${id}`;
}
