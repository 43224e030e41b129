import { Router } from "../../test/support/fake-github/router.ts";
import { routes } from "../../test/support/fake-github/routes/index.ts";
import type { RecordedRequest } from "../../test/support/fake-github/types.ts";

/** GitHub API requests, grouped by endpoint (method + the fake's route template). */

const router = new Router(routes);

export function endpointOf(r: Pick<RecordedRequest, "method" | "path">): string {
  const match = router.match(r.method, r.path);
  return `${r.method} ${match ? match.route.pattern.replace(/:(\w+)/g, "{$1}").replace(/\*(\w+)/g, "{$1}") : r.path}`;
}

/**
 * Who made the request. POST …/access_tokens without a body is Probot's installation auth minting
 * the token its Octokit uses; with a body (repositories + permissions) it is the bot's token
 * minter (clone / push tokens). Probot's config helper reads .github/<app>.yml through the
 * contents API, also falling back to the owner's .github repository.
 */
export function originOf(r: RecordedRequest): string {
  if (r.method === "POST" && /\/access_tokens$/.test(r.path)) {
    const body = r.body as { repositories?: unknown; permissions?: unknown } | undefined;
    return body?.repositories || body?.permissions ? "bot: token minter (git token)" : "Probot: installation token for its Octokit";
  }
  if (r.method === "GET" && /\/contents\/\.github\//.test(r.path)) return "Probot: context.config (repo config file)";
  return "bot";
}

export interface EndpointCount {
  endpoint: string;
  origin: string;
  count: number;
}

export function countByEndpoint(requests: readonly RecordedRequest[]): EndpointCount[] {
  const counts = new Map<string, EndpointCount>();
  for (const r of requests) {
    const endpoint = endpointOf(r);
    const origin = originOf(r);
    const key = `${endpoint}\u0000${origin}`;
    const c = counts.get(key) ?? { endpoint, origin, count: 0 };
    c.count++;
    counts.set(key, c);
  }
  return [...counts.values()].sort((a, b) => b.count - a.count || a.endpoint.localeCompare(b.endpoint));
}
