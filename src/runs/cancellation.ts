import type { Store } from "../store/types.ts";

/**
 * A run's cancellation: aborted at once when `@bot stop` reaches this process, and noticed
 * within a poll when it reached another one (the store's cancel flag).
 */
export class CanceledError extends Error {
  override name = "CanceledError";
}

/** The abort reason a shutting-down worker uses: the run goes back to the queue, not "canceled". */
export const HAND_BACK = "hand-back";

export function watchCancellation(store: Store, runId: number, external: AbortSignal | undefined, pollMs = 2000) {
  const controller = new AbortController();
  const abort = () => controller.abort(external?.reason);
  external?.addEventListener("abort", abort, { once: true });
  if (external?.aborted) abort();
  const poll = setInterval(() => {
    store
      .getRun(runId)
      .then((run) => {
        if (run?.cancelRequested) abort();
      })
      .catch(() => undefined);
  }, pollMs);
  poll.unref();
  return {
    signal: controller.signal,
    /** Stopped because this worker is shutting down: someone else finishes the run. */
    get handedBack() {
      return controller.signal.aborted && controller.signal.reason === HAND_BACK;
    },
    throwIfCanceled() {
      if (controller.signal.aborted) throw new CanceledError("The run was stopped on request.");
    },
    /**
     * Asks the store now, not at the next poll: right before a push or a pull request, a stop
     * that reached another process must win. A store that cannot answer does not stop the run.
     */
    async checkNow() {
      if (!controller.signal.aborted) {
        const current = await store.getRun(runId).catch(() => null);
        if (current?.cancelRequested) abort();
      }
      if (controller.signal.aborted) throw new CanceledError("The run was stopped on request.");
    },
    dispose() {
      clearInterval(poll);
      external?.removeEventListener("abort", abort);
    },
  };
}
