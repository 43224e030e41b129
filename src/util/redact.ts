/**
 * Replaces every known secret value with a placeholder. Secrets are added as they are minted
 * (installation tokens), so one redactor follows a run from start to report.
 */
export interface Redactor {
  (text: string): string;
  add(secret: string | undefined | null): void;
}

const MIN_SECRET_LENGTH = 8;

export function createRedactor(initial: Array<string | undefined | null> = []): Redactor {
  const secrets = new Set<string>();
  const redact = ((text: string) => {
    let out = text;
    // Longest first, so a secret that contains another is replaced whole.
    for (const secret of [...secrets].sort((a, b) => b.length - a.length)) out = out.split(secret).join("***");
    return out;
  }) as Redactor;
  redact.add = (secret) => {
    // Very short values would redact ordinary words; real keys and tokens are long.
    if (secret && secret.length >= MIN_SECRET_LENGTH) secrets.add(secret);
  };
  initial.forEach(redact.add);
  return redact;
}
