/**
 * The model gateway as one service the bot composes: run tokens + the /model handler + per-run
 * usage totals + the per-run hard cap. What wiring needs is here: mount `handle` in the web
 * handler, call openRun() where a run's sandbox env is built (its `env` replaces the model key)
 * and closeRun() where the run ends.
 *
 * Totals are kept in memory, per process, like the tokens (see run-tokens.ts): the process that
 * issued a run's token is the one that serves and meters it.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Logger } from "pino";
import { budgetRefusal, createModelGateway, type Admission, type GatewayUsage, type UpstreamCredential } from "./proxy.ts";
import { createRunTokens, type RunTokens } from "./run-tokens.ts";

export const ANTHROPIC_API_URL = "https://api.anthropic.com";

export interface RunUsageTotals {
  requests: number;
  upstreamErrors: number;
  inputTokens: number;
  outputTokens: number;
  cacheCreationInputTokens: number;
  cacheReadInputTokens: number;
  usd: number;
  /** Models seen, with their request counts. */
  models: Record<string, number>;
  /** Requests whose model was not in the price table (charged at the dearest rates). */
  unpricedRequests: number;
  ttfbMs: number[];
}

export interface ModelGatewayService {
  handle(req: IncomingMessage, res: ServerResponse): Promise<boolean>;
  /** At run start: the variables the sandbox's Claude gets instead of the deployment's key. */
  openRun(runId: string): { env: { ANTHROPIC_BASE_URL: string; ANTHROPIC_API_KEY: string } };
  /** "ended": the token works for the grace period; "revoked" (cancel, stop, failure): not at all. */
  closeRun(runId: string, how: "ended" | "revoked"): void;
  usage(runId: string): RunUsageTotals | undefined;
  /** Drop a run's totals once they are stored elsewhere (the report). */
  forget(runId: string): void;
}

export interface ModelGatewayServiceOptions {
  /** The gateway as the sandbox reaches it, e.g. `${PUBLIC_URL}/model` or http://127.0.0.1:3000/model. */
  publicBaseUrl: string;
  /** The deployment's ANTHROPIC_BASE_URL, else the Anthropic API. */
  upstreamBaseUrl?: string | undefined;
  credential: UpstreamCredential;
  log: Logger;
  /** The run's USD cap (repo maxCostUsd lowered to what is left of the day's budget), if any. */
  capUsd?: (runId: string) => number | undefined;
  onUsage?: (runId: string, usage: GatewayUsage) => void;
  tokens?: RunTokens;
  maxBodyBytes?: number;
}

function emptyTotals(): RunUsageTotals {
  return { requests: 0, upstreamErrors: 0, inputTokens: 0, outputTokens: 0, cacheCreationInputTokens: 0, cacheReadInputTokens: 0, usd: 0, models: {}, unpricedRequests: 0, ttfbMs: [] };
}

/** Keep at most this many time-to-first-byte samples per run (for p50/p99; bounded memory). */
const MAX_TTFB_SAMPLES = 1000;

export function createModelGatewayService(opts: ModelGatewayServiceOptions): ModelGatewayService {
  const tokens = opts.tokens ?? createRunTokens();
  const totals = new Map<string, RunUsageTotals>();
  const log = opts.log.child({ name: "model-gateway" });

  /** Only billable calls are capped: count_tokens costs nothing and stays answered. */
  function admit(runId: string, path: string): Admission {
    if (path !== "/v1/messages") return { ok: true };
    const cap = opts.capUsd?.(runId);
    const spent = totals.get(runId)?.usd ?? 0;
    if (cap !== undefined && spent >= cap) {
      return budgetRefusal(`Run budget reached: this run has spent ${spent.toFixed(4)} USD of its ${cap} USD cap. The bot ends the run here.`);
    }
    return { ok: true };
  }

  function record(runId: string, u: GatewayUsage): void {
    const t = totals.get(runId) ?? emptyTotals();
    totals.set(runId, t);
    t.requests++;
    if (u.status === 0 || u.status >= 500 || u.aborted) t.upstreamErrors++;
    t.inputTokens += u.inputTokens;
    t.outputTokens += u.outputTokens;
    t.cacheCreationInputTokens += u.cacheCreationInputTokens;
    t.cacheReadInputTokens += u.cacheReadInputTokens;
    t.usd += u.usd;
    if (u.model !== undefined) {
      t.models[u.model] = (t.models[u.model] ?? 0) + 1;
      if (!u.priceKnown) {
        t.unpricedRequests++;
        log.warn({ runId, model: u.model }, "model gateway: model not in the price table; charged at the dearest rates (update src/gateway/prices.ts)");
      }
    }
    if (t.ttfbMs.length < MAX_TTFB_SAMPLES) t.ttfbMs.push(u.ttfbMs);
    opts.onUsage?.(runId, u);
  }

  const handle = createModelGateway({
    upstreamBaseUrl: opts.upstreamBaseUrl ?? ANTHROPIC_API_URL,
    credential: opts.credential,
    tokens,
    log: opts.log,
    admit,
    onUsage: record,
    ...(opts.maxBodyBytes !== undefined ? { maxBodyBytes: opts.maxBodyBytes } : {}),
  });

  return {
    handle,
    openRun(runId) {
      return { env: { ANTHROPIC_BASE_URL: opts.publicBaseUrl, ANTHROPIC_API_KEY: tokens.issue(runId) } };
    },
    closeRun(runId, how) {
      if (how === "ended") tokens.expire(runId);
      else tokens.revoke(runId);
    },
    usage: (runId) => totals.get(runId),
    forget(runId) {
      totals.delete(runId);
    },
  };
}

export type GatewaySwitch = { on: true; publicBaseUrl: string } | { on: false; reason: string };

/**
 * Whether runs use the gateway: always with the local provider (the sandbox is on this machine,
 * loopback reaches the bot), with E2B when PUBLIC_URL says where the bot is; never with
 * MODEL_GATEWAY=off. `reason` is the start-up warning when it is off.
 */
export function gatewaySwitch(o: { provider: "local" | "e2b"; publicUrl?: string | undefined; modelGateway?: "on" | "off" | undefined; port: number }): GatewaySwitch {
  if (o.modelGateway === "off") return { on: false, reason: "MODEL_GATEWAY=off: the model key is in every sandbox's environment, where the agent can read it; set MODEL_GATEWAY=on to keep it in the bot." };
  if (o.publicUrl) return { on: true, publicBaseUrl: `${o.publicUrl.replace(/\/+$/, "")}/model` };
  if (o.provider === "local") return { on: true, publicBaseUrl: `http://127.0.0.1:${o.port}/model` };
  return { on: false, reason: "PUBLIC_URL is not set, so E2B sandboxes cannot reach the bot's model gateway: the model key is in every sandbox's environment. Set PUBLIC_URL to the bot's external base URL." };
}
