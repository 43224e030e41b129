/**
 * Coalesces progress-comment edits: at most one write per interval, the newest body wins, and a
 * final write always goes out. A failed edit (e.g. a secondary rate limit) is logged and retried
 * with the next body; it never fails the run.
 */

export interface ProgressEditorOptions {
  intervalMs: number;
  write: (body: string) => Promise<void>;
  onError: (error: unknown) => void;
  now?: () => number;
  setTimer?: (fn: () => void, ms: number) => unknown;
  clearTimer?: (handle: unknown) => void;
  /** Waits between attempts of the final write, which must not be lost. */
  finalRetryDelaysMs?: number[];
  /** The comment was just written (the acknowledgement): the first edit waits a full interval. */
  freshComment?: boolean;
}

export interface ProgressEditor {
  update(body: string): void;
  /** Cancels anything pending, waits for an edit in flight, then writes `body`, retrying; throws if every attempt failed. */
  finish(body: string): Promise<void>;
}

export function createProgressEditor(o: ProgressEditorOptions): ProgressEditor {
  const now = o.now ?? Date.now;
  const setTimer = o.setTimer ?? ((fn, ms) => setTimeout(fn, ms));
  const clearTimer = o.clearTimer ?? ((h) => clearTimeout(h as NodeJS.Timeout));
  let lastWriteAt = o.freshComment ? now() : -Infinity;
  let pending: string | null = null;
  let lastWritten: string | null = null;
  let timer: unknown = null;
  let inFlight: Promise<void> = Promise.resolve();
  let finished = false;

  const write = (body: string): Promise<void> => {
    lastWriteAt = now();
    lastWritten = body;
    inFlight = o.write(body).catch(o.onError);
    return inFlight;
  };

  const flushPending = () => {
    timer = null;
    if (finished || pending === null) return;
    const body = pending;
    pending = null;
    void inFlight.then(() => (finished ? undefined : write(body)));
  };

  return {
    update(body) {
      if (finished || body === lastWritten) return;
      pending = body;
      if (timer !== null) return;
      const wait = Math.max(0, lastWriteAt + o.intervalMs - now());
      timer = setTimer(flushPending, wait);
    },
    async finish(body) {
      finished = true;
      if (timer !== null) clearTimer(timer);
      timer = null;
      pending = null;
      await inFlight;
      const delays = o.finalRetryDelaysMs ?? [1_000, 5_000, 15_000];
      for (let attempt = 0; ; attempt += 1) {
        try {
          await o.write(body);
          return;
        } catch (error) {
          const delay = delays[attempt];
          if (delay === undefined) throw error;
          o.onError(error);
          await new Promise((resolve) => setTimer(() => resolve(undefined), delay));
        }
      }
    },
  };
}
