// Mutations shared by the REST routes and the FakeGitHub seeding helpers.
import { branchExists, commentableLines, countCommits, diffFiles, revParse } from "./git.ts";
import { git } from "./git.ts";
import { headRefOf } from "./pull-head.ts";
import { validationFailed } from "./router.ts";
import { nowIso, type RepoRecord, type Store } from "./state.ts";
import type { Comment, Issue, Pull, Review, ReviewComment, User, UserLike } from "./types.ts";

export function createIssue(
  store: Store,
  repo: RepoRecord,
  o: { number?: number; title: string; body?: string | null; user: UserLike; labels?: string[]; assignees?: string[]; state?: "open" | "closed" },
): Issue {
  const at = nowIso();
  const issue: Issue = {
    id: store.id(),
    repo: repo.fullName,
    number: store.allocateNumber(repo, o.number),
    title: o.title,
    body: o.body ?? null,
    user: store.user(o.user),
    state: o.state ?? "open",
    labels: [...(o.labels ?? [])],
    assignees: [...(o.assignees ?? [])],
    createdAt: at,
    updatedAt: at,
  };
  store.state.issues.push(issue);
  return issue;
}

export function createComment(store: Store, repo: RepoRecord, issueNumber: number, body: string, user: User): Comment {
  const at = nowIso();
  const c: Comment = { id: store.id(), repo: repo.fullName, issueNumber, body, user, history: [], createdAt: at, updatedAt: at };
  store.state.comments.push(c);
  touch(store, repo.fullName, issueNumber, at);
  return c;
}

export function editComment(c: Comment | ReviewComment, body: string): void {
  c.history.push(c.body);
  c.body = body;
  c.updatedAt = nowIso();
}

function touch(store: Store, repo: string, number: number, at: string): void {
  const x = store.issueLike(repo, number);
  if (x?.kind === "issue") x.issue.updatedAt = at;
  if (x?.kind === "pull") x.pull.updatedAt = at;
}

/** Creates a PR after GitHub's validations; throws an HttpError(422) like GitHub does. */
export async function createPull(
  store: Store,
  repo: RepoRecord,
  o: { title: string; head: string; base: string; body?: string | null; draft?: boolean; user: User; number?: number; fork?: string },
): Promise<Pull> {
  const head = o.head.includes(":") ? o.head.slice(o.head.indexOf(":") + 1) : o.head;
  const errors: unknown[] = [];
  if (!(await branchExists(repo.bareDir, o.base))) errors.push({ resource: "PullRequest", field: "base", code: "invalid" });
  if (!(await branchExists(repo.bareDir, head))) errors.push({ resource: "PullRequest", field: "head", code: "invalid" });
  if (errors.length) throw validationFailed(errors);
  const dup = store.state.pulls.find((p) => p.repo === repo.fullName && p.state === "open" && p.head === head && p.base === o.base);
  if (dup) {
    throw validationFailed([{ resource: "PullRequest", code: "custom", message: `A pull request already exists for ${repo.owner}:${head}.` }]);
  }
  const ahead = await countCommits(repo.bareDir, `refs/heads/${o.base}..refs/heads/${head}`);
  if (ahead === 0) {
    throw validationFailed([{ resource: "PullRequest", code: "custom", message: `No commits between ${o.base} and ${head}` }]);
  }
  const at = nowIso();
  const pull: Pull = {
    id: store.id(),
    repo: repo.fullName,
    number: store.allocateNumber(repo, o.number),
    title: o.title,
    body: o.body ?? null,
    head,
    headRepo: o.fork ?? null,
    base: o.base,
    draft: o.draft ?? false,
    state: "open",
    merged: false,
    user: o.user,
    labels: [],
    assignees: [],
    requestedReviewers: [],
    createdAt: at,
    updatedAt: at,
    closedAt: null,
  };
  // Like GitHub, every PR's head is also kept in the base repository as refs/pull/N/head. A fork's
  // branch lives only there: the base repository has no branch of that name.
  await git(repo.bareDir, ["update-ref", `refs/pull/${pull.number}/head`, `refs/heads/${head}`]);
  if (o.fork) await git(repo.bareDir, ["update-ref", "-d", `refs/heads/${head}`]);
  store.state.pulls.push(pull);
  return pull;
}



export interface NewReviewComment {
  path: string;
  line?: number | undefined;
  side?: "LEFT" | "RIGHT" | undefined;
  startLine?: number | undefined;
  position?: number | undefined;
  body: string;
  inReplyToId?: number | undefined;
}

/** Checks a review comment targets a line in the PR's diff, like GitHub's 422s. */
export async function validateReviewComments(store: Store, repo: RepoRecord, pull: Pull, comments: NewReviewComment[]): Promise<void> {
  if (!comments.length) return;
  const files = await diffFiles(repo.bareDir, `refs/heads/${pull.base}`, headRefOf(pull));
  for (const c of comments) {
    const f = files.find((x) => x.filename === c.path);
    if (!f) throw validationFailed(["Path could not be resolved"], "Unprocessable Entity");
    const line = c.line ?? c.position;
    if (line === undefined) throw validationFailed(["Line could not be resolved"], "Unprocessable Entity");
    const lines = commentableLines(f.patch)[c.side ?? "RIGHT"];
    if (!lines.has(line)) {
      throw validationFailed(["Pull request review thread line must be part of the diff"], "Unprocessable Entity");
    }
  }
}

export async function addReviewComment(
  store: Store,
  repo: RepoRecord,
  pull: Pull,
  c: NewReviewComment & { user: User; reviewId?: number | null },
): Promise<ReviewComment> {
  const at = nowIso();
  const commitId = (await revParse(repo.bareDir, headRefOf(pull))) ?? "";
  const rc: ReviewComment = {
    id: store.id(),
    repo: repo.fullName,
    pullNumber: pull.number,
    reviewId: c.reviewId ?? null,
    inReplyToId: c.inReplyToId ?? null,
    path: c.path,
    line: c.line ?? c.position ?? null,
    side: c.side ?? "RIGHT",
    startLine: c.startLine ?? null,
    body: c.body,
    user: c.user,
    commitId,
    history: [],
    createdAt: at,
    updatedAt: at,
  };
  store.state.reviewComments.push(rc);
  return rc;
}

export async function createReview(
  store: Store,
  repo: RepoRecord,
  pull: Pull,
  o: { body?: string | undefined; event?: string | undefined; comments?: NewReviewComment[] | undefined; user: User; commitId?: string | undefined },
): Promise<Review> {
  const comments = o.comments ?? [];
  const event = o.event ?? null;
  if ((event === "REQUEST_CHANGES" || event === "COMMENT") && !o.body && !comments.length) {
    throw validationFailed([`Review Can not request changes or comment without a body`], "Unprocessable Entity");
  }
  // GitHub's REST answer to a review by the PR's author (an app's bot user included), as quoted in
  // issue threads: 422 {"message":"Unprocessable Entity","errors":["Can not approve your own pull
  // request"]} (the "Review " prefix is GraphQL's wording, not REST's). Only COMMENT is allowed.
  if (event === "APPROVE" && pull.user.id === o.user.id) {
    throw validationFailed(["Can not approve your own pull request"], "Unprocessable Entity");
  }
  if (event === "REQUEST_CHANGES" && pull.user.id === o.user.id) {
    throw validationFailed(["Can not request changes on your own pull request"], "Unprocessable Entity");
  }
  await validateReviewComments(store, repo, pull, comments);
  const state: Review["state"] =
    event === "APPROVE" ? "APPROVED" : event === "REQUEST_CHANGES" ? "CHANGES_REQUESTED" : event === "COMMENT" ? "COMMENTED" : "PENDING";
  const review: Review = {
    id: store.id(),
    repo: repo.fullName,
    pullNumber: pull.number,
    body: o.body ?? "",
    event,
    state,
    user: o.user,
    commitId: o.commitId ?? (await revParse(repo.bareDir, headRefOf(pull))) ?? "",
    commentIds: [],
    submittedAt: state === "PENDING" ? null : nowIso(),
  };
  for (const c of comments) {
    const rc = await addReviewComment(store, repo, pull, { ...c, user: o.user, reviewId: review.id });
    review.commentIds.push(rc.id);
  }
  store.state.reviews.push(review);
  return review;
}
