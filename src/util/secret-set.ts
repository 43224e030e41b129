import { createSecretMatcher, MIN_SECRET_LENGTH, type Finding, type SecretMatcher } from "./secret-matcher.ts";

/**
 * A set of known secret values behind every redactor (a run's, the log stream's, the dashboard's):
 * `redact` hides them and anything shaped like a credential, `find` is the check for what is about
 * to be pushed (only the unmistakable shapes, secret-matcher.ts). A value may expire (minted tokens
 * do); the matchers are rebuilt, lazily, only when the set of values changes.
 */
export interface SecretSet {
  /** Remembers the value (for `ttlMs`, or for good); true when it was not known yet. Short values are ignored. */
  add(secret: string | undefined | null, ttlMs?: number): boolean;
  redact(text: string): string;
  find(text: string): Finding | null;
  /** How many values are known (expired ones forgotten). */
  readonly size: number;
}

export function createSecretSet(initial: Iterable<string | undefined | null> = [], now: () => number = Date.now): SecretSet {
  /** Each value and when it expires. */
  const secrets = new Map<string, number>();
  let nextExpiry = Number.POSITIVE_INFINITY;
  let display: SecretMatcher | null = null;
  let strict: SecretMatcher | null = null;

  const forgetExpired = () => {
    const t = now();
    if (t < nextExpiry) return;
    nextExpiry = Number.POSITIVE_INFINITY;
    for (const [secret, expires] of secrets) {
      if (expires <= t) {
        secrets.delete(secret);
        display = strict = null;
      } else nextExpiry = Math.min(nextExpiry, expires);
    }
  };

  const set: SecretSet = {
    add(secret, ttlMs = Number.POSITIVE_INFINITY) {
      if (!secret || secret.length < MIN_SECRET_LENGTH) return false;
      forgetExpired();
      const known = secrets.get(secret);
      const expires = Math.max(known ?? 0, now() + ttlMs);
      secrets.set(secret, expires);
      nextExpiry = Math.min(nextExpiry, expires);
      if (known !== undefined) return false;
      display = strict = null;
      return true;
    },
    redact(text) {
      forgetExpired();
      return (display ??= createSecretMatcher(secrets.keys(), "display")).redact(text);
    },
    find(text) {
      forgetExpired();
      return (strict ??= createSecretMatcher(secrets.keys(), "strict")).find(text);
    },
    get size() {
      forgetExpired();
      return secrets.size;
    },
  };
  for (const secret of initial) set.add(secret);
  return set;
}
