/** Path matching for the handlers in src/web. Pure. */

/** The run id in a path segment, or null when it is not a positive integer. */
export function parseRunId(segment: string | undefined): number | null {
  if (!segment || !/^\d{1,15}$/.test(segment)) return null;
  const id = Number(segment);
  return id > 0 ? id : null;
}

/** `/dashboard/runs/12/events` against `/dashboard/runs/:id/events` → { id: "12" }; null if it does not match. */
export function matchPath(pattern: string, path: string): Record<string, string> | null {
  const want = pattern.split("/");
  const got = path.replace(/\/+$/, "").split("/");
  if (want.length !== got.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < want.length; i++) {
    const w = want[i]!;
    const g = got[i]!;
    if (w.startsWith(":")) {
      if (g === "") return null;
      params[w.slice(1)] = decodeURIComponent(g);
    } else if (w !== g) return null;
  }
  return params;
}

/** Where to go after signing in: a dashboard path only, never another site. */
export function safeNext(next: string | null | undefined): string {
  if (!next || !next.startsWith("/dashboard") || next.startsWith("//") || /[\r\n\\]/.test(next)) return "/dashboard";
  return next;
}
