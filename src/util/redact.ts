import { processSecrets, type SecretRegistry } from "./secret-registry.ts";

/**
 * Replaces every known secret value with a placeholder. Secrets are added as they are minted
 * (installation tokens), so one redactor follows a run from start to report; each is also
 * registered process-wide (for a while) so the log stream redacts it too.
 */
export interface Redactor {
  (text: string): string;
  add(secret: string | undefined | null): void;
}

/** Installation tokens live an hour; remembering them a little longer covers late log lines. */
const REGISTRY_TTL_MS = 2 * 60 * 60_000;

export function createRedactor(initial: Array<string | undefined | null> = [], registry: SecretRegistry = processSecrets): Redactor {
  const own = new Set<string>();
  const redact = ((text: string) => {
    let out = text;
    for (const secret of [...own].sort((a, b) => b.length - a.length)) out = out.split(secret).join("***");
    return out;
  }) as Redactor;
  redact.add = (secret) => {
    // Very short values would redact ordinary words; real keys and tokens are long.
    if (!secret || secret.length < 8) return;
    own.add(secret);
    registry.add(secret, REGISTRY_TTL_MS);
  };
  initial.forEach(redact.add);
  return redact;
}
