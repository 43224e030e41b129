// Webhook payloads for the e2e tests, built from the real examples in @octokit/webhooks-examples with
// fields overridden from a FakeGitHub (whose state gets the issue/comment/review seeded, so the app's
// follow-up API calls — reactions, edits, replies — hit real objects), plus a signed sender.
import { createHmac, randomUUID } from "node:crypto";
import { createRequire } from "node:module";
import type { WebhookDefinition } from "@octokit/webhooks-examples";
import type {
  IssueCommentCreatedEvent,
  IssueCommentEditedEvent,
  IssuesAssignedEvent,
  IssuesLabeledEvent,
  IssuesOpenedEvent,
  PullRequestReviewCommentCreatedEvent,
  PullRequestReviewRequestedEvent,
  PullRequestReviewSubmittedEvent,
} from "@octokit/webhooks-types";
import type { Comment, FakeGitHub, Issue, Pull, RepoInfo, Review, ReviewComment, UserLike } from "./fake-github/index.ts";

type Json = Record<string, unknown>;

// The package's "main" is a JSON file (an array of {name, actions, examples, ...}); require() reads it
// without import attributes and the package's index.d.ts types it.
const definitions = createRequire(import.meta.url)("@octokit/webhooks-examples") as WebhookDefinition[];

/** A deep copy of the first real example for event.action (preferring ones that `prefer` accepts). */
export function exampleFor(event: string, action: string, prefer?: (e: Json) => boolean): Json {
  const def = definitions.find((d) => d.name === event);
  if (!def) throw new Error(`@octokit/webhooks-examples has no event ${event}`);
  const candidates = (def.examples as unknown as Json[]).filter((e) => e["action"] === action);
  const pick = (prefer && candidates.find(prefer)) ?? candidates[0];
  if (!pick) throw new Error(`@octokit/webhooks-examples has no ${event}.${action} example`);
  return structuredClone(pick);
}

/** Rewrites github.com / api.github.com URLs (and the example repo's name) inside an example to the fake's. */
function rebase<T>(value: T, pairs: Array<[string, string]>): T {
  if (typeof value === "string") {
    let s: string = value;
    for (const [from, to] of pairs) s = s.split(from).join(to);
    return s as T;
  }
  if (Array.isArray(value)) return value.map((v) => rebase(v, pairs)) as T;
  if (value && typeof value === "object") {
    const out: Json = {};
    for (const [k, v] of Object.entries(value)) out[k] = rebase(v, pairs);
    return out as T;
  }
  return value;
}

function obj(v: unknown): Json {
  return v && typeof v === "object" && !Array.isArray(v) ? (v as Json) : {};
}

export interface WebhookFactoryOptions {
  /** Every payload's installation; default: the installation of the payload's repository (fake.installationOf). */
  installationId?: number;
}

type RepoRef = RepoInfo | string;
type IssueInput = number | { number?: number; title: string; body?: string | null; user: UserLike; labels?: string[] };

export interface Built<E extends string, P> {
  event: E;
  payload: P;
}

export function createWebhookFactory(fake: FakeGitHub, opts: WebhookFactoryOptions = {}) {
  const fullNameOf = (r: RepoRef): string => (typeof r === "string" ? r : r.fullName);

  /** Example with URLs pointed at the fake, plus repository / installation / sender overrides. */
  function base(example: Json, fullName: string, sender: UserLike): Json {
    const exRepo = obj(example["repository"]);
    const exFull = String(exRepo["full_name"] ?? "Codertocat/Hello-World");
    const api = `${fake.url}/api/v3`;
    const e = rebase(example, [
      [`https://api.github.com/repos/${exFull}`, `${api}/repos/${fullName}`],
      [`https://github.com/${exFull}`, `${fake.url}/${fullName}`],
      ["https://api.github.com", api],
      ["https://github.com", fake.url],
    ]);
    delete e["organization"];
    delete e["enterprise"];
    e["repository"] = { ...obj(e["repository"]), ...fake.serialize.repository(fullName) };
    // As GitHub does: the delivery names the installation that holds the repository.
    const installationId = opts.installationId ?? fake.installationOf(fullName);
    e["installation"] = { id: installationId, node_id: Buffer.from(`0:Installation${installationId}`).toString("base64").replace(/=+$/, "") };
    e["sender"] = { ...obj(e["sender"]), ...fake.serialize.user(sender) };
    return e;
  }

  function issueNumber(fullName: string, issue: IssueInput): number {
    if (typeof issue === "number") {
      fake.serialize.issue(fullName, issue); // throws if neither an issue nor a PR
      return issue;
    }
    const existing = issue.number !== undefined && fake.state.issues.find((i) => i.repo === fullName && i.number === issue.number);
    if (existing) return existing.number;
    return fake.addIssue(fullName, issue).number;
  }

  function issueJson(e: Json, fullName: string, number: number): Json {
    const mine = fake.serialize.issue(fullName, number);
    const merged = { ...obj(e["issue"]), ...mine };
    if (!("pull_request" in mine)) delete merged["pull_request"];
    return merged;
  }

  function findIssue(fullName: string, n: number): Issue | Pull {
    const x = fake.state.issues.find((i) => i.repo === fullName && i.number === n) ?? fake.state.pulls.find((p) => p.repo === fullName && p.number === n);
    if (!x) throw new Error(`no issue/PR #${n} in ${fullName}`);
    return x;
  }

  return {
    /**
     * issue_comment.created. `issue` is an existing issue/PR number (a PR number gives issue.pull_request)
     * or an issue to seed. The comment is seeded unless `comment.id` names an existing one.
     */
    issueCommentCreated(o: {
      repo: RepoRef;
      issue: IssueInput;
      comment: { id?: number; body: string; user: UserLike };
      sender?: UserLike;
    }): Built<"issue_comment", IssueCommentCreatedEvent> & { comment: Comment } {
      const fullName = fullNameOf(o.repo);
      const n = issueNumber(fullName, o.issue);
      const comment =
        (o.comment.id !== undefined && fake.state.comments.find((c) => c.id === o.comment.id)) ||
        fake.addComment(fullName, { issueNumber: n, body: o.comment.body, user: o.comment.user });
      const e = base(
        exampleFor("issue_comment", "created", (x) => "installation" in x),
        fullName,
        o.sender ?? o.comment.user,
      );
      e["issue"] = issueJson(e, fullName, n);
      e["comment"] = { ...obj(e["comment"]), ...fake.serialize.comment(comment.id) };
      return { event: "issue_comment", payload: e as unknown as IssueCommentCreatedEvent, comment };
    },

    /** issue_comment.edited: edits an existing comment in the fake (keeping history) and reports changes.body.from. */
    issueCommentEdited(o: { repo: RepoRef; commentId: number; body: string; sender?: UserLike }): Built<"issue_comment", IssueCommentEditedEvent> & {
      comment: Comment;
    } {
      const fullName = fullNameOf(o.repo);
      const comment = fake.state.comments.find((c) => c.id === o.commentId);
      if (!comment) throw new Error(`no comment ${o.commentId}`);
      const from = comment.body;
      comment.history.push(from);
      comment.body = o.body;
      comment.updatedAt = new Date().toISOString().replace(/\.\d{3}Z$/, "Z");
      const e = base(exampleFor("issue_comment", "edited"), fullName, o.sender ?? comment.user);
      e["changes"] = { body: { from } };
      e["issue"] = issueJson(e, fullName, comment.issueNumber);
      e["comment"] = { ...obj(e["comment"]), ...fake.serialize.comment(comment.id) };
      return { event: "issue_comment", payload: e as unknown as IssueCommentEditedEvent, comment };
    },

    /** issues.opened: seeds the issue. */
    issuesOpened(o: {
      repo: RepoRef;
      issue: { number?: number; title: string; body?: string | null; user: UserLike; labels?: string[] };
      sender?: UserLike;
    }): Built<"issues", IssuesOpenedEvent> & { issue: Issue } {
      const fullName = fullNameOf(o.repo);
      const issue = fake.addIssue(fullName, o.issue);
      const e = base(
        exampleFor("issues", "opened", (x) => !("changes" in x)),
        fullName,
        o.sender ?? o.issue.user,
      );
      e["issue"] = issueJson(e, fullName, issue.number);
      return { event: "issues", payload: e as unknown as IssuesOpenedEvent, issue };
    },

    /** issues.labeled: adds the label to the (existing or seeded) issue. */
    issuesLabeled(o: { repo: RepoRef; issue: IssueInput; label: string; sender: UserLike }): Built<"issues", IssuesLabeledEvent> {
      const fullName = fullNameOf(o.repo);
      const n = issueNumber(fullName, o.issue);
      const x = findIssue(fullName, n);
      if (!x.labels.includes(o.label)) x.labels.push(o.label);
      const e = base(exampleFor("issues", "labeled"), fullName, o.sender);
      e["issue"] = issueJson(e, fullName, n);
      const labels = obj(e["issue"])["labels"];
      e["label"] = (Array.isArray(labels) ? labels : []).find((l) => obj(l)["name"] === o.label) ?? { name: o.label };
      return { event: "issues", payload: e as unknown as IssuesLabeledEvent };
    },

    /** issues.assigned: adds the assignee to the (existing or seeded) issue. */
    issuesAssigned(o: { repo: RepoRef; issue: IssueInput; assignee: UserLike; sender: UserLike }): Built<"issues", IssuesAssignedEvent> {
      const fullName = fullNameOf(o.repo);
      const n = issueNumber(fullName, o.issue);
      const x = findIssue(fullName, n);
      const login = typeof o.assignee === "string" ? o.assignee : o.assignee.login;
      if (!x.assignees.includes(login)) x.assignees.push(login);
      const e = base(exampleFor("issues", "assigned"), fullName, o.sender);
      e["issue"] = issueJson(e, fullName, n);
      e["assignee"] = fake.serialize.user(o.assignee);
      return { event: "issues", payload: e as unknown as IssuesAssignedEvent };
    },

    /** pull_request_review_comment.created: seeds a review comment (line must be in the PR's diff for API replies to make sense). */
    async pullRequestReviewCommentCreated(o: {
      repo: RepoRef;
      pull: number;
      comment: { path: string; line: number; side?: "LEFT" | "RIGHT"; body: string; user: UserLike; inReplyTo?: number };
      sender?: UserLike;
    }): Promise<Built<"pull_request_review_comment", PullRequestReviewCommentCreatedEvent> & { comment: ReviewComment }> {
      const fullName = fullNameOf(o.repo);
      const comment = await fake.addReviewComment(fullName, { pullNumber: o.pull, ...o.comment });
      const e = base(exampleFor("pull_request_review_comment", "created"), fullName, o.sender ?? o.comment.user);
      e["comment"] = { ...obj(e["comment"]), ...fake.serialize.reviewComment(comment.id) };
      e["pull_request"] = { ...obj(e["pull_request"]), ...(await fake.serialize.pull(fullName, o.pull)) };
      return { event: "pull_request_review_comment", payload: e as unknown as PullRequestReviewCommentCreatedEvent, comment };
    },

    /** pull_request_review.submitted: seeds a review (event COMMENT unless given). */
    async pullRequestReviewSubmitted(o: {
      repo: RepoRef;
      pull: number;
      review: { body?: string; event?: "APPROVE" | "REQUEST_CHANGES" | "COMMENT"; user: UserLike };
      sender?: UserLike;
    }): Promise<Built<"pull_request_review", PullRequestReviewSubmittedEvent> & { review: Review }> {
      const fullName = fullNameOf(o.repo);
      const review = await fake.addReview(fullName, { pullNumber: o.pull, ...o.review });
      const e = base(exampleFor("pull_request_review", "submitted"), fullName, o.sender ?? o.review.user);
      const r = fake.serialize.review(review.id);
      e["review"] = { ...obj(e["review"]), ...r, state: String(r["state"]).toLowerCase() };
      e["pull_request"] = { ...obj(e["pull_request"]), ...(await fake.serialize.pull(fullName, o.pull)) };
      return { event: "pull_request_review", payload: e as unknown as PullRequestReviewSubmittedEvent, review };
    },

    /** pull_request.review_requested: adds the reviewer to the PR. */
    async pullRequestReviewRequested(o: {
      repo: RepoRef;
      pull: number;
      reviewer: UserLike;
      sender: UserLike;
    }): Promise<Built<"pull_request", PullRequestReviewRequestedEvent>> {
      const fullName = fullNameOf(o.repo);
      const pull = fake.state.pulls.find((p) => p.repo === fullName && p.number === o.pull);
      if (!pull) throw new Error(`no PR #${o.pull} in ${fullName}`);
      const login = typeof o.reviewer === "string" ? o.reviewer : o.reviewer.login;
      if (!pull.requestedReviewers.includes(login)) pull.requestedReviewers.push(login);
      const e = base(
        exampleFor("pull_request", "review_requested", (x) => "requested_reviewer" in x),
        fullName,
        o.sender,
      );
      e["number"] = o.pull;
      e["pull_request"] = { ...obj(e["pull_request"]), ...(await fake.serialize.pull(fullName, o.pull)) };
      e["requested_reviewer"] = fake.serialize.user(o.reviewer);
      return { event: "pull_request", payload: e as unknown as PullRequestReviewRequestedEvent };
    },

    /** check_suite.completed for a commit (GitHub Actions' suite unless `app` is "bot"); `pulls`: the PRs GitHub lists (none for a fork's). */
    checkSuiteCompleted(o: CiEventInput): Built<"check_suite", Json> {
      const fullName = fullNameOf(o.repo);
      const e = base(exampleFor("check_suite", "completed"), fullName, o.sender ?? "github-actions[bot]");
      const suite = obj(e["check_suite"]);
      e["check_suite"] = { ...suite, id: o.id ?? 9_100_000 + Math.floor(Math.random() * 100_000), head_sha: o.sha, head_branch: o.branch, status: "completed", conclusion: o.conclusion, app: ciApp(o.app), pull_requests: ciPulls(fullName, o.pulls ?? [], o.sha), after: o.sha, head_commit: { ...obj(suite["head_commit"]), id: o.sha } };
      return { event: "check_suite", payload: e };
    },

    /** check_run.completed: one check of the commit. */
    checkRunCompleted(o: CiEventInput & { name: string }): Built<"check_run", Json> {
      const fullName = fullNameOf(o.repo);
      const e = base(exampleFor("check_run", "completed"), fullName, o.sender ?? "github-actions[bot]");
      const run = obj(e["check_run"]);
      e["check_run"] = { ...run, id: o.id ?? 9_200_000, name: o.name, head_sha: o.sha, status: "completed", conclusion: o.conclusion, app: ciApp(o.app), pull_requests: ciPulls(fullName, o.pulls ?? [], o.sha), check_suite: { ...obj(run["check_suite"]), head_branch: o.branch, head_sha: o.sha, app: ciApp(o.app), pull_requests: ciPulls(fullName, o.pulls ?? [], o.sha) } };
      return { event: "check_run", payload: e };
    },

    /** workflow_run.completed: a GitHub Actions workflow over the commit. */
    workflowRunCompleted(o: Omit<CiEventInput, "app">): Built<"workflow_run", Json> {
      const fullName = fullNameOf(o.repo);
      const e = base(exampleFor("workflow_run", "completed"), fullName, o.sender ?? "github-actions[bot]");
      e["workflow_run"] = { ...obj(e["workflow_run"]), id: o.id ?? 9_300_000, head_sha: o.sha, head_branch: o.branch, status: "completed", conclusion: o.conclusion, pull_requests: ciPulls(fullName, o.pulls ?? [], o.sha) };
      return { event: "workflow_run", payload: e };
    },
  };

  function ciApp(app: "actions" | "bot" | undefined): Json {
    if (app === "bot") return { id: fake.appId, slug: fake.appSlug, name: fake.appSlug, owner: fake.serialize.user("fake-org") };
    return { id: 15368, slug: "github-actions", name: "GitHub Actions", owner: fake.serialize.user("github") };
  }

  /** The short pull request form check payloads carry. */
  function ciPulls(fullName: string, numbers: number[], sha: string): Json[] {
    return numbers.map((n) => {
      const pull = fake.state.pulls.find((p) => p.repo === fullName && p.number === n);
      if (!pull) throw new Error(`no PR #${n} in ${fullName}`);
      const repo = { id: 1, url: `${fake.url}/api/v3/repos/${fullName}`, name: fullName.split("/")[1] };
      return { id: pull.id, number: n, url: `${fake.url}/api/v3/repos/${fullName}/pulls/${n}`, head: { ref: pull.head, sha, repo }, base: { ref: pull.base, sha: "", repo } };
    });
  }
}

export interface CiEventInput {
  repo: RepoRef;
  sha: string;
  branch: string | null;
  conclusion: "success" | "failure" | "neutral" | "cancelled" | "timed_out" | "action_required" | "skipped";
  pulls?: number[];
  /** Whose check: GitHub Actions' (default) or the bot's own. */
  app?: "actions" | "bot";
  id?: number;
  sender?: UserLike;
}

export type WebhookFactory = ReturnType<typeof createWebhookFactory>;

export function signPayload(body: string, secret: string): string {
  return `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;
}

/** POSTs a webhook like GitHub does (X-GitHub-Event, X-GitHub-Delivery, X-Hub-Signature-256). */
export async function sendWebhook(
  url: string,
  o: { event: string; payload: unknown; secret: string; deliveryId?: string; signature?: "valid" | "invalid" | "missing" },
): Promise<{ status: number; body: string; ms: number }> {
  const body = JSON.stringify(o.payload);
  const headers: Record<string, string> = {
    "content-type": "application/json",
    "user-agent": "GitHub-Hookshot/fake",
    "x-github-event": o.event,
    "x-github-delivery": o.deliveryId ?? randomUUID(),
    "x-github-hook-id": "1",
    "x-github-hook-installation-target-type": "integration",
  };
  const mode = o.signature ?? "valid";
  if (mode === "valid") headers["x-hub-signature-256"] = signPayload(body, o.secret);
  if (mode === "invalid") headers["x-hub-signature-256"] = signPayload(body, `${o.secret}-wrong`);
  const started = performance.now();
  const res = await fetch(url, { method: "POST", headers, body });
  const text = await res.text();
  return { status: res.status, body: text, ms: Math.round(performance.now() - started) };
}
