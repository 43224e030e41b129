/**
 * One reply per key per window (e.g. one "not allowed" answer per user per thread per hour).
 * In this process the window slides; across processes a once-per-hour key in the store (the
 * deliveries table's insert-or-ignore) keeps two bots from both answering.
 */
export interface ReplyLimiter {
  allow(key: string): Promise<boolean>;
}

export function createReplyLimiter(
  windowMs: number,
  claimOnce: (key: string) => Promise<boolean> = async () => true,
  now: () => number = Date.now,
  maxKeys = 10_000,
): ReplyLimiter {
  const last = new Map<string, number>();
  return {
    async allow(key) {
      const t = now();
      const previous = last.get(key);
      if (previous !== undefined && t - previous < windowMs) return false;
      last.delete(key);
      last.set(key, t);
      // Oldest first in insertion order: drop the oldest when full.
      if (last.size > maxKeys) last.delete(last.keys().next().value as string);
      return claimOnce(`reply-limit:${key}:${Math.floor(t / windowMs)}`);
    },
  };
}
