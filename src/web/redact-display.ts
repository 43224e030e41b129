/**
 * What the dashboard and the run API show of a run passes through here: every known secret value
 * (model keys, the webhook secret, the admin token, values a repository passes into its sandbox)
 * becomes "***", and so does anything shaped like a credential (GitHub and Anthropic tokens,
 * private keys, bearer headers, passwords in URLs) or stored under a credential-like key. Pure.
 */

const MIN_SECRET_LENGTH = 8;
export const REDACTED = "***";

const PATTERNS: Array<[RegExp, string]> = [
  [/-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----/g, REDACTED],
  [/\b(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,})/g, REDACTED],
  [/\bsk-ant-[A-Za-z0-9_-]{8,}/g, REDACTED],
  [/\be2b_[A-Za-z0-9]{16,}/g, REDACTED],
  [/\b(Bearer|token)([ \t]+)[A-Za-z0-9._~+/=-]{16,}/gi, `$1$2${REDACTED}`],
  [/(\b[a-z][a-z0-9+.-]*:\/\/[^\s:@/]+:)[^\s@/]+@/gi, `$1${REDACTED}@`],
];

const SECRET_KEY = /(?:token|secret|password|passwd|api_?key|authorization|credentials?)$/i;

export type TextRedactor = (text: string) => string;

export function createTextRedactor(secrets: ReadonlyArray<string | null | undefined>): TextRedactor {
  // Longest first, so a secret that contains another is replaced whole.
  const known = [...new Set(secrets.filter((s): s is string => typeof s === "string" && s.length >= MIN_SECRET_LENGTH))].sort((a, b) => b.length - a.length);
  return (text) => {
    let out = text;
    for (const secret of known) if (out.includes(secret)) out = out.split(secret).join(REDACTED);
    for (const [pattern, replacement] of PATTERNS) out = out.replace(pattern, replacement);
    return out;
  };
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
