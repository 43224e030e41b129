import type { Logger } from "pino";
import type { SandboxProvider, SandboxSummary, SnapshotSummary } from "../sandbox/types.ts";
import type { SnapshotRecord } from "../store/snapshot-ledger.ts";
import type { Store } from "../store/types.ts";
import { POOL_LABEL } from "../sandbox/pool.ts";

/**
 * Sandboxes cost money while they exist. On a schedule, kill ours that nothing needs: paused ones
 * kept past their retention, and running ones nothing owns (a crashed worker, a stuck boot) once
 * they are older than a grace period.
 *
 * A running sandbox is owned by its thread while the thread has a running run: a follow-up
 * reconnects to the sandbox an earlier run created, and the label cannot follow it (E2B metadata
 * is fixed at create), so metadata.run names the creator only and metadata.thread decides.
 *
 * A pool sandbox (sandbox/pool.ts) has no thread at create: idle, it is left alone up to
 * poolIdleLimitMs; taken, its thread is the pool's binding (this process) or, for a follow-up on
 * it, the thread record whose sandbox id it is (every process).
 */

export interface ReapLimits {
  /** How long a paused sandbox is kept for a thread's next request. */
  pausedRetentionMs: number;
  /** A running sandbox without a running run is killed once this old (covers boot and hand-over). */
  orphanGraceMs: number;
  /** SNAPSHOT_RETENTION_HOURS: a repository snapshot no run started from for this long is deleted; unset: snapshots are left alone. */
  snapshotRetentionMs?: number;
  /**
   * A running pool sandbox no thread is known to hold is killed once this old: longer than the pool
   * keeps one idle plus a run's lifetime, so one another process's run took is never cut short.
   */
  poolIdleLimitMs?: number;
}

export interface ReapDecision {
  id: string;
  reason: string;
}

/**
 * Pure: which sandboxes to kill, and why. runningThreads: the thread keys with a running run;
 * poolThreads: pool sandbox id → the thread known to hold it.
 */
export function decideReap(
  sandboxes: readonly SandboxSummary[],
  runningRunIds: ReadonlySet<string>,
  now: number,
  limits: ReapLimits,
  runningThreads: ReadonlySet<string> = new Set(),
  poolThreads: ReadonlyMap<string, string> = new Map(),
): ReapDecision[] {
  const out: ReapDecision[] = [];
  for (const s of sandboxes) {
    const age = now - s.startedAt.getTime();
    const thread = s.metadata.thread ?? poolThreads.get(s.id);
    const owned = runningRunIds.has(s.metadata.run ?? "") || (thread !== undefined && runningThreads.has(thread));
    const idlePool = isPoolSandbox(s) && thread === undefined;
    if (s.state === "paused" && age > limits.pausedRetentionMs) out.push({ id: s.id, reason: "paused past its retention" });
    else if (s.state === "running" && idlePool) {
      if (limits.poolIdleLimitMs !== undefined && age > limits.poolIdleLimitMs) out.push({ id: s.id, reason: "a pool sandbox idle past the pool's limit" });
    } else if (s.state === "running" && !owned && age > limits.orphanGraceMs) out.push({ id: s.id, reason: "running without a running run (idle or stuck)" });
  }
  return out;
}

const isPoolSandbox = (s: SandboxSummary) => s.metadata.pool === POOL_LABEL.pool;

/** The threads holding pool sandboxes: the pool's own binding, and thread records naming one (a follow-up on it). */
async function poolBindings(deps: ReapDeps, sandboxes: readonly SandboxSummary[], runningThreads: readonly string[]): Promise<Map<string, string>> {
  const bound = new Map(deps.pool?.owners() ?? []);
  if (!sandboxes.some((s) => s.state === "running" && isPoolSandbox(s))) return bound;
  for (const key of new Set(runningThreads)) {
    const sandboxId = (await deps.store.getThread(key))?.sandboxId;
    if (sandboxId) bound.set(sandboxId, key);
  }
  return bound;
}

export interface ReapDeps {
  store: Store;
  sandboxes: SandboxProvider;
  log: Logger;
  limits: ReapLimits;
  now?: () => number;
  /** The provider's snapshots the Store had no record of at the last pass (reapSnapshots). */
  unrecorded?: Set<string>;
  /** This process's sandbox pool: which thread each sandbox it handed out went to. */
  pool?: { owners(): ReadonlyMap<string, string> };
}

export async function reapOnce(deps: ReapDeps): Promise<ReapDecision[]> {
  const [sandboxes, running] = await Promise.all([deps.sandboxes.list(), deps.store.listRuns({ states: ["running"], limit: 10_000 })]);
  const threads = running.map((r) => r.threadKey);
  const pooled = await poolBindings(deps, sandboxes, threads);
  const decisions = decideReap(sandboxes, new Set(running.map((r) => String(r.id))), (deps.now ?? Date.now)(), deps.limits, new Set(threads), pooled);
  for (const d of decisions) {
    deps.log.info({ sandbox: d.id, reason: d.reason }, "reaping a sandbox");
    await deps.sandboxes.killById(d.id);
  }
  if (deps.limits.snapshotRetentionMs !== undefined) await reapSnapshots(deps, deps.limits.snapshotRetentionMs);
  return decisions;
}

/**
 * Pure: the snapshot records unused past their retention (this provider's only), and the
 * provider's snapshots of ours with no record at this pass and the last one (one that is being
 * recorded right now is spared once: it has a record by the next pass).
 */
export function decideSnapshotReap(
  candidates: readonly SnapshotRecord[],
  provider: string,
  recorded: ReadonlySet<string>,
  held: readonly SnapshotSummary[] | null,
  unrecordedBefore: ReadonlySet<string>,
  now: number,
  retentionMs: number,
): { expired: SnapshotRecord[]; orphans: string[]; unrecorded: Set<string> } {
  const expired = candidates.filter((r) => r.provider === provider && !(now - Date.parse(r.lastUsedAt) <= retentionMs));
  const unrecorded = new Set((held ?? []).map((s) => s.id).filter((id) => !recorded.has(id)));
  return { expired, orphans: [...unrecorded].filter((id) => unrecordedBefore.has(id)), unrecorded };
}

/** Expired records deleted per pass; the rest go at the next passes. */
const EXPIRED_PER_PASS = 500;

async function reapSnapshots(deps: ReapDeps, retentionMs: number): Promise<void> {
  const snapshots = deps.sandboxes.snapshots;
  if (!snapshots) return;
  const now = (deps.now ?? Date.now)();
  const provider = deps.sandboxes.name;
  // Asked of the store by id and by age, not from a capped list: a flood of one installation's
  // snapshots must not make another's recorded one look like an orphan, nor hide the oldest.
  const [candidates, held] = await Promise.all([deps.store.snapshots.unusedSince(provider, new Date(now - retentionMs).toISOString(), EXPIRED_PER_PASS), snapshots.list().catch(() => null)]);
  const recorded = held ? await deps.store.snapshots.recordedAmong(provider, held.map((s) => s.id)) : new Set<string>();
  const unrecordedBefore = deps.unrecorded ?? new Set<string>();
  const plan = decideSnapshotReap(candidates, provider, recorded, held, unrecordedBefore, now, retentionMs);
  for (const r of plan.expired) {
    deps.log.info({ snapshot: r.snapshotId, repo: r.repoFullName, lastUsedAt: r.lastUsedAt }, "reaping a repository snapshot unused past its retention");
    await deps.store.snapshots.remove(r, r.snapshotId);
    await snapshots.delete(r.snapshotId);
  }
  for (const id of plan.orphans) {
    deps.log.info({ snapshot: id }, "reaping a snapshot the store has no record of");
    await snapshots.delete(id);
  }
  unrecordedBefore.clear();
  for (const id of plan.unrecorded) if (!plan.orphans.includes(id)) unrecordedBefore.add(id);
}

export function startReaper(deps: ReapDeps & { intervalMs: number }): () => void {
  const withMemory = { ...deps, unrecorded: deps.unrecorded ?? new Set<string>() };
  const tick = () => void reapOnce(withMemory).catch((error: unknown) => deps.log.warn({ err: error }, "the sandbox reaper failed; it tries again at the next interval"));
  const timer = setInterval(tick, deps.intervalMs);
  timer.unref();
  tick();
  return () => clearInterval(timer);
}
