/**
 * What the dashboard and the run API show of a run passes through here: every known secret value
 * (model keys, the webhook secret, the admin token, values a repository passes into its sandbox)
 * becomes "***", and so does anything shaped like a credential (GitHub and Anthropic tokens,
 * private keys, bearer headers, passwords in URLs) or stored under a credential-like key. The
 * matching is the one every redactor uses (util/secret-set.ts over util/secret-matcher.ts:
 * encodings included); the values are listed in util/deployment-secrets.ts. Pure.
 */
import { REDACTED } from "../util/secret-matcher.ts";
import { createSecretSet } from "../util/secret-set.ts";

export { REDACTED };

const SECRET_KEY = /(?:token|secret|password|passwd|api_?key|authorization|credentials?)$/i;

export type TextRedactor = (text: string) => string;

export function createTextRedactor(secrets: ReadonlyArray<string | null | undefined>): TextRedactor {
  const known = createSecretSet(secrets);
  return (text) => known.redact(text);
}

/** A deep copy of a JSON value with every string redacted, and strings under credential-like keys replaced. */
export function redactJson(value: unknown, redact: TextRedactor, depth = 0): unknown {
  if (depth > 50) return REDACTED;
  if (typeof value === "string") return redact(value);
  if (Array.isArray(value)) return value.map((v) => redactJson(v, redact, depth + 1));
  if (value && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>).map(([key, v]) => [key, typeof v === "string" && SECRET_KEY.test(key) ? REDACTED : redactJson(v, redact, depth + 1)]),
    );
  }
  return value;
}
