import type { Logger } from "pino";
import { transcriptPath } from "../agent/claude-args.ts";
import type { ResultEvent } from "../agent/stream-events.ts";
import { DEFAULT_REPO_CONFIG } from "../config/repo-config.ts";
import type { GitHubClient } from "../github/octokit-types.ts";
import { reduceProgress } from "./report/progress-state.ts";
import { renderReport, type RunSummary } from "./report/render-report.ts";
import { fetchThreadContext } from "../github/thread-context.ts";
import type { TokenMinter } from "../github/tokens.ts";
import type { Sandbox, SandboxProvider } from "../sandbox/types.ts";
import type { RunRecord, Store, ThreadRecord } from "../store/types.ts";
import { requestText } from "../triggers/request-text.ts";
import { createRedactor } from "../util/redact.ts";
import { pinAgentConfigToBase, restoreAgentConfig } from "../workspace/agent-config.ts";
import { repoCloneUrl } from "../workspace/clone-url.ts";
import { openHostRepo, type HostRepo } from "../workspace/host-repo.ts";
import type { HostGit } from "../workspace/host-git.ts";
import type { Identity } from "../workspace/workspace.ts";
import { checkOut } from "./checkout-phase.ts";
import { describeAgentFailure } from "./agent-failure.ts";
import type { ModelGatewayService } from "../gateway/model-gateway.ts";
import { runAgentPhase, type AgentSettings } from "./agent-phase.ts";
import { CanceledError, watchCancellation } from "./cancellation.ts";
import { planCheckout } from "./checkout-plan.ts";
import { createPhaseClock } from "./phase-clock.ts";
import { isPhase, PhaseError } from "./phases.ts";
import { checkBudget } from "./budget.ts";
import { describeLimits, minDefined } from "./limits.ts";
import { keepForNextRun, reconnect, startSandbox } from "./sandbox-phase.ts";
import { publish } from "./publish.ts";
import type { RunEvents } from "./run-events.ts";
import { createRunProgress } from "./run-progress.ts";
import { MAX_ATTEMPTS } from "./recover.ts";
import { isOwnPull, parseReviewOutput, planReview, postReviewOrComment } from "./review.ts";
import { runSetupCommands } from "./setup-commands.ts";

/** One run, phase by phase: sandbox → clone → setup → agent → publish → report. Cleanup in finally. */

export interface RunJobDeps {
  store: Store;
  sandboxes: SandboxProvider;
  /** git on the bot's machine: the push, and a live sandbox's new commits (never a token in a sandbox the agent has used). */
  hostGit: HostGit;
  /** `https://github.com` or the GHE_HOST's: clone and push URLs are built from it and the repository's name, never taken from a payload. */
  gitBaseUrl: string;
  mintToken: TokenMinter;
  installationClient: (installationId: number) => Promise<GitHubClient>;
  identity: Identity;
  triggerPhrase: () => string;
  /** The deployment's BRANCH_PREFIX, for repositories that set no `branchPrefix`. */
  branchPrefix: string;
  appLogin: () => string;
  /** Values of the variables a repository's config passes through (from the bot's environment). */
  lookupEnv: (name: string) => string | undefined;
  settings: AgentSettings & {
    sandboxTimeoutMs: number;
    sandboxCostPerSecondUsd: number;
    progressIntervalMs: number;
    installationDailyUsd?: number | undefined;
  };
  events?: RunEvents;
  /** MODEL_GATEWAY=on: the run's Claude gets a gateway token for the run instead of the model key. */
  modelGateway?: Pick<ModelGatewayService, "openRun" | "closeRun">;
  log: Logger;
  now?: () => number;
}

export async function runJob(deps: RunJobDeps, run: RunRecord, externalSignal?: AbortSignal): Promise<void> {
  const now = deps.now ?? Date.now;
  const t = run.trigger;
  const config = t.config ?? DEFAULT_REPO_CONFIG;
  const log = deps.log.child({ run: run.id, thread: run.threadKey, delivery: run.deliveryId });
  const where = { owner: t.repo.owner, repo: t.repo.name };
  const extraEnv = Object.fromEntries(config.env.flatMap((name) => {
    const value = deps.lookupEnv(name);
    return value === undefined ? [] : [[name, value]];
  }));
  const redact = createRedactor([deps.settings.anthropicApiKey, deps.settings.claudeOauthToken, ...Object.values(extraEnv)]);
  const startedAt = now();
  const clock = createPhaseClock(now);
  const cancel = watchCancellation(deps.store, run.id, externalSignal);
  const client = await deps.installationClient(t.installationId);
  const existing = await deps.store.getThread(run.threadKey);
  const thread: Omit<ThreadRecord, "updatedAt"> = existing ?? {
    key: run.threadKey,
    repoFullName: t.repo.fullName,
    number: t.thread.number,
    kind: t.thread.isPullRequest ? "pull" : "issue",
    branch: "",
    prNumber: t.thread.isPullRequest ? t.thread.number : null,
    sessionId: null,
    transcript: null,
    sandboxId: null,
  };

  const progress = await createRunProgress({
    run,
    client,
    store: deps.store,
    events: deps.events,
    intervalMs: deps.settings.progressIntervalMs,
    clock,
    beforePhase: () => cancel.throwIfCanceled(),
    log,
    now,
  });
  const enter = progress.enter;

  let sandbox: Sandbox | null = null;
  let hostRepo: Promise<HostRepo> | null = null;
  let sandboxStartedAt = 0;
  let result: ResultEvent | null = null;
  let resumed = false;
  let resumePath: "live" | "restored" | null = null;
  // The deployment's SANDBOX_TIMEOUT_SECONDS is the ceiling; a repository can only ask for less.
  const runTimeoutMs = Math.min(config.timeoutMinutes * 60_000, deps.settings.sandboxTimeoutMs);
  let maxBudgetUsd: number | undefined;
  let limits: string[] = [];
  let outcome: Pick<RunSummary, "outcome" | "pr" | "files" | "failedPhase" | "errorCategory" | "error" | "patch" | "review">;
  let gatewayClose: "ended" | "revoked" = "revoked";
  try {
    if (run.attempts > MAX_ATTEMPTS) {
      throw new PhaseError(isPhase(run.phase) ? run.phase : "queue", "The bot was restarted during this run more than once, so it gave up.", { category: "internal" });
    }
    // The run may spend what is left of the day's budgets at most (and never more than its own cap).
    const budget = await checkBudget(deps.store, { repoFullName: t.repo.fullName, installationId: t.installationId }, { repoDailyUsd: config.budget.dailyUsd, installationDailyUsd: deps.settings.installationDailyUsd }, now());
    if (!budget.allowed) throw new PhaseError("queue", budget.message, { category: "budget" });
    maxBudgetUsd = minDefined(config.maxCostUsd, budget.remainingUsd ?? undefined);
    limits = describeLimits({ runTimeoutMs, maxTurns: config.maxTurns ?? deps.settings.maxTurns, maxBudgetUsd, config, budget, repo: t.repo.fullName, installationDailyUsd: deps.settings.installationDailyUsd });

    // The clone's read token is minted while the sandbox starts.
    const readTokenMinted = deps.mintToken(t.installationId, t.repo.name, "read");
    readTokenMinted.catch(() => undefined);
    await enter("sandbox");
    sandboxStartedAt = now();
    // Fast path: the thread's paused sandbox still has the checkout and the session.
    const sandboxDeps = { sandboxes: deps.sandboxes, timeoutMs: deps.settings.sandboxTimeoutMs };
    const live = thread.sandboxId ? await reconnect(sandboxDeps, thread.sandboxId, log) : null;
    resumePath = live ? "live" : thread.sessionId && thread.transcript ? "restored" : null;
    sandbox = live ?? (await startSandbox(sandboxDeps, run));
    thread.sandboxId = null;

    await enter("clone");
    // No conversation to read when the payload says the only comment is the request itself.
    const ownComments = t.source.type === "issue_comment" ? 1 : 0;
    const skipConversation = t.thread.number === 0 || (t.thread.commentCount !== undefined && t.thread.commentCount <= ownComments);
    const context = await fetchThreadContext(client, where, { number: t.thread.number, isPullRequest: t.thread.isPullRequest, appLogin: deps.appLogin(), skipConversation }).catch((error: unknown) => {
      throw new PhaseError("clone", `Could not read the thread from GitHub: ${(error as Error).message}`, { cause: error, category: "github" });
    });
    const plan = planCheckout(t, config, existing, context.pull, deps.branchPrefix);
    thread.branch = plan.branch;
    const readToken = await readTokenMinted;
    redact.add(readToken);
    const cloneUrl = (() => {
      try {
        return repoCloneUrl(deps.gitBaseUrl, t.repo.owner, t.repo.name);
      } catch (error) {
        throw new PhaseError("clone", (error as Error).message, { cause: error, category: "git" });
      }
    })();
    const checkedOut = await checkOut(
      { hostGit: deps.hostGit, sandboxes: sandboxDeps, identity: deps.identity, log },
      { run, sandbox, live: resumePath === "live", cloneUrl, readToken, plan },
    ).catch((error: unknown) => {
      throw error instanceof PhaseError ? error : new PhaseError("clone", redact((error as Error).message), { cause: error, category: "git" });
    });
    sandbox = checkedOut.sandbox;
    if (resumePath === "live" && !checkedOut.live) resumePath = thread.sessionId && thread.transcript ? "restored" : null;
    const { checkout } = checkedOut;
    const box = sandbox;
    if (t.mode === "code" && plan.push) {
      // The push goes out from this machine (host-repo.ts); the repository's mirror there gets the start commit while Claude works.
      hostRepo = openHostRepo({ hostGit: deps.hostGit, cloneUrl, startSha: checkout.startSha, readToken, runId: run.id });
      hostRepo.catch(() => undefined);
    }
    if (config.setup.length > 0) {
      await enter("setup");
      await runSetupCommands({ sandbox: box, commands: config.setup, env: extraEnv, timeoutMs: runTimeoutMs, signal: cancel.signal, redact });
    }

    await enter("agent");
    // On a pull request the agent's own configuration comes from the base branch, not the PR.
    const pinned = context.pull ? await pinAgentConfigToBase(box, `origin/${context.pull.baseRef}`) : [];
    const settings = gatewaySettings(deps, run.id, redact);
    const claude = await runAgentPhase({
      sandbox: box,
      thread,
      transcriptInPlace: resumePath === "live",
      trigger: t,
      config,
      request: requestText(t, config.triggerPhrase ?? deps.triggerPhrase()),
      branch: plan.branch,
      context,
      readOnly: !plan.push && t.mode === "code",
      settings,
      maxBudgetUsd,
      extraEnv,
      timeoutMs: Math.max(1_000, runTimeoutMs - (now() - startedAt)),
      signal: cancel.signal,
      onEvent: (event) => progress.show(reduceProgress(progress.state, event)),
    });
    await restoreAgentConfig(box, pinned);
    if (claude.rejectedResult || claude.extraResults) log.warn({ rejectedResult: claude.rejectedResult, extraResults: claude.extraResults }, "Claude's result line was not believed (forged or absurd figures); the run's cost is not taken from it");
    resumed = claude.resumed;
    result = claude.result;
    if (claude.sessionId) {
      // Saved even when the run fails: the next mention continues the conversation.
      thread.sessionId = claude.sessionId;
      thread.transcript = await box.readFile(transcriptPath(box.homeDir, box.workdir, claude.sessionId));
    }
    cancel.throwIfCanceled();
    const failure = describeAgentFailure(claude);
    if (failure) throw new PhaseError("agent", redact(failure.message), { category: failure.category });

    await enter("publish");
    if (t.mode === "review") {
      const parsed = parseReviewOutput(result ?? {});
      if (!parsed.ok) throw new PhaseError("publish", parsed.problem, { category: "model_api" });
      const reviewFor = (ownPull: boolean) => {
        const planned = planReview(parsed.review, context.pull?.files ?? [], `<sub>Review by claude-sandbox-bot (run ${run.id}).</sub>`, { ownPull });
        return { ...planned, body: redact(planned.body), comments: planned.comments.map((c) => ({ ...c, body: redact(c.body) })) };
      };
      const posted = await postReviewOrComment(client, where, t.thread.number, context.pull?.headSha ?? checkout.startSha, reviewFor(isOwnPull(context.pull, deps.appLogin())), () => reviewFor(true)).catch((error: unknown) => {
        throw new PhaseError("publish", `The review could not be posted: ${(error as Error).message}`, { cause: error, category: "github" });
      });
      const review = posted.plan;
      outcome = { outcome: "done", files: [], review: { htmlUrl: posted.htmlUrl, event: review.event, inline: review.comments.length, moved: review.moved } };
    } else {
      const published = await publish({ sandbox: box, client, mintToken: deps.mintToken, redact, trigger: t, config, plan, hostRepo, branchIsNew: !checkout.branchExisted, startSha: checkout.startSha, claudeSummary: result?.result ?? "", runId: run.id, checkCanceled: () => cancel.checkNow() });
      if (published.changed && published.pr) thread.prNumber = published.pr.number;
      outcome = published.changed ? { outcome: "done", pr: published.pr ?? undefined, files: published.files, patch: published.patch ?? undefined } : { outcome: "no_changes", files: [] };
    }
    gatewayClose = "ended";
  } catch (error) {
    // Once stopped, whatever failed next failed because of the stop.
    if (error instanceof CanceledError || cancel.signal.aborted) {
      log.info({ phase: clock.current }, "run canceled");
      outcome = { outcome: "canceled", error: "Stopped on request. Nothing from this run was pushed.", errorCategory: "canceled", files: [] };
    } else {
      const failed = error instanceof PhaseError ? error : new PhaseError(clock.current ?? "queue", `Unexpected error: ${redact((error as Error).message)}`, { cause: error, category: "internal" });
      log.error({ err: error, phase: failed.phase, category: failed.category }, "run failed");
      outcome = { outcome: "failed", failedPhase: failed.phase, errorCategory: failed.category, error: failed.message, files: [] };
    }
  } finally {
    // Revoked at once unless the run went well; a finished run's token only lasts a short grace
    // (a no-op when the run never reached the agent and has no token).
    deps.modelGateway?.closeRun(String(run.id), gatewayClose);
    cancel.dispose();
    await (await hostRepo?.catch(() => null))?.dispose();
    if (sandbox) thread.sandboxId = await keepForNextRun(sandbox, log);
    await deps.store.saveThread(thread);
  }
  if (cancel.handedBack) {
    // Already "queued" again by the shutting-down worker: the next one picks it up and edits the same comment.
    log.info("run handed back to the queue at shutdown");
    return;
  }
  await removeTriggerLabel(client, where, run, config, log);

  const sandboxCostUsd = sandboxStartedAt ? ((now() - sandboxStartedAt) / 1000) * deps.settings.sandboxCostPerSecondUsd : 0;
  const summary: RunSummary = {
    ...outcome,
    runId: run.id,
    branch: thread.branch,
    branchUrl: `${t.repo.htmlUrl}/tree/${thread.branch}`,
    resumed,
    resumePath: resumed ? resumePath : null,
    result,
    durationMs: now() - startedAt,
    phaseMs: clock.durations(),
    sandboxCostUsd,
    limits,
  };
  await deps.store.updateRun(run.id, {
    state: summary.outcome === "failed" ? "failed" : summary.outcome === "canceled" ? "canceled" : "succeeded",
    phase: null,
    finishedAt: new Date(now()).toISOString(),
    error: summary.error ?? null,
    costUsd: (result?.total_cost_usd ?? 0) + sandboxCostUsd,
    result: { outcome: summary.outcome, failedPhase: summary.failedPhase ?? null, errorCategory: summary.errorCategory ?? null, pr: summary.pr ?? null, phaseMs: summary.phaseMs, sandboxCostUsd, claude: result },
  });
  progress.emit({
    type: "finished",
    runId: run.id,
    repo: t.repo.fullName,
    trigger: t.kind,
    outcome: summary.outcome,
    errorCategory: summary.errorCategory ?? null,
    durationMs: summary.durationMs,
    phaseMs: summary.phaseMs,
    claudeCostUsd: result?.total_cost_usd ?? 0,
    sandboxCostUsd,
    at: now(),
  });
  await progress.finish(renderReport(summary, redact));
  log.info({ outcome: summary.outcome, pr: summary.pr?.number, ms: summary.durationMs }, "run finished");
}


/** A label trigger is removed when the run ends, so adding the label again runs again. */
async function removeTriggerLabel(client: GitHubClient, where: { owner: string; repo: string }, run: RunRecord, config: typeof DEFAULT_REPO_CONFIG, log: Logger): Promise<void> {
  const source = run.trigger.source;
  if (source.type !== "label" || !config.labels.removeFixLabelWhenDone) return;
  await client.rest.issues.removeLabel({ ...where, issue_number: run.trigger.thread.number, name: source.label }).catch((error: unknown) => {
    if ((error as { status?: number }).status !== 404) log.warn({ err: error, label: source.label }, "could not remove the trigger label");
  });
}

/** The agent's settings for this run: with the gateway, its URL and the run's token instead of the model key. */
function gatewaySettings(deps: RunJobDeps, runId: number, redact: { add(secret: string): void }): RunJobDeps["settings"] {
  if (!deps.modelGateway) return deps.settings;
  const { env } = deps.modelGateway.openRun(String(runId));
  redact.add(env.ANTHROPIC_API_KEY);
  return { ...deps.settings, anthropicApiKey: env.ANTHROPIC_API_KEY, claudeOauthToken: undefined, anthropicBaseUrl: env.ANTHROPIC_BASE_URL };
}
