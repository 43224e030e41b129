/**
 * Every secret value the process knows — model keys, the webhook secret, installation tokens as
 * they are minted, values a repository passes into its sandbox — so the log stream can redact them
 * wherever they appear. Minted tokens expire, so they are forgotten after a while.
 */
const MIN_SECRET_LENGTH = 8;

export interface SecretRegistry {
  add(secret: string | undefined | null, ttlMs?: number): void;
  redact(text: string): string;
  readonly size: number;
}

export function createSecretRegistry(now: () => number = Date.now): SecretRegistry {
  const secrets = new Map<string, number>();
  let sorted: string[] | null = null;
  const live = () => {
    const t = now();
    for (const [secret, expires] of secrets) {
      if (expires <= t) {
        secrets.delete(secret);
        sorted = null;
      }
    }
    // Longest first, so a secret that contains another is replaced whole.
    sorted ??= [...secrets.keys()].sort((a, b) => b.length - a.length);
    return sorted;
  };
  return {
    add(secret, ttlMs = Number.POSITIVE_INFINITY) {
      // Very short values would redact ordinary words; real keys and tokens are long.
      if (!secret || secret.length < MIN_SECRET_LENGTH) return;
      secrets.set(secret, Math.max(secrets.get(secret) ?? 0, now() + ttlMs));
      sorted = null;
    },
    redact(text) {
      let out = text;
      for (const secret of live()) if (out.includes(secret)) out = out.split(secret).join("***");
      return out;
    },
    get size() {
      return live().length;
    },
  };
}

/** The process-wide registry the logger redacts with. */
export const processSecrets = createSecretRegistry();
