import { Counter, Histogram, type Registry } from "prom-client";
import type { RunEvent, RunEvents } from "../runs/run-events.ts";

/**
 * The model gateway's figures on /metrics, from the requests this process served (`model_request`
 * run events): requests by repository and status class, upstream errors, tokens by kind, USD, and
 * the upstream's time to first byte.
 */

const PREFIX = "claude_sandbox_bot_";
const TTFB_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60];

type ModelRequest = Extract<RunEvent, { type: "model_request" }>;

/** The status as a bounded label: 2xx … 5xx, or "none" when the upstream could not be reached. */
export function statusClass(status: number): string {
  return status >= 100 && status < 600 ? `${Math.floor(status / 100)}xx` : "none";
}

/** The token counts of one request, by kind (zero counts left out). Pure. */
export function tokensByKind(e: ModelRequest): Array<[kind: string, count: number]> {
  const kinds: Array<[string, number]> = [
    ["input", e.inputTokens],
    ["output", e.outputTokens],
    ["cache_creation", e.cacheCreationInputTokens],
    ["cache_read", e.cacheReadInputTokens],
  ];
  return kinds.filter(([, n]) => n > 0);
}

export function registerGatewayMetrics(registry: Registry, events: Pick<RunEvents, "subscribe">): () => void {
  const requests = new Counter({ name: `${PREFIX}model_requests_total`, help: "Model requests the model gateway forwarded, by repository and upstream status class.", labelNames: ["repo", "status"], registers: [registry] });
  const upstreamErrors = new Counter({ name: `${PREFIX}model_upstream_errors_total`, help: "Model requests whose upstream failed (no answer, 5xx, or broken off), by repository.", labelNames: ["repo"], registers: [registry] });
  const tokens = new Counter({ name: `${PREFIX}model_tokens_total`, help: "Tokens metered at the model gateway, by repository and kind (input, output, cache_creation, cache_read).", labelNames: ["repo", "kind"], registers: [registry] });
  const usd = new Counter({ name: `${PREFIX}model_cost_usd_total`, help: "US dollars metered at the model gateway (the price table in src/gateway/prices.ts), by repository.", labelNames: ["repo"], registers: [registry] });
  const ttfb = new Histogram({ name: `${PREFIX}model_time_to_first_byte_seconds`, help: "Time from the gateway's upstream request to the upstream's response headers.", buckets: TTFB_BUCKETS, registers: [registry] });
  return events.subscribe((event) => {
    if (event.type !== "model_request") return;
    const repo = event.repo;
    requests.inc({ repo, status: statusClass(event.status) });
    if (event.upstreamError) upstreamErrors.inc({ repo });
    for (const [kind, count] of tokensByKind(event)) tokens.inc({ repo, kind }, count);
    if (event.usd > 0) usd.inc({ repo }, event.usd);
    ttfb.observe(Math.max(0, event.ttfbMs) / 1000);
  });
}
