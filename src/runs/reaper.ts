import type { Logger } from "pino";
import type { SandboxProvider, SandboxSummary } from "../sandbox/types.ts";
import type { Store } from "../store/types.ts";

/**
 * Sandboxes cost money while they exist. On a schedule, kill ours that nothing needs: paused ones
 * kept past their retention, and running ones nothing owns (a crashed worker, a stuck boot) once
 * they are older than a grace period.
 *
 * A running sandbox is owned by its thread while the thread has a running run: a follow-up
 * reconnects to the sandbox an earlier run created, and the label cannot follow it (E2B metadata
 * is fixed at create), so metadata.run names the creator only and metadata.thread decides.
 */

export interface ReapLimits {
  /** How long a paused sandbox is kept for a thread's next request. */
  pausedRetentionMs: number;
  /** A running sandbox without a running run is killed once this old (covers boot and hand-over). */
  orphanGraceMs: number;
}

export interface ReapDecision {
  id: string;
  reason: string;
}

/** Pure: which sandboxes to kill, and why. runningThreads: the thread keys with a running run. */
export function decideReap(sandboxes: readonly SandboxSummary[], runningRunIds: ReadonlySet<string>, now: number, limits: ReapLimits, runningThreads: ReadonlySet<string> = new Set()): ReapDecision[] {
  const out: ReapDecision[] = [];
  for (const s of sandboxes) {
    const age = now - s.startedAt.getTime();
    const owned = runningRunIds.has(s.metadata.run ?? "") || (s.metadata.thread !== undefined && runningThreads.has(s.metadata.thread));
    if (s.state === "paused" && age > limits.pausedRetentionMs) out.push({ id: s.id, reason: "paused past its retention" });
    else if (s.state === "running" && !owned && age > limits.orphanGraceMs) out.push({ id: s.id, reason: "running without a running run (idle or stuck)" });
  }
  return out;
}

export async function reapOnce(deps: { store: Store; sandboxes: SandboxProvider; log: Logger; limits: ReapLimits; now?: () => number }): Promise<ReapDecision[]> {
  const [sandboxes, running] = await Promise.all([deps.sandboxes.list(), deps.store.listRuns({ states: ["running"], limit: 10_000 })]);
  const decisions = decideReap(sandboxes, new Set(running.map((r) => String(r.id))), (deps.now ?? Date.now)(), deps.limits, new Set(running.map((r) => r.threadKey)));
  for (const d of decisions) {
    deps.log.info({ sandbox: d.id, reason: d.reason }, "reaping a sandbox");
    await deps.sandboxes.killById(d.id);
  }
  return decisions;
}

export function startReaper(deps: Parameters<typeof reapOnce>[0] & { intervalMs: number }): () => void {
  const tick = () => void reapOnce(deps).catch((error: unknown) => deps.log.warn({ err: error }, "the sandbox reaper failed; it tries again at the next interval"));
  const timer = setInterval(tick, deps.intervalMs);
  timer.unref();
  tick();
  return () => clearInterval(timer);
}
