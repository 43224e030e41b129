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
      params[w.slice(1)] = decodeSegment(g) ?? g;
    } else if (w !== g) return null;
  }
  return params;
}

/** Where to go after signing in: a dashboard path only, never another site. */
export function safeNext(next: string | null | undefined): string {
  if (!next || !next.startsWith("/dashboard") || next.startsWith("//") || /[\r\n\\]/.test(next)) return "/dashboard";
  return next;
}

/** A path segment with its % escapes decoded, or null when an escape is malformed. */
export function decodeSegment(segment: string): string | null {
  try {
    return decodeURIComponent(segment);
  } catch {
    return null;
  }
}

/** Whether every % escape in the path is well formed (a request with a broken one gets 400). */
export function hasWellFormedEscapes(path: string): boolean {
  return decodeSegment(path) !== null;
}

/**
 * Whether a state-changing request may come from where the browser says it comes from. Browsers
 * that send Sec-Fetch-Site are judged by it alone (same-origin, or none: typed by the user) — the
 * bot's pages set Referrer-Policy: no-referrer, so their own form posts carry `Origin: null`.
 * Otherwise an Origin other than the bot's own (including null) is another site posting with the
 * user's cookie. Scripts send neither header and pass; they still need the admin token. Pure.
 */
export function isSameOriginRequest(headers: { origin?: string | undefined; secFetchSite?: string | undefined }, ownOrigin: string): boolean {
  if (headers.secFetchSite !== undefined) return headers.secFetchSite === "same-origin" || headers.secFetchSite === "none";
  return headers.origin === undefined || headers.origin === ownOrigin;
}
