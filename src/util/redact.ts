import type { Finding } from "./secret-matcher.ts";
import { processSecrets, type SecretRegistry } from "./secret-registry.ts";
import { createSecretSet } from "./secret-set.ts";

/**
 * A run's redactor: a secret set (secret-set.ts) called as a function. Secrets are added as they
 * are minted (installation tokens), so one redactor follows a run from start to report; each is
 * also registered process-wide (for a while) so the log stream redacts it too. `find` is the check
 * for what is about to be pushed: known values in any of their encodings, and only the
 * unmistakable credential shapes (secret-matcher.ts).
 */
export interface Redactor {
  (text: string): string;
  add(secret: string | undefined | null): void;
  find(text: string): Finding | null;
}

/** Installation tokens live an hour; remembering them a little longer covers late log lines. */
const REGISTRY_TTL_MS = 2 * 60 * 60_000;

export function createRedactor(initial: Array<string | undefined | null> = [], registry: SecretRegistry = processSecrets): Redactor {
  const own = createSecretSet();
  const redact = ((text: string) => own.redact(text)) as Redactor;
  redact.find = (text) => own.find(text);
  redact.add = (secret) => {
    if (own.add(secret)) registry.add(secret, REGISTRY_TTL_MS);
  };
  initial.forEach(redact.add);
  return redact;
}
