import type { Logger } from "pino";
import type { ResultEvent } from "../agent/stream-events.ts";
import { DEFAULT_REPO_CONFIG, type RepoConfig } from "../config/repo-config.ts";
import type { GitHubClient, RepoCoords } from "../github/octokit-types.ts";
import type { Sandbox } from "../sandbox/types.ts";
import type { RunRecord, ThreadRecord } from "../store/types.ts";
import type { Trigger } from "../triggers/types.ts";
import { createRedactor, type Redactor } from "../util/redact.ts";
import type { PinnedPath } from "../workspace/agent-config.ts";
import type { HostRepo } from "../workspace/host-repo.ts";
import { watchCancellation } from "./cancellation.ts";
import { createPhaseClock } from "./phase-clock.ts";
import type { RunJobDeps } from "./run-deps.ts";
import { createRunProgress } from "./run-progress.ts";
import type { SnapshotNote, SteeringNote } from "./outcome.ts";
import type { Session } from "./session.ts";

/**
 * One run as its steps share it: what is fixed when it starts (the context), what must be released
 * whatever happens (the scope: run-scope.ts releases it), and what the steps learn on the way (the
 * trail: the thread as the run leaves it, the session, Claude's result) that the report is made of.
 */

export type ThreadDraft = Omit<ThreadRecord, "updatedAt">;

export interface RunScope {
  sandbox: Sandbox | null;
  /** The push's mirror on the bot's machine (code mode, when the run may push). */
  hostRepo: Promise<HostRepo> | null;
  /** The base branch's agent config, swapped in for Claude (pull requests): put back on release. */
  pinned: { sandbox: Sandbox; paths: readonly PinnedPath[] } | null;
}

export interface RunTrail {
  thread: ThreadDraft;
  session: Session | null;
  result: ResultEvent | null;
  sandboxStartedAt: number;
  limits: string[];
  /** The model the agent was started with (the report names it); undefined: the CLI's default. */
  model?: string | undefined;
  /** Messages the agent took in while working (runs/steering-inbox.ts), for the report. */
  steering?: SteeringNote[] | undefined;
  /** The repository snapshot the run started from and whether it took one (setup-step.ts), for the report. */
  snapshot?: SnapshotNote | undefined;
}

export interface RunContext {
  deps: RunJobDeps;
  run: RunRecord;
  trigger: Trigger;
  config: RepoConfig;
  log: Logger;
  where: RepoCoords;
  /** The repository's pass-through variables (names from its config, values from the bot's env). */
  extraEnv: Record<string, string>;
  redact: Redactor;
  clock: ReturnType<typeof createPhaseClock>;
  cancel: ReturnType<typeof watchCancellation>;
  client: GitHubClient;
  progress: Awaited<ReturnType<typeof createRunProgress>>;
  now: () => number;
  startedAt: number;
  /** The deployment's SANDBOX_TIMEOUT_SECONDS is the ceiling; a repository can only ask for less. */
  runTimeoutMs: number;
  scope: RunScope;
  trail: RunTrail;
}

export async function openRun(deps: RunJobDeps, run: RunRecord, externalSignal: AbortSignal | undefined): Promise<RunContext> {
  const now = deps.now ?? Date.now;
  const trigger = run.trigger;
  const config = trigger.config ?? DEFAULT_REPO_CONFIG;
  const log = deps.log.child({ run: run.id, thread: run.threadKey, delivery: run.deliveryId });
  const extraEnv = passthroughEnv(config, deps.lookupEnv);
  const redact = createRedactor([deps.settings.anthropicApiKey, deps.settings.claudeOauthToken, ...(deps.settings.secrets ?? []), ...Object.values(extraEnv)]);
  const startedAt = now();
  const clock = createPhaseClock(now);
  const cancel = watchCancellation(deps.store, run.id, externalSignal);
  const client = await deps.installationClient(trigger.installationId);
  const thread = (await deps.store.getThread(run.threadKey)) ?? newThread(run);
  const progress = await createRunProgress({
    run,
    client,
    store: deps.store,
    events: deps.events,
    intervalMs: deps.settings.progressIntervalMs,
    publicUrl: deps.settings.publicUrl,
    clock,
    beforePhase: () => cancel.throwIfCanceled(),
    log,
    now,
  });
  return {
    deps,
    run,
    trigger,
    config,
    log,
    where: { owner: trigger.repo.owner, repo: trigger.repo.name },
    extraEnv,
    redact,
    clock,
    cancel,
    client,
    progress,
    now,
    startedAt,
    runTimeoutMs: Math.min(config.timeoutMinutes * 60_000, deps.settings.sandboxTimeoutMs),
    scope: { sandbox: null, hostRepo: null, pinned: null },
    trail: { thread, session: null, result: null, sandboxStartedAt: 0, limits: [] },
  };
}

function passthroughEnv(config: RepoConfig, lookupEnv: (name: string) => string | undefined): Record<string, string> {
  return Object.fromEntries(
    config.env.flatMap((name) => {
      const value = lookupEnv(name);
      return value === undefined ? [] : [[name, value]];
    }),
  );
}

function newThread(run: RunRecord): ThreadDraft {
  const t = run.trigger;
  return {
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
}
