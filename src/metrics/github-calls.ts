/**
 * GitHub API responses as the Octokit request hook sees them (src/github/bot-octokit.ts). Probot
 * builds the Octokit clients itself, so this is process-wide: the hook publishes here and the
 * metrics subscribe. Listeners must not throw (a failing one is ignored: metrics never break a call).
 */

export interface GitHubCall {
  method: string;
  /** The HTTP status; 0 when no response arrived (network error). */
  status: number;
  /** x-ratelimit-remaining, when GitHub sent it. */
  rateLimitRemaining: number | null;
  /** x-ratelimit-resource (core, graphql, search, …), when GitHub sent it. */
  rateLimitResource: string | null;
}

type Listener = (call: GitHubCall) => void;
const listeners = new Set<Listener>();

export function onGitHubCall(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function observeGitHubCall(call: GitHubCall): void {
  for (const listener of listeners) {
    try {
      listener(call);
    } catch {
      // A metrics problem must never fail a GitHub call.
    }
  }
}

/** What the metrics need from one response's method, status and headers. Pure. */
export function toGitHubCall(method: string | undefined, status: number | undefined, headers: Record<string, unknown> | undefined): GitHubCall {
  const header = (name: string) => {
    const value = headers?.[name];
    return typeof value === "string" || typeof value === "number" ? String(value) : null;
  };
  const remaining = Number.parseInt(header("x-ratelimit-remaining") ?? "", 10);
  return {
    method: (method ?? "GET").toUpperCase(),
    status: typeof status === "number" && Number.isFinite(status) ? status : 0,
    rateLimitRemaining: Number.isFinite(remaining) ? remaining : null,
    rateLimitResource: header("x-ratelimit-resource"),
  };
}

interface RequestOptions {
  method?: string;
}
interface HookResponse {
  status: number;
  headers: Record<string, unknown>;
}
/** An Error, or Octokit's RequestError with a status and the response. */
type HookError = Error & { status?: number; response?: { headers?: Record<string, unknown> } };
interface HookableOctokit {
  hook: {
    after(name: "request", fn: (response: HookResponse, options: RequestOptions) => void): void;
    error(name: "request", fn: (error: Error, options: RequestOptions) => never): void;
  };
}

/** An Octokit plugin: every response (and error) of every request goes to observeGitHubCall. */
export function githubCallsPlugin(octokit: HookableOctokit): void {
  octokit.hook.after("request", (response, options) => {
    observeGitHubCall(toGitHubCall(options.method, response.status, response.headers));
  });
  octokit.hook.error("request", (error, options) => {
    const failed = error as HookError;
    observeGitHubCall(toGitHubCall(options.method, failed.status, failed.response?.headers));
    throw error;
  });
}
