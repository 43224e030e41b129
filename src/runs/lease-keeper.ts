import type { Logger } from "pino";

/**
 * Keeps the leases of the runs this process holds fresh (store.heartbeat every heartbeatMs), so
 * recovery elsewhere leaves them alone; when this process dies they go stale and are recovered.
 * Used for running runs (both queues) and for "received" ones waiting for their acknowledgement.
 * The timer runs only while something is held, and never keeps the process alive.
 */

export interface LeaseKeeper {
  hold(runId: number): void;
  release(runId: number): void;
  /** Renews nothing more (shutdown); hold() starts renewing again. */
  stop(): void;
  /** How many runs are held now. */
  readonly size: number;
}

export interface LeaseKeeperOptions {
  heartbeat: (runIds: readonly number[]) => Promise<void>;
  heartbeatMs: number;
  log: Logger;
  /** What is held, for the log line when a renewal fails, e.g. "running runs". */
  what: string;
}

export function createLeaseKeeper(o: LeaseKeeperOptions): LeaseKeeper {
  const held = new Set<number>();
  let timer: NodeJS.Timeout | null = null;

  const renew = () => {
    const ids = [...held];
    if (ids.length === 0) return;
    o.heartbeat(ids).catch((error: unknown) => o.log.warn({ err: error, runs: ids.length }, `could not renew the lease of ${o.what}`));
  };
  const stop = () => {
    if (timer) clearInterval(timer);
    timer = null;
  };

  return {
    hold(runId) {
      held.add(runId);
      if (timer) return;
      timer = setInterval(renew, o.heartbeatMs);
      timer.unref();
    },
    release(runId) {
      held.delete(runId);
      if (held.size === 0) stop();
    },
    stop,
    get size() {
      return held.size;
    },
  };
}
