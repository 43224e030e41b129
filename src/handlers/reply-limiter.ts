/** Allows one reply per key per window (e.g. one "not allowed" answer per user per thread per hour). */
export interface ReplyLimiter {
  allow(key: string): boolean;
}

export function createReplyLimiter(windowMs: number, now: () => number = Date.now, maxKeys = 10_000): ReplyLimiter {
  const last = new Map<string, number>();
  return {
    allow(key) {
      const t = now();
      const previous = last.get(key);
      if (previous !== undefined && t - previous < windowMs) return false;
      last.delete(key);
      last.set(key, t);
      // Oldest first in insertion order: drop the oldest when full.
      if (last.size > maxKeys) last.delete(last.keys().next().value as string);
      return true;
    },
  };
}
