import type { z } from "zod";
import type { RepoConfig } from "../config/repo-config.ts";
import { issueBranch } from "./branch-name.ts";
import { checkRunPayload, checkSuitePayload, repositorySchema, workflowRunPayload } from "./payload-schemas.ts";
import { threadKey, type RepoRef } from "./types.ts";

/**
 * Whether failing CI on a pull request's head starts a follow-up run, decided from facts the
 * caller gathered (ci-intake.ts). Pure, table-tested. The bot's own check runs never count:
 * otherwise its own run's check would start the next run.
 */

export type CiFixConfig = RepoConfig["ciFix"];

/** A check run of the head commit (GET …/commits/{ref}/check-runs). */
export interface CheckRunFact {
  id: number;
  name: string;
  status: string;
  conclusion: string | null;
  appSlug: string | null;
  url: string | null;
}

/** A check suite of the head commit (GET …/commits/{ref}/check-suites). */
export interface CheckSuiteFact {
  status: string | null;
  appSlug: string | null;
  /** GitHub creates a suite for every app with checks permission; one with no runs never completes. */
  runCount: number;
}

/** One commit status context (GET …/commits/{ref}/status). */
export interface StatusFact {
  context: string;
  state: string;
  url: string | null;
}

export interface CiChecks {
  checkRuns: CheckRunFact[];
  suites: CheckSuiteFact[];
  statuses: StatusFact[];
}

/** A check that failed, before its annotations and log are fetched. */
export interface FailedCheckRef {
  name: string;
  conclusion: string;
  url: string | null;
  /** The check run's id, for its annotations and (GitHub Actions) its job log; null for a commit status. */
  checkRunId: number | null;
  actionsJob: boolean;
}

const MAX_CHECK_NAME = 1_000;
const FAILED_RUN = new Set(["failure", "timed_out", "startup_failure"]);
const FAILED_STATUS = new Set(["failure", "error"]);

/**
 * `*` is any run of characters (`/` included: check names read "CI / test"), `?` one.
 * Case-insensitive. The repository writes the glob and its CI the name, and this runs in the bot's
 * process: the classic wildcard match (back up only to the last `*`), O(glob × name) at worst,
 * never a backtracking regex.
 */
export function globMatches(glob: string, name: string): boolean {
  // Check names are short; one past this is nobody's to match (and bounds the work).
  if (name.length > MAX_CHECK_NAME) return false;
  const g = [...glob.toLowerCase()];
  const n = [...name.toLowerCase()];
  let gi = 0;
  let ni = 0;
  let star = -1;
  let mark = 0;
  while (ni < n.length) {
    if (gi < g.length && (g[gi] === "?" || (g[gi] !== "*" && g[gi] === n[ni]))) {
      gi++;
      ni++;
    } else if (gi < g.length && g[gi] === "*") {
      star = gi++;
      mark = ni;
    } else if (star >= 0) {
      gi = star + 1;
      ni = ++mark;
    } else {
      return false;
    }
  }
  while (gi < g.length && g[gi] === "*") gi++;
  return gi === g.length;
}

/** Whether the repository's `onlyChecks`/`ignoreChecks` let this check's name count. */
export function checkCounts(name: string, config: Pick<CiFixConfig, "onlyChecks" | "ignoreChecks">): boolean {
  if (config.ignoreChecks.some((g) => globMatches(g, name))) return false;
  return config.onlyChecks.length === 0 || config.onlyChecks.some((g) => globMatches(g, name));
}

/**
 * The head's CI, the bot's own checks left out: whether everything has finished, and what failed
 * (only checks the config lets count).
 */
export function summarizeChecks(ci: CiChecks, botSlug: string, config: Pick<CiFixConfig, "onlyChecks" | "ignoreChecks">): { finished: boolean; failed: FailedCheckRef[] } {
  const notOurs = (slug: string | null) => slug?.toLowerCase() !== botSlug.toLowerCase();
  const runs = ci.checkRuns.filter((r) => notOurs(r.appSlug) && checkCounts(r.name, config));
  const statuses = ci.statuses.filter((s) => checkCounts(s.context, config));
  const finished =
    runs.every((r) => r.status === "completed") &&
    ci.suites.every((s) => !notOurs(s.appSlug) || s.runCount === 0 || s.status === "completed") &&
    statuses.every((s) => s.state !== "pending");
  const failed: FailedCheckRef[] = [
    ...runs.filter((r) => r.status === "completed" && FAILED_RUN.has(r.conclusion ?? "")).map((r) => ({ name: r.name, conclusion: r.conclusion ?? "failure", url: r.url, checkRunId: r.id, actionsJob: r.appSlug === "github-actions" })),
    ...statuses.filter((s) => FAILED_STATUS.has(s.state)).map((s) => ({ name: s.context, conclusion: s.state, url: s.url, checkRunId: null, actionsJob: false })),
  ];
  return { finished, failed };
}

/** The pull request whose head failed, as GitHub answers it. */
export interface PullFacts {
  number: number;
  headRef: string;
  headSha: string;
  /** The head branch lives in another repository. */
  fork: boolean;
  open: boolean;
}

export interface CiRunFacts {
  config: CiFixConfig;
  /** The repository's (or the deployment's) branch prefix. */
  branchPrefix: string;
  /** The commit the check event was about. */
  headSha: string;
  pull: PullFacts | null;
  /** The thread's issue, when the head branch is `<prefix>issue-<n>` and that thread opened this PR. */
  ownerIssue: number | null;
  checks: { finished: boolean; failed: FailedCheckRef[] };
  /** The head commit the bot's last push in the thread left (null: it never pushed there). */
  lastPushedSha: string | null;
  /** Automatic CI runs in the thread since the last run someone asked for. */
  autoAttempts: number;
  /** A run of the thread has not finished (it may push again), or one was started for this head already. */
  threadBusy?: boolean;
  headHandled?: boolean;
}

export type CiDecision = { start: true; failed: FailedCheckRef[] } | { start: false; reason: string; capReached?: boolean };

const no = (reason: string): CiDecision => ({ start: false, reason });

/** Whether the branch is one the bot names for an issue: `<prefix>issue-<n>`. */
export function ownIssueOf(branch: string, prefix: string): number | null {
  const match = /issue-(\d+)$/.exec(branch);
  if (!match) return null;
  const n = Number(match[1]);
  return issueBranch(prefix, n) === branch ? n : null;
}

/** A check event's decision: start an automatic CI follow-up or not, and why. */
export function decideCiRun(f: CiRunFacts): CiDecision {
  const pr = f.pull;
  if (!pr || !pr.open) return no("no open pull request has this commit as its head");
  if (pr.fork) return no("a fork's pull request: the bot never pushes there, so its CI is never fixed automatically");
  if (pr.headSha !== f.headSha) return no("the commit is no longer the pull request's head");
  if (!f.config.enabled) return no("ciFix.enabled is false");
  const own = ownIssueOf(pr.headRef, f.branchPrefix) !== null;
  if (!own && !f.config.allPullRequests) return no(`${pr.headRef} is not a branch the bot owns (ciFix.allPullRequests is off)`);
  if (!f.checks.finished) return no("checks are still running on this commit");
  if (f.checks.failed.length === 0) return no("no counted check failed");
  // On the bot's own branch the head must be its push; elsewhere, once it has pushed, the same.
  if (f.lastPushedSha !== f.headSha && (own || f.lastPushedSha !== null)) return no("the head is not the bot's last push (someone pushed since)");
  if (f.headHandled) return no("a CI follow-up for this head was started already");
  if (f.threadBusy) return no("a run is going in the thread");
  if (f.autoAttempts >= f.config.maxAttempts) return { start: false, reason: `ciFix.maxAttempts (${f.config.maxAttempts}) reached`, capReached: true };
  return { start: true, failed: f.checks.failed };
}

/**
 * The thread a CI follow-up continues when neither of the PR's threads has pushed yet: the issue
 * thread that opened the bot's pull request, else the pull request's own (as a mention there).
 * Once one has, the thread whose run pushed last continues (its session wrote the change).
 */
export function ciThreadNumber(pullNumber: number, ownerIssue: number | null): number {
  return ownerIssue ?? pullNumber;
}

export function ciThreadKey(repoFullName: string, pullNumber: number, ownerIssue: number | null): string {
  return threadKey(repoFullName, ciThreadNumber(pullNumber, ownerIssue));
}

/** The dedupe key of a CI follow-up: one per pull request and head commit, whatever delivery brings it. */
export function ciObjectKey(repoFullName: string, pullNumber: number, headSha: string): string {
  return `ci:${repoFullName.toLowerCase()}#${pullNumber}:${headSha}`;
}

/** Stored runs, newest first, reduced to what the attempt count needs. */
export interface RunFact {
  kind: string;
  pushedSha: string | null;
}

/** Automatic CI runs since the newest run someone asked for (a comment, a label, `@bot fix-ci`…). */
export function autoAttemptsSince(runs: readonly RunFact[]): number {
  const human = runs.findIndex((r) => r.kind !== "ci_failure");
  return human === -1 ? runs.length : human;
}

/** The head the bot's newest push in the thread left. */
export function lastPushedSha(runs: readonly RunFact[]): string | null {
  return runs.find((r) => r.pushedSha)?.pushedSha ?? null;
}

/** A check_suite / check_run / workflow_run delivery, reduced to what the CI decision needs. */
export interface CiEvent {
  deliveryId: string;
  installationId: number;
  repo: RepoRef;
  headSha: string;
  headBranch: string | null;
  /** The pull requests the payload names (never a fork's). */
  pulls: number[];
  /** The app whose check it is (null for a workflow run: always GitHub Actions). */
  appSlug: string | null;
}

export type CiParseResult = { ok: true; event: CiEvent } | { ok: false; reason: string };

function repoRef(r: z.infer<typeof repositorySchema>): RepoRef {
  return { id: r.id, owner: r.owner.login, name: r.name, fullName: r.full_name, htmlUrl: r.html_url, defaultBranch: r.default_branch, private: r.private };
}

type Reduced = Omit<CiEvent, "deliveryId" | "installationId" | "repo">;
function parseWith<S extends z.ZodType>(schema: S, reduce: (p: z.infer<S>) => Reduced) {
  return (deliveryId: string, payload: unknown): CiParseResult => {
    const parsed = schema.safeParse(payload);
    if (!parsed.success) {
      const first = parsed.error.issues[0];
      return { ok: false, reason: `payload field ${first?.path.join(".") || "?"}: ${first?.message ?? "invalid"}` };
    }
    const p = parsed.data as { installation: { id: number }; repository: z.infer<typeof repositorySchema> };
    return { ok: true, event: { deliveryId, installationId: p.installation.id, repo: repoRef(p.repository), ...reduce(parsed.data) } };
  };
}

export const parseCheckSuite = parseWith(checkSuitePayload, (p) => ({ headSha: p.check_suite.head_sha, headBranch: p.check_suite.head_branch, pulls: p.check_suite.pull_requests.map((x) => x.number), appSlug: p.check_suite.app?.slug ?? null }));
export const parseCheckRun = parseWith(checkRunPayload, (p) => ({ headSha: p.check_run.head_sha, headBranch: p.check_run.check_suite?.head_branch ?? null, pulls: p.check_run.pull_requests.map((x) => x.number), appSlug: p.check_run.app?.slug ?? null }));
export const parseWorkflowRun = parseWith(workflowRunPayload, (p) => ({ headSha: p.workflow_run.head_sha, headBranch: p.workflow_run.head_branch, pulls: p.workflow_run.pull_requests.map((x) => x.number), appSlug: null }));

/** The bot's own check completing starts nothing (no API call either). */
export function isOwnCheck(event: Pick<CiEvent, "appSlug">, botSlug: string): boolean {
  return event.appSlug !== null && event.appSlug.toLowerCase() === botSlug.toLowerCase();
}
