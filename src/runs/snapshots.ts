import { setupPathspecs } from "../config/setup-inputs.ts";
import type { Logger } from "pino";
import type { Sandbox, SandboxProvider } from "../sandbox/types.ts";
import type { SnapshotKey, SnapshotRecord } from "../store/snapshot-ledger.ts";
import type { RunRecord, Store } from "../store/types.ts";
import { withTimeout } from "../util/with-timeout.ts";
import { sandboxGit, snapshotCheckout } from "../workspace/sandbox-git.ts";
import { sandboxLifetimeMs } from "./limits.ts";
import type { SnapshotUse } from "./snapshot-policy.ts";

/**
 * Repository snapshots, the effects (snapshot-policy.ts decides): a new thread's sandbox started
 * from the repository's snapshot, what changed since it was taken, and taking one. A snapshot is
 * only ever taken of a sandbox the agent has not been in, right after the bot's clone (or a
 * snapshot's checkout) and the setup, with the default branch's head checked out and nothing of
 * the thread in it; the clone's token was only ever in the clone command's environment.
 */

export interface SnapshotDeps {
  store: Store;
  sandboxes: SandboxProvider;
  log: Logger;
  now: () => number;
  /** SANDBOX_TIMEOUT_SECONDS, as for startSandbox. */
  timeoutMs: number;
}

const START_TIMEOUT_MS = 120_000;

/** A sandbox from the key's snapshot; null when there is none or it cannot be started (the run then starts cold). */
export async function startFromSnapshot(deps: SnapshotDeps, key: SnapshotKey, run: RunRecord): Promise<{ sandbox: Sandbox; record: SnapshotRecord } | null> {
  const snapshots = deps.sandboxes.snapshots;
  if (!snapshots) return null;
  const record = await deps.store.snapshots.find(key, deps.sandboxes.name).catch((error: unknown) => {
    deps.log.warn({ err: error }, "could not look up the repository's snapshot; starting a new sandbox");
    return null;
  });
  if (!record) return null;
  let gaveUp = false;
  const starting = snapshots.start(record.snapshotId, {
    metadata: { app: "claude-sandbox-bot", thread: run.threadKey, run: String(run.id), snapshot: record.snapshotId },
    timeoutMs: sandboxLifetimeMs(deps.timeoutMs),
  });
  starting.then((late) => (gaveUp ? late.kill() : undefined)).catch(() => undefined);
  try {
    const sandbox = await withTimeout(starting, START_TIMEOUT_MS, `it did not start within ${START_TIMEOUT_MS / 1000} s`);
    await deps.store.snapshots.touch(key, new Date(deps.now()).toISOString()).catch(() => undefined);
    deps.log.info({ snapshot: record.snapshotId, repo: record.repoFullName, installation: record.installationId, sha: record.baseSha }, "started the sandbox from the repository's snapshot");
    return { sandbox, record };
  } catch (error) {
    gaveUp = true;
    deps.log.warn({ err: error, snapshot: record.snapshotId }, "could not start a sandbox from the repository's snapshot; forgetting it and starting a new sandbox");
    await deps.store.snapshots.remove(key, record.snapshotId).catch(() => undefined);
    await snapshots.delete(record.snapshotId).catch(() => undefined);
    return null;
  }
}

/**
 * Which of the setup's inputs changed between the snapshot's commit and the run's start (git
 * matches the globs, in the sandbox: config/setup-inputs.ts), and how far the default branch has
 * moved on.
 */
export async function inspectUse(sandbox: Sandbox, record: SnapshotRecord, startSha: string, setupInputs: readonly string[]): Promise<SnapshotUse> {
  const pathspecs = setupPathspecs(setupInputs);
  const diff = pathspecs.length === 0 ? null : await sandboxGit(sandbox, ["diff", "--no-ext-diff", "--no-renames", "--name-only", "-z", record.baseSha, startSha, "--", ...pathspecs]).catch(() => null);
  // A list longer than a command's result holds (its tail only) is "could not say", never a shorter list.
  const whole = diff !== null && diff.exitCode === 0 && !diff.droppedChars?.stdout;
  const changedInputs = pathspecs.length === 0 ? [] : whole ? diff.stdout.split("\0").filter(Boolean) : null;
  const behind = await sandboxGit(sandbox, ["rev-list", "--count", `${record.baseSha}..refs/remotes/origin/${record.baseBranch}`]).catch(() => null);
  const commitsBehind = behind && behind.exitCode === 0 && /^\d+$/.test(behind.stdout.trim()) ? Number(behind.stdout.trim()) : null;
  return { record, changedInputs, commitsBehind };
}

export interface TakeSnapshotInput {
  sandbox: Sandbox;
  key: SnapshotKey;
  base: string;
  branch: string;
  sha: string;
}

/**
 * Snapshots the sandbox in the state a fresh clone + setup of the default branch has, then puts
 * the run's branch back. A snapshot that fails is logged, never the run's failure; a checkout that
 * cannot be put back is (the caller's PhaseError).
 */
export async function takeSnapshot(deps: SnapshotDeps, input: TakeSnapshotInput): Promise<SnapshotRecord | null> {
  const snapshots = deps.sandboxes.snapshots;
  if (!snapshots) return null;
  const started = deps.now();
  let record: SnapshotRecord | null = null;
  try {
    await snapshotCheckout(input.sandbox, "clean", input);
    const summary = await snapshots.create(input.sandbox, input.key);
    const at = new Date(deps.now()).toISOString();
    record = { ...input.key, provider: deps.sandboxes.name, snapshotId: summary.id, baseBranch: input.base, baseSha: input.sha, sizeBytes: summary.sizeBytes, tookMs: deps.now() - started, createdAt: at, lastUsedAt: at, uses: 0 };
    const replaced = await deps.store.snapshots.save(record).catch(async (error: unknown) => {
      // Not recorded, so never used: the provider's copy goes too.
      await snapshots.delete(summary.id);
      throw error;
    });
    if (replaced) await snapshots.delete(replaced);
    deps.log.info({ snapshot: summary.id, repo: input.key.repoFullName, sha: input.sha, tookMs: record.tookMs, sizeBytes: summary.sizeBytes }, "took a repository snapshot");
  } catch (error) {
    record = null;
    deps.log.warn({ err: error, repo: input.key.repoFullName }, "could not take a repository snapshot; the next new thread clones and sets up");
  } finally {
    await snapshotCheckout(input.sandbox, "restore", input);
  }
  return record;
}
