import { createSecretSet, type SecretSet } from "./secret-set.ts";

/**
 * Every secret value the process knows — the deployment's (deployment-secrets.ts), installation
 * tokens as they are minted, values a repository passes into its sandbox — so the log stream can
 * redact them wherever they appear, encoded or not, with anything shaped like a credential.
 * Minted tokens expire, so they are forgotten after a while. One secret set (secret-set.ts).
 */

export type SecretRegistry = Pick<SecretSet, "add" | "redact" | "size">;

export function createSecretRegistry(now: () => number = Date.now): SecretRegistry {
  return createSecretSet([], now);
}

/** The process-wide registry the logger redacts with. */
export const processSecrets = createSecretRegistry();
