import { createSecretMatcher, MIN_SECRET_LENGTH, type SecretMatcher } from "./secret-matcher.ts";

/**
 * Every secret value the process knows — model keys, the webhook secret, installation tokens as
 * they are minted, values a repository passes into its sandbox — so the log stream can redact them
 * wherever they appear, encoded or not, with anything shaped like a credential (secret-matcher.ts).
 * Minted tokens expire, so they are forgotten after a while.
 */

export interface SecretRegistry {
  add(secret: string | undefined | null, ttlMs?: number): void;
  redact(text: string): string;
  readonly size: number;
}

export function createSecretRegistry(now: () => number = Date.now): SecretRegistry {
  const secrets = new Map<string, number>();
  let matcher: SecretMatcher | null = null;
  const live = () => {
    const t = now();
    for (const [secret, expires] of secrets) {
      if (expires <= t) {
        secrets.delete(secret);
        matcher = null;
      }
    }
    matcher ??= createSecretMatcher(secrets.keys());
    return matcher;
  };
  return {
    add(secret, ttlMs = Number.POSITIVE_INFINITY) {
      if (!secret || secret.length < MIN_SECRET_LENGTH) return;
      const known = secrets.get(secret);
      secrets.set(secret, Math.max(known ?? 0, now() + ttlMs));
      if (known === undefined) matcher = null;
    },
    redact(text) {
      return live().redact(text);
    },
    get size() {
      live();
      return secrets.size;
    },
  };
}

/** The process-wide registry the logger redacts with. */
export const processSecrets = createSecretRegistry();
