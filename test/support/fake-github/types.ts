// Shared types of the fake GitHub (REST API + git smart HTTP) used by the e2e tests.

export type Permission = "admin" | "maintain" | "write" | "triage" | "read" | "none";
export type AccessLevel = "read" | "write" | "admin";
export type UserType = "User" | "Bot" | "Organization";

export interface User {
  login: string;
  id: number;
  type: UserType;
}

/** What callers may pass where a user is expected: a login, or a login plus type. */
export type UserLike = string | { login: string; type?: UserType };

export interface RepoInfo {
  id: number;
  owner: string;
  name: string;
  fullName: string;
  cloneUrl: string;
  htmlUrl: string;
  defaultBranch: string;
  bareDir: string;
  private: boolean;
}

export interface Issue {
  id: number;
  repo: string;
  number: number;
  title: string;
  body: string | null;
  user: User;
  state: "open" | "closed";
  labels: string[];
  assignees: string[];
  createdAt: string;
  updatedAt: string;
}

export interface Comment {
  id: number;
  repo: string;
  issueNumber: number;
  body: string;
  user: User;
  /** Previous bodies, oldest first (each PATCH pushes the body it replaced). */
  history: string[];
  createdAt: string;
  updatedAt: string;
}

export interface Reaction {
  id: number;
  repo: string;
  subject: "issue_comment" | "pull_request_review_comment" | "issue";
  /** Set for comment reactions. */
  commentId: number | null;
  /** Set for reactions on an issue / PR body. */
  issueNumber: number | null;
  content: string;
  user: User;
  createdAt: string;
}

export interface Pull {
  id: number;
  repo: string;
  number: number;
  title: string;
  body: string | null;
  /** The head branch's name (in headRepo when the PR comes from a fork). */
  head: string;
  /** The fork the head branch lives in; null for a branch of the same repository. */
  headRepo: string | null;
  base: string;
  draft: boolean;
  state: "open" | "closed";
  merged: boolean;
  user: User;
  labels: string[];
  assignees: string[];
  requestedReviewers: string[];
  createdAt: string;
  updatedAt: string;
  closedAt: string | null;
}

export interface ReviewComment {
  id: number;
  repo: string;
  pullNumber: number;
  reviewId: number | null;
  inReplyToId: number | null;
  path: string;
  line: number | null;
  side: "LEFT" | "RIGHT";
  startLine: number | null;
  body: string;
  user: User;
  commitId: string;
  history: string[];
  createdAt: string;
  updatedAt: string;
}

export interface Review {
  id: number;
  repo: string;
  pullNumber: number;
  body: string;
  /** The event the client sent (APPROVE | REQUEST_CHANGES | COMMENT | undefined). */
  event: string | null;
  state: "APPROVED" | "CHANGES_REQUESTED" | "COMMENTED" | "PENDING";
  user: User;
  commitId: string;
  commentIds: number[];
  submittedAt: string | null;
}

export interface LabelEvent {
  repo: string;
  issueNumber: number;
  name: string;
  action: "added" | "removed";
  at: string;
}

export interface IssuedToken {
  token: string;
  installationId: number;
  /** Full names ("owner/repo") the token is limited to; null = every repository of the installation. */
  repositories: string[] | null;
  permissions: Record<string, string>;
  expiresAt: string;
  createdAt: string;
  revoked: boolean;
}

export interface RecordedRequest {
  method: string;
  path: string;
  status: number;
  body: unknown;
  auth: "jwt" | "installation" | "none" | "invalid";
  token?: string;
  /** Date.now() when the request arrived. */
  at: number;
}

export type GitService = "git-upload-pack" | "git-receive-pack";

export interface GitRequestRecord {
  service: GitService;
  repo: string;
  /** "info/refs" (advertisement) or "rpc" (the POST doing the work). */
  phase: "info/refs" | "rpc";
  token: string;
  status: number;
}

export interface GitDenied {
  method: string;
  path: string;
  repo: string | null;
  service: GitService | null;
  status: number;
  /** "missing" (no credentials: git's first probe looks like this), "invalid", "expired", "revoked", "scope", "permission", "not-found" */
  kind: "missing" | "invalid" | "expired" | "revoked" | "scope" | "permission" | "not-found";
  reason: string;
}

export interface GitLogEntry {
  sha: string;
  subject: string;
  body: string;
  author: string;
}

/** A check run as the Checks API keeps it (routes/checks.ts). */
export interface CheckRun {
  id: number;
  repo: string;
  headSha: string;
  name: string;
  status: "queued" | "in_progress" | "completed";
  conclusion: string | null;
  detailsUrl: string | null;
  externalId: string | null;
  startedAt: string;
  completedAt: string | null;
  output: { title: string | null; summary: string | null; text: string | null };
  /** The app that created it: only that app may update it. */
  appId: number;
  /** Every create/update body it received, oldest first. */
  history: unknown[];
}

/** A commit made through the Git Data API (routes/git-data.ts); verified when GitHub would have signed it. */
export interface GitDataCommit {
  repo: string;
  sha: string;
  verified: boolean;
  message: string;
}

/** A commit status (GET …/commits/{ref}/status combines them); set by tests, as a CI service would. */
export interface CommitStatus {
  repo: string;
  sha: string;
  context: string;
  state: "error" | "failure" | "pending" | "success";
  description: string | null;
  targetUrl: string | null;
  id: number;
  createdAt: string;
}

/** An annotation of a check run (GET …/check-runs/{id}/annotations). */
export interface CheckAnnotation {
  checkRunId: number;
  path: string;
  startLine: number;
  endLine: number;
  level: "notice" | "warning" | "failure";
  message: string;
  title: string | null;
}

/** A GitHub Actions job's log (its id is its check run's): GET …/actions/jobs/{id}/logs answers 302 to a download URL. */
export interface JobLog {
  repo: string;
  jobId: number;
  text: string;
  /** The download URL's signature, issued on each redirect. */
  signatures: string[];
  /** Where the redirect points, when a test wants it elsewhere (an attacker's host). */
  redirectTo?: string;
}

export interface FakeState {
  gitDataCommits: GitDataCommit[];
  commitStatuses: CommitStatus[];
  checkAnnotations: CheckAnnotation[];
  jobLogs: JobLog[];
  checkRuns: CheckRun[];
  issues: Issue[];
  comments: Comment[];
  deletedComments: Comment[];
  reactions: Reaction[];
  pulls: Pull[];
  reviews: Review[];
  reviewComments: ReviewComment[];
  labels: LabelEvent[];
  tokens: IssuedToken[];
}

export interface FakeGitHubOptions {
  appId?: number;
  appSlug?: string;
  /** Lifetime of minted installation tokens (default 1 hour, like GitHub). */
  tokenTtlMs?: number;
  /** Where bare repos live (default: a fresh temp dir, removed on close). */
  rootDir?: string;
  installationId?: number;
  /** The app's permissions; tokens minted without `permissions` get these. */
  appPermissions?: Record<string, string>;
}
