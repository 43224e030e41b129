import { ConfigError, type Config } from "../config/env.ts";
import type { GitHubClient } from "./octokit-types.ts";

/** Who the App is (GET /app), asked once at start-up; a failure is one line the operator can act on. */

/** GET /app at start-up answers within this, or the bot says why it cannot start. */
const APP_IDENTITY_TIMEOUT_MS = 3500;

export async function fetchAppIdentity(appClient: () => Promise<GitHubClient>, config: Config): Promise<{ slug: string }> {
  const api = config.apiBaseUrl;
  try {
    // No retries: a wrong host or key is a configuration problem to report at once, not to wait out.
    const { data } = await (await appClient()).rest.apps.getAuthenticated({ request: { retries: 0, signal: AbortSignal.timeout(APP_IDENTITY_TIMEOUT_MS) } });
    if (!data?.slug) throw new Error("GET /app returned no slug");
    return { slug: data.slug };
  } catch (error) {
    throw new ConfigError(describeIdentityFailure(error, config.APP_ID, api), { cause: error });
  }
}

/** One line a newcomer can act on: GitHub unreachable (check GHE_HOST) or the App refused (check APP_ID and the key). */
export function describeIdentityFailure(error: unknown, appId: number, api: string): string {
  // Octokit reports a request that got no response at all as status 500 without a `response`.
  const answered = (error as { response?: unknown }).response !== undefined;
  const status = answered ? (error as { status?: unknown }).status : undefined;
  const host = "GHE_HOST (unset means github.com)";
  if (status === 401 || status === 403 || status === 404) {
    return `GitHub at ${api} refused the App (GET /app answered ${status}): check APP_ID=${appId} and that PRIVATE_KEY belongs to that App (GitHub App settings → Private keys), and ${host}.`;
  }
  const message = (error as Error).message;
  const code = /\b(E[A-Z]{3,}|UND_ERR_[A-Z_]+)\b/.exec(message)?.[1] ?? (error as { cause?: { code?: string } }).cause?.code;
  const reason = /aborted|timeout/i.test(message) ? `no answer within ${APP_IDENTITY_TIMEOUT_MS / 1000} s` : (code ?? message);
  if (typeof status === "number" && status >= 400 && status < 600) {
    return `GitHub at ${api} answered GET /app with ${status} (${(error as Error).message}): check ${host} and APP_ID=${appId}.`;
  }
  return `Cannot reach GitHub at ${api} (GET /app: ${reason}): check ${host}, GHE_PROTOCOL and this machine's network; APP_ID=${appId}.`;
}
