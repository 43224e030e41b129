/**
 * A value loaded at most once per ttlMs, however often it is asked for (scrapes must not hammer
 * E2B's API). Concurrent asks share one load; a failed load keeps the last good value and is
 * tried again on the next ask after the ttl.
 */
export function createCached<T>(load: () => Promise<T>, ttlMs: number, now: () => number = Date.now) {
  let value: { data: T; at: number } | null = null;
  let failedAt = Number.NEGATIVE_INFINITY;
  let loading: Promise<T | null> | null = null;
  return {
    /** The cached value, reloaded when older than the ttl; null if it never loaded. */
    async get(): Promise<T | null> {
      const t = now();
      const fresh = value && t - value.at < ttlMs;
      if (fresh || t - failedAt < ttlMs) return value?.data ?? null;
      loading ??= load()
        .then((data) => {
          value = { data, at: now() };
          return data;
        })
        .catch((error: unknown) => {
          failedAt = now();
          if (!value) throw error;
          return value.data;
        })
        .finally(() => {
          loading = null;
        });
      return loading;
    },
  };
}
