/** The branch a thread's work lives on. Pure. */
export function issueBranch(prefix: string, issueNumber: number): string {
  const clean = prefix.replace(/[^A-Za-z0-9._/-]/g, "-").replace(/\/{2,}/g, "/").replace(/^\/+/, "");
  const withSlash = clean === "" || clean.endsWith("/") || clean.endsWith("-") ? clean : `${clean}/`;
  return `${withSlash}issue-${issueNumber}`;
}
