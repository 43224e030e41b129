import type { Logger } from "pino";
import { buildClaudeArgs, buildClaudeEnv, transcriptPath } from "../agent/claude-args.ts";
import { buildIssuePrompt } from "../agent/prompt.ts";
import { runClaude } from "../agent/run-claude.ts";
import type { ResultEvent } from "../agent/stream-events.ts";
import { createIssueComment, updateIssueComment } from "../github/comments.ts";
import type { GitHubClient } from "../github/octokit-types.ts";
import { createProgressEditor } from "../github/progress-editor.ts";
import { initialProgress, reduceProgress, type ProgressState } from "../github/progress-state.ts";
import { renderProgress } from "../github/render-progress.ts";
import { renderReport, type RunSummary } from "../github/render-report.ts";
import type { TokenMinter } from "../github/tokens.ts";
import type { Sandbox, SandboxProvider } from "../sandbox/types.ts";
import type { RunRecord, Store, ThreadRecord } from "../store/types.ts";
import { issueBranch } from "../triggers/branch-name.ts";
import { extractRequest } from "../triggers/mention.ts";
import { createRedactor } from "../util/redact.ts";
import { withTimeout } from "../util/with-timeout.ts";
import { prepareCheckout, type Identity } from "../workspace/workspace.ts";
import { describeAgentFailure } from "./agent-failure.ts";
import { createPhaseClock } from "./phase-clock.ts";
import { isPhase, PhaseError, type Phase } from "./phases.ts";
import { publish } from "./publish.ts";
import { MAX_ATTEMPTS } from "./recover.ts";

/** One run, phase by phase: sandbox → clone → agent → publish → report. Cleanup in finally. */

const SANDBOX_START_TIMEOUT_MS = 120_000;

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
    sandboxCostPerSecondUsd: number;
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
  const clock = createPhaseClock(now);
  const client = await deps.installationClient(t.installationId);
  const thread = await loadThread(deps, run);

  // The progress comment: posted by the webhook's acknowledgement, or now if that did not get to it.
  let progress: ProgressState = initialProgress(startedAt);
  const commentId = run.progressCommentId ?? (await createIssueComment(client, where, t.issue.number, renderProgress(run.id, progress, now())));
  if (run.progressCommentId === null) await deps.store.updateRun(run.id, { progressCommentId: commentId });
  const editor = createProgressEditor({
    intervalMs: deps.settings.progressIntervalMs,
    write: (body) => updateIssueComment(client, where, commentId, body),
    onError: (error) => log.warn({ err: error }, "could not update the progress comment; the next update retries"),
  });
  const show = (next: ProgressState) => {
    progress = next;
    editor.update(renderProgress(run.id, progress, now()));
  };
  const enter = async (phase: Phase) => {
    clock.enter(phase);
    show({ ...progress, phase });
    await deps.store.updateRun(run.id, { phase });
  };

  let sandbox: Sandbox | null = null;
  let sandboxStartedAt = 0;
  let result: ResultEvent | null = null;
  const resumed = Boolean(thread.sessionId && thread.transcript);
  let outcome: Pick<RunSummary, "outcome" | "pr" | "files" | "failedPhase" | "errorCategory" | "error">;
  try {
    if (run.attempts > MAX_ATTEMPTS) {
      throw new PhaseError(isPhase(run.phase) ? run.phase : "queue", "The bot was restarted during this run more than once, so it gave up.", { category: "internal" });
    }

    await enter("sandbox");
    sandboxStartedAt = now();
    sandbox = await startSandbox(deps, run);
    const box = sandbox;

    await enter("clone");
    const readToken = await deps.mintToken(t.installationId, t.repo.name, "read");
    redact.add(readToken);
    const checkout = await prepareCheckout({ sandbox: box, cloneUrl: t.repo.cloneUrl, token: readToken, branch: thread.branch, defaultBranch: t.repo.defaultBranch, identity: deps.identity }).catch(
      (error: unknown) => {
        throw new PhaseError("clone", redact((error as Error).message), { cause: error, category: "git" });
      },
    );

    await enter("agent");
    if (resumed) await box.writeFile(transcriptPath(box.homeDir, box.workdir, thread.sessionId!), thread.transcript!);
    const claude = await runClaude({
      sandbox: box,
      argv: buildClaudeArgs({ command: deps.settings.claudeCommand, resumeSessionId: resumed ? thread.sessionId : null, model: deps.settings.model, maxTurns: deps.settings.maxTurns }),
      env: buildClaudeEnv({ homeDir: box.homeDir, anthropicApiKey: deps.settings.anthropicApiKey, oauthToken: deps.settings.claudeOauthToken, anthropicBaseUrl: deps.settings.anthropicBaseUrl }),
      prompt: buildIssuePrompt({
        repoFullName: t.repo.fullName,
        branch: thread.branch,
        issue: t.issue,
        request: extractRequest(t.comment.body, deps.triggerPhrase()),
        requestAuthor: t.comment.author.login,
        resumed,
      }),
      cwd: box.workdir,
      timeoutMs: deps.settings.sandboxTimeoutMs,
      onEvent: (event) => show(reduceProgress(progress, event)),
    });
    result = claude.result;
    if (claude.sessionId) {
      // Saved even when the run fails: the next mention continues the conversation.
      thread.sessionId = claude.sessionId;
      thread.transcript = await box.readFile(transcriptPath(box.homeDir, box.workdir, claude.sessionId));
    }
    const failure = describeAgentFailure(claude);
    if (failure) throw new PhaseError("agent", redact(failure.message), { category: failure.category });

    await enter("publish");
    const published = await publish({ sandbox: box, client, mintToken: deps.mintToken, redact, trigger: t, branch: thread.branch, startSha: checkout.startSha, claudeSummary: result?.result ?? "", runId: run.id });
    if (published.changed) thread.prNumber = published.pr.number;
    outcome = published.changed ? { outcome: "done", pr: published.pr, files: published.files } : { outcome: "no_changes", files: [] };
  } catch (error) {
    const failed = error instanceof PhaseError ? error : new PhaseError(clock.current ?? "queue", `Unexpected error: ${redact((error as Error).message)}`, { cause: error, category: "internal" });
    log.error({ err: error, phase: failed.phase, category: failed.category }, "run failed");
    outcome = { outcome: "failed", failedPhase: failed.phase, errorCategory: failed.category, error: failed.message, files: [] };
  } finally {
    if (sandbox) await sandbox.kill().catch((error: unknown) => log.warn({ err: error }, "could not kill the sandbox"));
    await deps.store.saveThread(thread);
  }

  const summary: RunSummary = {
    ...outcome,
    runId: run.id,
    branch: thread.branch,
    branchUrl: `${t.repo.htmlUrl}/tree/${thread.branch}`,
    resumed,
    result,
    durationMs: now() - startedAt,
    phaseMs: clock.durations(),
    sandboxCostUsd: sandboxStartedAt ? ((now() - sandboxStartedAt) / 1000) * deps.settings.sandboxCostPerSecondUsd : 0,
  };
  await deps.store.updateRun(run.id, {
    state: summary.outcome === "failed" ? "failed" : summary.outcome === "canceled" ? "canceled" : "succeeded",
    phase: null,
    finishedAt: new Date(now()).toISOString(),
    error: summary.error ?? null,
    result: { outcome: summary.outcome, failedPhase: summary.failedPhase ?? null, errorCategory: summary.errorCategory ?? null, pr: summary.pr ?? null, phaseMs: summary.phaseMs, sandboxCostUsd: summary.sandboxCostUsd, claude: result },
  });
  await editor.finish(renderReport(summary, redact));
  log.info({ outcome: summary.outcome, pr: summary.pr?.number, ms: summary.durationMs }, "run finished");
}

async function loadThread(deps: RunJobDeps, run: RunRecord): Promise<Omit<ThreadRecord, "updatedAt">> {
  const existing = await deps.store.getThread(run.threadKey);
  if (existing) return existing;
  const t = run.trigger;
  return {
    key: run.threadKey,
    repoFullName: t.repo.fullName,
    number: t.issue.number,
    kind: t.issue.isPullRequest ? "pull" : "issue",
    branch: issueBranch(deps.settings.branchPrefix, t.issue.number),
    prNumber: null,
    sessionId: null,
    transcript: null,
    sandboxId: null,
  };
}

async function startSandbox(deps: RunJobDeps, run: RunRecord): Promise<Sandbox> {
  const creating = deps.sandboxes.create({
    metadata: { app: "claude-sandbox-bot", thread: run.threadKey, run: String(run.id) },
    timeoutMs: deps.settings.sandboxTimeoutMs,
  });
  // A sandbox that starts after we gave up on it must still be killed.
  let gaveUp = false;
  creating.then((late) => (gaveUp ? late.kill() : undefined)).catch(() => undefined);
  return withTimeout(creating, SANDBOX_START_TIMEOUT_MS, `it did not start within ${SANDBOX_START_TIMEOUT_MS / 1000} s`).catch((error: unknown) => {
    gaveUp = true;
    throw new PhaseError("sandbox", `The sandbox could not be started: ${(error as Error).message}.`, { cause: error, category: "sandbox" });
  });
}
