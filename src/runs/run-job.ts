import type { Logger } from "pino";
import { buildClaudeArgs, buildClaudeEnv, transcriptPath } from "../agent/claude-args.ts";
import { buildIssuePrompt } from "../agent/prompt.ts";
import { runClaude } from "../agent/run-claude.ts";
import type { ResultEvent } from "../agent/stream-events.ts";
import { issueBranch } from "../triggers/branch-name.ts";
import { extractRequest } from "../triggers/mention.ts";
import { createIssueComment, updateIssueComment } from "../github/comments.ts";
import type { GitHubClient } from "../github/octokit-types.ts";
import { initialProgress, reduceProgress, type ProgressState } from "../github/progress-state.ts";
import { createProgressEditor } from "../github/progress-editor.ts";
import { openOrFindPull } from "../github/pulls.ts";
import { renderProgress } from "../github/render-progress.ts";
import { renderReport, type RunSummary } from "../github/render-report.ts";
import type { TokenMinter } from "../github/tokens.ts";
import type { Sandbox, SandboxProvider } from "../sandbox/types.ts";
import type { RunRecord, Store, ThreadRecord } from "../store/types.ts";
import { createRedactor } from "../util/redact.ts";
import { withTimeout } from "../util/with-timeout.ts";
import { commitLeftovers, prepareCheckout, pushBranch, type Identity } from "../workspace/workspace.ts";
import { describeAgentFailure } from "./agent-failure.ts";
import { isPhase, PhaseError, type Phase } from "./phases.ts";
import { MAX_ATTEMPTS } from "./recover.ts";

const SANDBOX_START_TIMEOUT_MS = 120_000;

/** One run, phase by phase: sandbox → clone → agent → publish → report. Cleanup in finally. */

export interface RunJobDeps {
  store: Store;
  sandboxes: SandboxProvider;
  mintToken: TokenMinter;
  installationClient: (installationId: number) => Promise<GitHubClient>;
  identity: Identity;
  triggerPhrase: () => string;
  settings: {
    branchPrefix: string;
    claudeCommand: string;
    model?: string | undefined;
    maxTurns?: number | undefined;
    sandboxTimeoutMs: number;
    progressIntervalMs: number;
    anthropicApiKey?: string | undefined;
    claudeOauthToken?: string | undefined;
    anthropicBaseUrl?: string | undefined;
  };
  log: Logger;
  now?: () => number;
}

export async function runJob(deps: RunJobDeps, run: RunRecord): Promise<void> {
  const now = deps.now ?? Date.now;
  const t = run.trigger;
  const log = deps.log.child({ run: run.id, thread: run.threadKey, delivery: run.deliveryId });
  const where = { owner: t.repo.owner, repo: t.repo.name };
  const redact = createRedactor([deps.settings.anthropicApiKey, deps.settings.claudeOauthToken]);
  const startedAt = now();
  const client = await deps.installationClient(t.installationId);

  const existing = await deps.store.getThread(run.threadKey);
  const thread: Omit<ThreadRecord, "updatedAt"> = existing ?? {
    key: run.threadKey,
    repoFullName: t.repo.fullName,
    number: t.issue.number,
    branch: "",
    prNumber: null,
    sessionId: null,
    transcript: null,
  };
  if (!thread.branch) thread.branch = issueBranch(deps.settings.branchPrefix, t.issue.number);

  let progress: ProgressState = initialProgress(startedAt);
  let commentId = run.progressCommentId;
  if (commentId === null) {
    // The webhook's acknowledgement did not get to post it (GitHub hiccup, or a restart): post it now.
    commentId = await createIssueComment(client, where, t.issue.number, renderProgress(run.id, progress, now()));
    await deps.store.updateRun(run.id, { progressCommentId: commentId });
  }
  const progressCommentId = commentId;
  const editor = createProgressEditor({
    intervalMs: deps.settings.progressIntervalMs,
    write: (body) => updateIssueComment(client, where, progressCommentId, body),
    onError: (error) => log.warn({ err: error }, "could not update the progress comment; will retry with the next update"),
  });
  const show = (next: ProgressState) => {
    progress = next;
    editor.update(renderProgress(run.id, progress, now()));
  };
  let phase: Phase = "sandbox";
  const enter = async (next: Phase) => {
    phase = next;
    show({ ...progress, phase: next });
    await deps.store.updateRun(run.id, { phase: next });
  };

  let sandbox: Sandbox | null = null;
  let summary: RunSummary;
  const resumed = Boolean(thread.sessionId && thread.transcript);
  let result: ResultEvent | null = null;
  const base = { runId: run.id, branch: thread.branch, branchUrl: `${t.repo.htmlUrl}/tree/${thread.branch}`, resumed };
  try {
    if (run.attempts > MAX_ATTEMPTS) {
      throw new PhaseError(
        isPhase(run.phase) ? run.phase : "queue",
        "The bot was restarted during this run more than once, so it gave up. Mention the bot again to start over.",
      );
    }
    await enter("sandbox");
    const creating = deps.sandboxes.create({
      metadata: { app: "claude-sandbox-bot", thread: run.threadKey, run: String(run.id) },
      timeoutMs: deps.settings.sandboxTimeoutMs,
    });
    // A sandbox that starts after we gave up on it must still be killed.
    let gaveUp = false;
    creating.then((late) => (gaveUp ? late.kill() : undefined)).catch(() => undefined);
    sandbox = await withTimeout(creating, SANDBOX_START_TIMEOUT_MS, `it did not start within ${SANDBOX_START_TIMEOUT_MS / 1000} s`).catch((error: unknown) => {
      gaveUp = true;
      throw new PhaseError("sandbox", `The sandbox could not be started: ${(error as Error).message}. Try again; if it keeps failing, check the sandbox provider's status and configuration.`, { cause: error });
    });
    const box = sandbox;

    await enter("clone");
    const readToken = await deps.mintToken(t.installationId, t.repo.name, "read");
    redact.add(readToken);
    const checkout = await prepareCheckout({
      sandbox: box,
      cloneUrl: t.repo.cloneUrl,
      token: readToken,
      branch: thread.branch,
      defaultBranch: t.repo.defaultBranch,
      identity: deps.identity,
    }).catch((error: unknown) => {
      throw new PhaseError("clone", redact((error as Error).message), { cause: error });
    });

    await enter("agent");
    if (resumed && thread.sessionId && thread.transcript) {
      await box.writeFile(transcriptPath(box.homeDir, box.workdir, thread.sessionId), thread.transcript);
    }
    const prompt = buildIssuePrompt({
      repoFullName: t.repo.fullName,
      branch: thread.branch,
      issue: t.issue,
      request: extractRequest(t.comment.body, deps.triggerPhrase()),
      requestAuthor: t.comment.author.login,
      resumed,
    });
    const claude = await runClaude({
      sandbox: box,
      argv: buildClaudeArgs({ command: deps.settings.claudeCommand, resumeSessionId: resumed ? thread.sessionId : null, model: deps.settings.model, maxTurns: deps.settings.maxTurns }),
      env: buildClaudeEnv({
        homeDir: box.homeDir,
        anthropicApiKey: deps.settings.anthropicApiKey,
        oauthToken: deps.settings.claudeOauthToken,
        anthropicBaseUrl: deps.settings.anthropicBaseUrl,
      }),
      prompt,
      cwd: box.workdir,
      timeoutMs: deps.settings.sandboxTimeoutMs,
      onEvent: (event) => show(reduceProgress(progress, event)),
    });
    result = claude.result;
    if (claude.sessionId) {
      thread.sessionId = claude.sessionId;
      thread.transcript = await box.readFile(transcriptPath(box.homeDir, box.workdir, claude.sessionId));
    }
    const failure = describeAgentFailure(claude);
    if (failure) throw new PhaseError("agent", redact(failure));

    await enter("publish");
    const commit = await commitLeftovers(box, checkout.startSha, `Claude: ${t.issue.title} (#${t.issue.number})`).catch((error: unknown) => {
      throw new PhaseError("publish", redact((error as Error).message), { cause: error });
    });
    if (commit.newCommits === 0) {
      summary = { ...base, outcome: "no_changes", durationMs: now() - startedAt, result, files: [] };
    } else {
      const writeToken = await deps.mintToken(t.installationId, t.repo.name, "write");
      redact.add(writeToken);
      await pushBranch(box, thread.branch, writeToken).catch((error: unknown) => {
        throw new PhaseError("publish", redact((error as Error).message), { cause: error });
      });
      const pr = await openOrFindPull(client, where, {
        branch: thread.branch,
        base: t.repo.defaultBranch,
        title: t.issue.title,
        body: redact(pullBody(t.issue.number, result?.result ?? "", run.id)),
        draft: true,
      }).catch((error: unknown) => {
        const status = (error as { status?: number }).status;
        throw new PhaseError(
          "publish",
          `The branch ${thread.branch} was pushed, but the pull request could not be opened (HTTP ${status ?? "?"}: ${(error as Error).message}). Open it by hand from the branch, or check the app's pull_requests permission.`,
          { cause: error },
        );
      });
      thread.prNumber = pr.number;
      summary = { ...base, outcome: "done", pr, durationMs: now() - startedAt, result, files: commit.files };
    }
  } catch (error) {
    const phaseError = error instanceof PhaseError ? error : new PhaseError(phase, `Unexpected error: ${(error as Error).message}`, { cause: error });
    log.error({ err: error, phase: phaseError.phase }, "run failed");
    summary = { ...base, outcome: "failed", failedPhase: phaseError.phase, error: phaseError.message, durationMs: now() - startedAt, result, files: [] };
  } finally {
    if (sandbox) await sandbox.kill().catch((error: unknown) => log.warn({ err: error }, "could not kill the sandbox"));
    await deps.store.saveThread(thread);
  }

  const finalSummary = summary;
  await deps.store.updateRun(run.id, {
    state: finalSummary.outcome === "failed" ? "failed" : finalSummary.outcome === "canceled" ? "canceled" : "succeeded",
    phase: null,
    finishedAt: new Date(now()).toISOString(),
    error: finalSummary.error ?? null,
    result: { outcome: finalSummary.outcome, failedPhase: finalSummary.failedPhase ?? null, pr: finalSummary.pr ?? null, claude: result },
  });
  await editor.finish(renderReport(finalSummary, redact));
  log.info({ outcome: finalSummary.outcome, pr: finalSummary.pr?.number }, "run finished");
}

function pullBody(issueNumber: number, claudeSummary: string, runId: number): string {
  const summary = claudeSummary.trim() || "_Claude did not leave a summary._";
  return `Closes #${issueNumber}\n\n${summary}\n\n---\n<sub>Opened by claude-sandbox-bot (run ${runId}). Mention the bot in #${issueNumber} to ask for changes.</sub>`;
}
