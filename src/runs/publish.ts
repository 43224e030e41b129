import { inertMentions, inlineCode } from "../util/markdown.ts";
import type { RepoConfig } from "../config/repo-config.ts";
import type { GitHubClient } from "../github/octokit-types.ts";
import { openOrFindPull, type PullRef } from "../github/pulls.ts";
import type { TokenMinter } from "../github/tokens.ts";
import type { Sandbox } from "../sandbox/types.ts";
import type { Actor, Trigger } from "../triggers/types.ts";
import type { Redactor } from "../util/redact.ts";
import type { HostRepo } from "../workspace/host-repo.ts";
import type { AddedText } from "../workspace/added-text.ts";
import { askers, coAuthorTrailers } from "../workspace/co-authors.ts";
import { gitDataApi } from "../workspace/git-data-commit.ts";
import { commitLeftovers, diffSince, logSince, type CommitResult } from "../workspace/sandbox-git.ts";
import type { CheckoutPlan } from "./checkout-plan.ts";
import type { ClaudeRunOutput } from "../agent/run-claude.ts";
import type { RunOutcome } from "./outcome.ts";
import { PhaseError } from "./phases.ts";
import type { RunContext } from "./run-context.ts";
import type { Workspace } from "./workspace-step.ts";

/**
 * After Claude, in code mode: commit what it left; if anything changed, push with a fresh token
 * from the bot's own machine (the sandbox hands its commits over as a bundle: see host-repo.ts)
 * and open the PR (issue threads) — or, where nothing may be pushed (a fork's PR), keep the
 * change as a patch for the report. A change holding a secret value is never published. Every
 * commit credits the people the run answers (Co-authored-by) and, unless the repository says
 * `signedCommits: false`, is made through GitHub's API, which signs it (git-data-commit.ts).
 */

export interface PublishInput {
  sandbox: Sandbox;
  client: GitHubClient;
  mintToken: TokenMinter;
  redact: Redactor;
  trigger: Trigger;
  config: RepoConfig;
  plan: CheckoutPlan;
  /** Where the push happens (opened while Claude worked); null exactly when nothing may be pushed (plan.push false). */
  hostRepo: Promise<HostRepo> | null;
  /** The branch did not exist on the remote before this run. */
  branchIsNew: boolean;
  startSha: string;
  claudeSummary: string;
  runId: number;
  /** The people the run answers, credited in every commit (default: co-authors.ts's askers). Bots are left out. */
  coAuthors?: Actor[];
  /** Throws (CanceledError) when the run was stopped; asked right before the push and the pull request. */
  checkCanceled?: () => Promise<void>;
}

export type PublishResult =
  | { changed: false }
  | { changed: true; files: CommitResult["files"]; pr: PullRef | null; patch: string | null; pushedSha?: string; unsigned?: string };

export async function publish(input: PublishInput): Promise<PublishResult> {
  const { sandbox, trigger: t, redact, plan } = input;
  const gitFailed = (error: unknown): never => {
    throw new PhaseError("publish", redact((error as Error).message), { cause: error, category: "git" });
  };
  const bundlePath = input.hostRepo ? `${sandbox.homeDir}/.csb-changes.bundle` : "";
  const commit = await commitLeftovers(sandbox, input.startSha, `Claude: ${t.thread.title} (#${t.thread.number})`, bundlePath).catch(gitFailed);
  if (commit.newCommits === 0) return { changed: false };
  if (!input.hostRepo) {
    refuseSecrets(await logSince(sandbox, input.startSha).catch(gitFailed), redact);
    return { changed: true, files: commit.files, pr: null, patch: redact(await diffSince(sandbox, input.startSha)) };
  }

  const bundle = await sandbox.readBytes(bundlePath);
  if (!bundle) throw new PhaseError("publish", "The sandbox did not hand over its commits (the git bundle is missing), so nothing was pushed. Mention the bot again to retry.", { category: "git" });
  // The write token is minted while the commits are imported; it never enters the sandbox.
  const [repo, writeToken] = await Promise.all([input.hostRepo.catch(gitFailed), input.mintToken(t.installationId, t.repo.name, "write")]);
  redact.add(writeToken);
  refuseSecrets(await repo.importBundle(bundle).catch(gitFailed), redact);
  await input.checkCanceled?.();
  const { sha: pushedSha, unsigned } = await publishCommits(input, repo, writeToken, gitFailed);
  const pushed = { pushedSha, ...(unsigned ? { unsigned } : {}) };
  if (!plan.openPull) {
    return { changed: true, files: commit.files, pr: { number: t.thread.number, htmlUrl: t.thread.htmlUrl, created: false }, patch: null, ...pushed };
  }
  await input.checkCanceled?.();
  const pr = await openOrFindPull(input.client, { owner: t.repo.owner, repo: t.repo.name }, {
    branch: plan.branch,
    base: plan.base,
    title: t.thread.title,
    body: redact(pullBody(t.thread.number, input.claudeSummary, input.runId)),
    draft: input.config.draftPullRequests,
    branchIsNew: input.branchIsNew,
  }).catch((error: unknown) => {
    const status = (error as { status?: number }).status;
    throw new PhaseError(
      "publish",
      `The branch ${plan.branch} was pushed, but the pull request could not be opened (HTTP ${status ?? "?"}: ${(error as Error).message}). Open it by hand from the branch, or check the app's pull_requests permission.`,
      { cause: error, category: "github" },
    );
  });
  return { changed: true, files: commit.files, pr, patch: null, ...pushed };
}

const PUSH_HINT = "if someone pushed to the branch meanwhile, mention the bot again to continue on top of it; otherwise check the branch protection rules and the app's contents permission";

/** The API path failed: said like the push's rejection when GitHub refused to move the branch, since the cause is the same. */
function apiFailure(error: unknown, branch: string, redact: Redactor): PhaseError {
  const status = (error as { status?: number }).status;
  const message = (error as Error).message;
  if (status === 422 && /fast.forward/i.test(message)) {
    return new PhaseError("publish", `git push failed — the push to ${branch} was rejected (GitHub: ${redact(message)}): ${PUSH_HINT}`, { cause: error, category: "git" });
  }
  const what = status ? `HTTP ${status}: ${message}` : message;
  return new PhaseError("publish", redact(`The commits could not be made through GitHub's API (${what}), so ${branch} was not changed: ${PUSH_HINT}. \`signedCommits: false\` in the repository config pushes them instead.`), { cause: error, category: status ? "github" : "git" });
}

/**
 * Credits the run's commits, then publishes them: through the API (verified), or pushed when the
 * repository turned that off or the API cannot express the change. Returns the branch's new tip
 * and why the commits went unsigned (null: signed, or signing is off).
 */
async function publishCommits(input: PublishInput, repo: HostRepo, writeToken: string, gitFailed: (error: unknown) => never): Promise<{ sha: string; unsigned: string | null }> {
  const { trigger: t, client, plan } = input;
  const lookupId = (username: string) => client.rest.users.getByUsername({ username }).then((r) => r.data.id, () => null);
  const tip = await repo.credit(await coAuthorTrailers(input.coAuthors ?? askers(t), lookupId)).catch(gitFailed);
  if (input.config.signedCommits === false) {
    await repo.push(plan.branch, writeToken).catch(gitFailed);
    return { sha: tip, unsigned: null };
  }
  const api = gitDataApi(client, { owner: t.repo.owner, repo: t.repo.name });
  const made = await repo.publishThroughApi(api, plan.branch, input.branchIsNew).catch((error: unknown) => {
    throw apiFailure(error, plan.branch, input.redact);
  });
  if (made.published) return { sha: made.sha, unsigned: null };
  await repo.push(plan.branch, writeToken).catch(gitFailed);
  return { sha: tip, unsigned: made.reason };
}

/**
 * A change that adds a secret (a model key, a token, a passed-through variable, in any of the
 * encodings the matcher knows, or anything shaped like a credential) is never published. Lines
 * are also read joined, for an encoding wrapped over several lines.
 */
function refuseSecrets(added: AddedText, redact: Redactor): void {
  const found = redact.find(added.text) ?? redact.find(added.text.replace(/\r?\n/g, ""));
  if (!found) return;
  const leaking = added.files.length > 0 ? ` (in ${added.files.slice(0, 20).map((f) => inlineCode(f, { maxChars: 200 })).join(", ")} or a commit message)` : "";
  throw new PhaseError(
    "publish",
    `The change contains ${found.what}${leaking}, so nothing was pushed. Ask for the change again without writing secrets (or anything shaped like a credential) into files.`,
    { category: "git" },
  );
}

function pullBody(issueNumber: number, claudeSummary: string, runId: number): string {
  // A new PR notifies whoever its body mentions: Claude's @mentions are made inert.
  const summary = inertMentions(claudeSummary.trim()) || "_Claude did not leave a summary._";
  // A run API run without an issue closes nothing and is continued through the API.
  if (issueNumber === 0) return `${summary}\n\n---\n<sub>Opened by claude-sandbox-bot (run ${runId}, started through the run API).</sub>`;
  return `Closes #${issueNumber}\n\n${summary}\n\n---\n<sub>Opened by claude-sandbox-bot (run ${runId}). Mention the bot in #${issueNumber} to ask for changes.</sub>`;
}

/** Code mode's publisher, as a step of the run: the thread remembers the PR the change went to. */
export async function publishCode(ctx: RunContext, ws: Workspace, claude: ClaudeRunOutput): Promise<RunOutcome> {
  const published = await publish({
    sandbox: ws.sandbox,
    client: ctx.client,
    mintToken: ctx.deps.mintToken,
    redact: ctx.redact,
    trigger: ctx.trigger,
    config: ctx.config,
    plan: ws.plan,
    hostRepo: ctx.scope.hostRepo,
    branchIsNew: !ws.checkout.branchExisted,
    startSha: ws.checkout.startSha,
    claudeSummary: claude.result?.result ?? "",
    runId: ctx.run.id,
    checkCanceled: () => ctx.cancel.checkNow(),
    coAuthors: creditedPeople(ctx),
  });
  if (!published.changed) return { outcome: "no_changes", files: [] };
  if (published.pr) ctx.trail.thread.prNumber = published.pr.number;
  return { outcome: "done", pr: published.pr ?? undefined, files: published.files, patch: published.patch ?? undefined, pushedSha: published.pushedSha, unsigned: published.unsigned };
}

/** The asker, and each author of a steering message the run took in (once each; ids looked up). */
export function creditedPeople(ctx: Pick<RunContext, "trigger" | "trail">): Actor[] {
  const steerers = (ctx.trail.steering ?? []).filter((note) => !note.missed).map((note): Actor => ({ login: note.author, type: "User" }));
  const seen = new Set<string>();
  return [...askers(ctx.trigger), ...steerers].filter((actor) => {
    const key = actor.login.toLowerCase();
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
