import type { Logger } from "pino";
import type { SandboxProvider, SandboxSummary } from "../sandbox/types.ts";
import type { Store } from "../store/types.ts";

/**
 * Sandboxes cost money while they exist. On a schedule, kill ours that nothing needs: paused ones
 * kept past their retention, and running ones whose run is no longer running (a crashed worker,
 * a stuck boot) once they are older than a grace period.
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

/** Pure: which sandboxes to kill, and why. */
export function decideReap(sandboxes: readonly SandboxSummary[], runningRunIds: ReadonlySet<string>, now: number, limits: ReapLimits): ReapDecision[] {
  const out: ReapDecision[] = [];
  for (const s of sandboxes) {
    const age = now - s.startedAt.getTime();
    if (s.state === "paused" && age > limits.pausedRetentionMs) out.push({ id: s.id, reason: "paused past its retention" });
    else if (s.state === "running" && !runningRunIds.has(s.metadata.run ?? "") && age > limits.orphanGraceMs) out.push({ id: s.id, reason: "running without a running run (idle or stuck)" });
  }
  return out;
}

export async function reapOnce(deps: { store: Store; sandboxes: SandboxProvider; log: Logger; limits: ReapLimits; now?: () => number }): Promise<ReapDecision[]> {
  const [sandboxes, running] = await Promise.all([deps.sandboxes.list(), deps.store.listRuns({ states: ["running"], limit: 10_000 })]);
  const decisions = decideReap(sandboxes, new Set(running.map((r) => String(r.id))), (deps.now ?? Date.now)(), deps.limits);
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
