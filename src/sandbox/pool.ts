import type { Logger } from "pino";
import { withTimeout } from "../util/with-timeout.ts";
import type { Sandbox, SandboxProvider } from "./types.ts";

/**
 * SANDBOX_POOL_SIZE sandboxes from the template kept started, so a thread's first run without a
 * paused sandbox or a repository snapshot does not wait for one to boot. Refilled in the
 * background after each take, one create at a time; a provider that keeps failing is retried with
 * a doubling delay a bounded number of times, then left alone until the next take.
 *
 * Labels: a pool sandbox is created with metadata `pool` and no thread (it has none yet), and the
 * reaper leaves idle ones alone up to a generous limit. E2B metadata is fixed at create, so once
 * taken the thread it went to is kept here (owners) for this process's reaper; a follow-up on it
 * is bound by the thread record's sandbox id (runs/reaper.ts).
 */

export const POOL_LABEL = { pool: "idle-at-create" } as const;

export interface SandboxPool {
  /** A started sandbox with a fresh lifetime, now the thread's; null when the pool has none ready. */
  take(threadKey: string): Promise<Sandbox | null>;
  /** Sandbox id → the thread it was handed to, for the reaper (entries older than the lifetime are dropped). */
  owners(): ReadonlyMap<string, string>;
  /** Idle sandboxes now, and idle seconds since start (the pool's cost on /metrics). */
  stats(): { idle: number; idleSeconds: number };
  /** Starts filling. */
  start(): void;
  /** Stops refilling and kills the idle ones (a create under way is killed when it lands). */
  stop(): Promise<void>;
}

export interface PoolOptions {
  sandboxes: SandboxProvider;
  size: number;
  /** What a run asks for (runs/limits.ts sandboxLifetimeMs): at create, and again at take. */
  lifetimeMs: number;
  /** An idle sandbox older than this is killed and replaced rather than handed out; default half the lifetime. */
  maxIdleMs?: number;
  log: Logger;
  now?: () => number;
  /** The first retry's delay (doubled per failure, at most retryMaxMs) and how many in a row before giving up until the next take. */
  retry?: { baseMs: number; maxMs: number; attempts: number };
  sleep?: (ms: number) => Promise<void>;
  /** A create that has not answered in this long counts as failed (default 120 s, as a run's). */
  createTimeoutMs?: number;
}

interface Idle {
  sandbox: Sandbox;
  since: number;
}

const STOP_WAIT_MS = 10_000;
const DEFAULT_RETRY = { baseMs: 1000, maxMs: 60_000, attempts: 5 };
const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

/** Pure: the delay before retry number `failures` (1-based), or null once the attempts are used up. */
export function retryDelayMs(failures: number, retry: { baseMs: number; maxMs: number; attempts: number }): number | null {
  if (failures >= retry.attempts) return null;
  return Math.min(retry.baseMs * 2 ** (failures - 1), retry.maxMs);
}

export function createSandboxPool(o: PoolOptions): SandboxPool {
  const now = o.now ?? Date.now;
  const maxIdleMs = o.maxIdleMs ?? o.lifetimeMs / 2;
  const retry = o.retry ?? DEFAULT_RETRY;
  const sleep = o.sleep ?? defaultSleep;
  const createTimeoutMs = o.createTimeoutMs ?? 120_000;
  const idle: Idle[] = [];
  const owners = new Map<string, { thread: string; at: number }>();
  let idleSecondsDone = 0;
  let filling: Promise<void> | null = null;
  let stopped = true;
  let timer: NodeJS.Timeout | undefined;
  /** The create under way, so stop() can wait for it (briefly) and kill what it makes. */
  let creating: Promise<unknown> | null = null;

  const release = (entry: Idle) => {
    idleSecondsDone += (now() - entry.since) / 1000;
    idle.splice(idle.indexOf(entry), 1);
  };
  const kill = (sandbox: Sandbox) => void sandbox.kill().catch((error: unknown) => o.log.warn({ err: error, sandbox: sandbox.id }, "pool: could not kill a sandbox; the reaper will"));

  const createOne = async (): Promise<void> => {
    const made = o.sandboxes.create({ metadata: { ...POOL_LABEL }, timeoutMs: o.lifetimeMs });
    creating = made.catch(() => undefined);
    // One that never answers must not stall the refills: given up on like a run's (killed if it lands late).
    let gaveUp = false;
    made.then((late) => (gaveUp ? kill(late) : undefined)).catch(() => undefined);
    const sandbox = await withTimeout(made, createTimeoutMs, `no sandbox within ${createTimeoutMs / 1000} s`)
      .catch((error: unknown) => {
        gaveUp = true;
        throw error;
      })
      .finally(() => (creating = null));
    if (stopped) return void (await sandbox.kill().catch(() => undefined));
    idle.push({ sandbox, since: now() });
    o.log.info({ sandbox: sandbox.id, idle: idle.length, size: o.size }, "pool: a sandbox is ready");
  };

  const fill = async (): Promise<void> => {
    let failures = 0;
    while (!stopped && idle.length < o.size) {
      try {
        await createOne();
        failures = 0;
      } catch (error) {
        failures += 1;
        const delay = retryDelayMs(failures, retry);
        o.log.warn({ err: error, failures, retryInMs: delay }, delay === null ? "pool: could not start a sandbox; giving up until the next take" : "pool: could not start a sandbox; retrying");
        if (delay === null) return;
        await sleep(delay);
      }
    }
  };
  const refill = () => {
    if (stopped || filling) return;
    filling = fill().finally(() => (filling = null));
  };

  /** Idle ones past maxIdleMs are killed (they would pause at their lifetime's end) and replaced. */
  const retireStale = () => {
    for (const entry of [...idle]) {
      if (now() - entry.since <= maxIdleMs) continue;
      release(entry);
      kill(entry.sandbox);
    }
  };

  const take = async (threadKey: string): Promise<Sandbox | null> => {
    retireStale();
    try {
      while (idle.length) {
        const entry = idle[idle.length - 1]!;
        release(entry);
        // The connect gives it the run's lifetime from now (it was counting since it was made).
        const fresh = await o.sandboxes.connect(entry.sandbox.id, o.lifetimeMs).catch((error: unknown) => {
          o.log.warn({ err: error, sandbox: entry.sandbox.id }, "pool: could not reconnect to an idle sandbox; dropping it");
          return null;
        });
        if (!fresh) {
          kill(entry.sandbox);
          continue;
        }
        owners.set(fresh.id, { thread: threadKey, at: now() });
        o.log.info({ sandbox: fresh.id, thread: threadKey }, "pool: sandbox taken");
        return fresh;
      }
      return null;
    } finally {
      refill();
    }
  };

  return {
    take,
    owners() {
      for (const [id, owner] of owners) if (now() - owner.at > o.lifetimeMs) owners.delete(id);
      return new Map([...owners].map(([id, owner]) => [id, owner.thread]));
    },
    stats: () => ({ idle: idle.length, idleSeconds: idleSecondsDone + idle.reduce((sum, e) => sum + (now() - e.since) / 1000, 0) }),
    start() {
      if (o.size <= 0) return;
      stopped = false;
      refill();
      // Without takes, idle ones still age: replace them before their lifetime runs out.
      timer = setInterval(() => (retireStale(), refill()), Math.max(1000, maxIdleMs / 4));
      timer.unref();
    },
    async stop() {
      stopped = true;
      clearInterval(timer);
      const left = [...idle];
      left.forEach(release);
      await Promise.all(left.map((e) => e.sandbox.kill().catch(() => undefined)));
      // A create landing now is killed by createOne; wait for that a little, not for a slow provider.
      if (creating) await Promise.race([filling, sleep(STOP_WAIT_MS)]);
    },
  };
}
