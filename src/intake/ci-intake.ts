import type { Logger } from "pino";
import type { RepoConfig } from "../config/repo-config.ts";
import type { ConfigClient } from "../config/repo-config-read.ts";
import { describeFailures, fetchCiChecks } from "../github/ci-logs.ts";
import type { GitHubClient, RepoCoords } from "../github/octokit-types.ts";
import { FINISHED_STATES, parseStoredResult } from "../runs/outcome.ts";
import { branchPrefixFor } from "../triggers/branch-name.ts";
import {
  autoAttemptsSince,
  ciObjectKey,
  ciThreadKey,
  decideCiRun,
  isOwnCheck,
  lastPushedSha,
  ownIssueOf,
  summarizeChecks,
  type CiEvent,
  type CiParseResult,
  type FailedCheckRef,
  type PullFacts,
  type RunFact,
} from "../triggers/ci-trigger.ts";
import { threadKey, type Trigger } from "../triggers/types.ts";
import { createRedactor } from "../util/redact.ts";
import { authorize } from "./authorize.ts";
import type { IntakeDeps } from "./intake.ts";
import { reply, replyCouldNotTake } from "./replies.ts";

/**
 * Check events (check_suite, check_run, workflow_run completed) and `@bot fix-ci`: when a pull
 * request's head fails CI, a follow-up run continues the thread's Claude session with the failed
 * checks, their annotations and the end of each failed job's log. Which CI counts and whether a
 * run starts is decided in triggers/ci-trigger.ts (pure); this file gathers the facts.
 *
 * Unlike a mention, the decision needs GitHub's API (every check of the head, the pull request,
 * the logs), so it is made after the 2xx, in the background: a process dying in between loses
 * that one evaluation, and the next check event of the head makes it again. Runs are deduplicated
 * on the pull request and head commit (store.acceptRun's object key), so redeliveries and the
 * several events one head's CI sends start at most one run.
 */

const botSlug = (deps: IntakeDeps) => deps.appLogin.replace(/\[bot\]$/i, "");

export function ciIntake(deps: IntakeDeps, context: { id: string; octokit: unknown; log: Logger }, eventName: string, parsed: CiParseResult): void {
  const log = context.log.child({ delivery: context.id, event: eventName });
  if (!parsed.ok) {
    log.warn({ problem: parsed.reason, intake: "unreadable" }, "ignored a check event whose payload we could not read");
    return;
  }
  if (isOwnCheck(parsed.event, botSlug(deps))) {
    log.debug({ intake: "own" }, "the app's own check: no run");
    return;
  }
  const client = context.octokit as GitHubClient;
  void evaluateCiEvent(deps, client, parsed.event, eventName, log).catch((error: unknown) => log.warn({ err: error, intake: "failed" }, "could not evaluate the check event"));
}

async function evaluateCiEvent(deps: IntakeDeps, client: GitHubClient, event: CiEvent, eventName: string, log: Logger): Promise<void> {
  const loaded = await deps.repoConfig(event.repo, client as unknown as ConfigClient);
  if (!loaded.ok) return log.debug({ intake: "ignored" }, "invalid repository configuration: no CI follow-up");
  const config = loaded.config;
  const prefix = branchPrefixFor(config.branchPrefix, deps.branchPrefix);
  // Cheap refusals first: no API call for a branch that can never count.
  if (!config.ciFix.enabled) return log.debug({ intake: "ignored" }, "ciFix.enabled is false");
  if (event.headBranch !== null && ownIssueOf(event.headBranch, prefix) === null && !config.ciFix.allPullRequests) {
    return log.debug({ intake: "ignored", branch: event.headBranch }, "not a branch the bot owns: no CI follow-up");
  }
  const where = { owner: event.repo.owner, repo: event.repo.name };
  const pull = await findPull(client, where, event);
  const facts = pull ? await threadFacts(deps, event.repo.fullName, pull.facts, prefix) : null;
  const checks = pull ? summarizeChecks(await fetchCiChecks(client, where, event.headSha), botSlug(deps), config.ciFix) : { finished: false, failed: [] };
  const decision = decideCiRun({
    config: config.ciFix,
    branchPrefix: prefix,
    headSha: event.headSha,
    pull: pull?.facts ?? null,
    ownerIssue: facts?.ownerIssue ?? null,
    checks,
    lastPushedSha: facts?.lastPushed ?? null,
    autoAttempts: facts?.attempts ?? 0,
    threadBusy: facts?.busy ?? false,
    headHandled: facts?.handled.has(event.headSha) ?? false,
  });
  if (!pull || !facts || !decision.start) {
    const reason = decision.start ? "no pull request" : decision.reason;
    if (pull && !decision.start && decision.capReached) await commentCapReached(deps, client, event, pull.facts.number, config, log);
    return log.info({ intake: "ignored", reason, sha: event.headSha }, "no CI follow-up");
  }
  const trigger = await ciTrigger(deps, client, { event, pull, config, failed: decision.failed, auto: true });
  await accept(deps, client, trigger, facts.threadKey, eventName, ciObjectKey(event.repo.fullName, pull.facts.number, event.headSha), log);
}

interface FoundPull {
  facts: PullFacts;
  thread: Trigger["thread"];
}

type PullData = { number: number; state: string; title: string; body: string | null; html_url: string; user: { login: string } | null; head: { ref: string; sha: string; repo: { full_name: string } | null } };

function pullFacts(p: PullData, repoFullName: string): FoundPull {
  return {
    facts: { number: p.number, headRef: p.head.ref, headSha: p.head.sha, fork: p.head.repo?.full_name.toLowerCase() !== repoFullName.toLowerCase(), open: p.state === "open" },
    thread: { number: p.number, isPullRequest: true, title: p.title, body: p.body ?? "", htmlUrl: p.html_url, author: p.user?.login ?? "ghost" },
  };
}

/** The open pull request whose head is the event's commit: from the payload's list, else by the head branch. */
async function findPull(client: GitHubClient, where: RepoCoords, event: CiEvent): Promise<FoundPull | null> {
  const candidates: PullData[] = [];
  for (const number of event.pulls.slice(0, 5)) candidates.push((await client.rest.pulls.get({ ...where, pull_number: number })).data);
  if (candidates.length === 0 && event.headBranch) {
    const { data } = await client.rest.pulls.list({ ...where, state: "open", head: `${where.owner}:${event.headBranch}`, per_page: 10 });
    candidates.push(...(data as PullData[]));
  }
  const found = candidates.find((p) => p.head.sha === event.headSha) ?? candidates[0];
  return found ? pullFacts(found, `${where.owner}/${where.repo}`) : null;
}

/** The thread's side of the decision: which thread owns the PR, what the bot last pushed there, how many automatic attempts ran. */
interface ThreadFacts {
  ownerIssue: number | null;
  /** The thread the follow-up continues: the one whose run pushed last (its session wrote the change). */
  threadKey: string;
  lastPushed: string | null;
  attempts: number;
  busy: boolean;
  handled: Set<string>;
}

/**
 * The runs of the PR's threads — the issue thread that opened it (if any) and the PR's own (a
 * mention there) — newest first: what the bot pushed last, from which thread, and how many
 * automatic attempts ran since a person asked.
 */
async function threadFacts(deps: IntakeDeps, repoFullName: string, pull: PullFacts, prefix: string): Promise<ThreadFacts> {
  const issue = ownIssueOf(pull.headRef, prefix);
  const issueThread = issue === null ? null : await deps.store.getThread(ciThreadKey(repoFullName, issue, issue));
  const ownerIssue = issue !== null && issueThread?.prNumber === pull.number ? issue : null;
  const keys = [...new Set([ciThreadKey(repoFullName, pull.number, ownerIssue), ciThreadKey(repoFullName, pull.number, null)])];
  const runs = (await Promise.all(keys.map((threadKey) => deps.store.listRuns({ threadKey, limit: 50 })))).flat().sort((a, b) => b.id - a.id);
  const facts: RunFact[] = runs.map((r) => ({ kind: r.trigger.kind, pushedSha: parseStoredResult(r.result)?.pushedSha ?? null }));
  const pusher = runs.find((r) => parseStoredResult(r.result)?.pushedSha);
  const handled = new Set(runs.flatMap((r) => (r.trigger.kind === "ci_failure" && r.trigger.ci ? [r.trigger.ci.headSha] : [])));
  return { ownerIssue, threadKey: pusher?.threadKey ?? keys[0]!, lastPushed: lastPushedSha(facts), attempts: autoAttemptsSince(facts), busy: runs.some((r) => !FINISHED_STATES.has(r.state)), handled };
}

interface CiTriggerInput {
  event: Pick<CiEvent, "deliveryId" | "installationId" | "repo" | "headSha">;
  pull: FoundPull;
  config: RepoConfig;
  failed: readonly FailedCheckRef[];
  auto: boolean;
}

/** An automatic CI follow-up's trigger: the bot asks on the pull request, the failures attached. */
async function ciTrigger(deps: IntakeDeps, client: GitHubClient, input: CiTriggerInput): Promise<Trigger> {
  const { event, pull } = input;
  const checks = await describeFailures(client, { owner: event.repo.owner, repo: event.repo.name }, input.failed, createRedactor([...(deps.secrets ?? [])]));
  const request = ciRequest(pull.facts.number, event.headSha, checks.map((c) => c.name));
  return {
    kind: "ci_failure",
    deliveryId: event.deliveryId,
    installationId: event.installationId,
    repo: event.repo,
    actor: { login: deps.appLogin, type: "Bot" },
    thread: pull.thread,
    source: { type: "ci" },
    text: request,
    mode: "code",
    request,
    config: input.config,
    ci: { headSha: event.headSha, branch: pull.facts.headRef, pullNumber: pull.facts.number, auto: input.auto, checks },
  };
}

function ciRequest(pullNumber: number, headSha: string, names: readonly string[]): string {
  const shown = names.slice(0, 10).join(", ") + (names.length > 10 ? ` and ${names.length - 10} more` : "");
  return `The CI of pull request #${pullNumber} failed on its head commit ${headSha.slice(0, 12)} (${shown}). Find the cause and fix it.`;
}

async function accept(deps: IntakeDeps, client: GitHubClient, trigger: Trigger, threadKey: string, event: string, objectKey: string | undefined, log: Logger): Promise<void> {
  const run = await deps.store.acceptRun({ threadKey, deliveryId: trigger.deliveryId, trigger }, event, objectKey);
  if (!run) return log.info({ intake: "duplicate" }, "a CI follow-up for this head was started before: no second run");
  const runLog = log.child({ run: run.id, thread: threadKey });
  runLog.info({ sha: trigger.ci?.headSha, checks: trigger.ci?.checks.length, auto: trigger.ci?.auto }, "CI follow-up received; acknowledging");
  deps.acknowledge(run, client, runLog);
}

/** Once per head commit: the automatic attempts are used up, and how to go on. */
async function commentCapReached(deps: IntakeDeps, client: GitHubClient, event: CiEvent, pullNumber: number, config: RepoConfig, log: Logger): Promise<void> {
  if (!(await deps.store.recordDelivery(`ci-cap:${ciObjectKey(event.repo.fullName, pullNumber, event.headSha)}`, "ci-cap"))) return;
  const phrase = config.triggerPhrase ?? deps.triggerPhrase;
  const body = `CI still fails on ${event.headSha.slice(0, 12)} after ${config.ciFix.maxAttempts} automatic ${config.ciFix.maxAttempts === 1 ? "attempt" : "attempts"} (\`ciFix.maxAttempts\`), so I am not trying again on my own. Comment \`${phrase} fix-ci\` to have me try once more, or push a fix.`;
  await client.rest.issues.createComment({ owner: event.repo.owner, repo: event.repo.name, issue_number: pullNumber, body }).catch((error: unknown) => log.warn({ err: error }, "could not post the attempts-cap comment"));
}

export interface FixCiRequest {
  deliveryId: string;
  event: string;
  trigger: Trigger;
  config: RepoConfig;
  objectKey: string | undefined;
}

/** `@bot fix-ci`: the same follow-up on demand (permission checked first), whatever the attempts so far; on a fork's PR it ends in a patch. */
export function fixCiIntake(deps: IntakeDeps, client: GitHubClient, request: FixCiRequest, log: Logger): void {
  void fixCi(deps, client, request, log).catch((error: unknown) => replyCouldNotTake(client, request.trigger, error, log));
}

async function fixCi(deps: IntakeDeps, client: GitHubClient, request: FixCiRequest, log: Logger): Promise<void> {
  const { trigger: t, config } = request;
  if (!(await authorize(client, t, config.access, deps.replyLimiter, log))) return;
  const where = { owner: t.repo.owner, repo: t.repo.name };
  // The thread's pull request: this one, or the one the issue thread opened.
  const pullNumber = t.thread.isPullRequest ? t.thread.number : ((await deps.store.getThread(threadKey(t.repo.fullName, t.thread.number)))?.prNumber ?? null);
  if (!pullNumber) return reply(client, t, "`fix-ci` works on a pull request, or on an issue whose pull request I opened: there is none here.", log);
  const pull = pullFacts((await client.rest.pulls.get({ ...where, pull_number: pullNumber })).data, t.repo.fullName);
  const sha = pull.facts.headSha;
  const checks = summarizeChecks(await fetchCiChecks(client, where, sha), botSlug(deps), config.ciFix);
  if (checks.failed.length === 0) {
    return reply(client, t, checks.finished ? `No check failed on ${sha.slice(0, 12)}, the head of #${pullNumber}: nothing to fix.` : `No check has failed on ${sha.slice(0, 12)} yet (some are still running): ask again once one has.`, log);
  }
  const facts = await threadFacts(deps, t.repo.fullName, pull.facts, branchPrefixFor(config.branchPrefix, deps.branchPrefix));
  const ci = await ciTrigger(deps, client, { event: { deliveryId: request.deliveryId, installationId: t.installationId, repo: t.repo, headSha: sha }, pull, config, failed: checks.failed, auto: false });
  const trigger: Trigger = { ...t, mode: "code", config, request: ci.request ?? "", ...(ci.ci ? { ci: ci.ci } : {}) };
  await accept(deps, client, trigger, facts.threadKey, request.event, request.objectKey, log);
}
