import type { IncomingMessage, ServerResponse } from "node:http";
import { withTimeout } from "../util/with-timeout.ts";
import { requestUrl, sendJson } from "./http.ts";

/**
 * GET /readyz: 200 when every check passes (the database answers, the queue answers, the process
 * is not starting or shutting down), else 503 naming what failed. /healthz stays the liveness probe.
 */

export type ReadinessCheck = () => Promise<unknown>;

export interface ReadinessResult {
  ready: boolean;
  checks: Record<string, { ok: true } | { ok: false; error: string }>;
}

export async function runChecks(checks: Record<string, ReadinessCheck>, timeoutMs: number): Promise<ReadinessResult> {
  const names = Object.keys(checks);
  const outcomes = await Promise.all(
    names.map((name) =>
      withTimeout(Promise.resolve().then(checks[name]!), timeoutMs, `no answer within ${timeoutMs} ms`).then(
        () => ({ ok: true }) as const,
        (error: unknown) => ({ ok: false, error: error instanceof Error ? error.message : String(error) }) as const,
      ),
    ),
  );
  const result: ReadinessResult = { ready: outcomes.every((o) => o.ok), checks: {} };
  names.forEach((name, i) => {
    result.checks[name] = outcomes[i]!;
  });
  return result;
}

export function createReadinessHandler(checks: Record<string, ReadinessCheck>, timeoutMs = 3000) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<boolean> => {
    if (req.method !== "GET" || requestUrl(req).pathname !== "/readyz") return false;
    const result = await runChecks(checks, timeoutMs);
    const failed = Object.entries(result.checks).flatMap(([name, check]) => (check.ok ? [] : [`${name}: ${check.error}`]));
    return sendJson(res, result.ready ? 200 : 503, { status: result.ready ? "ready" : "not ready", ...(failed.length ? { problems: failed } : {}), checks: result.checks });
  };
}
