/**
 * The model gateway as one service the bot composes: run tokens + the /model handler + per-request
 * usage in the bot's database + the per-run hard cap + a per-installation limit on concurrent
 * model requests. Wiring mounts `handle` in the web handler, calls openRun() where a run's
 * sandbox env is built (its `env` replaces the model key), closeRun() where the run ends, and
 * runReport() for the report's cost. Tokens and usage live in the Store (store/gateway-ledger.ts),
 * so whichever process serves `/model` verifies and meters any run's requests.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Logger } from "pino";
import type { RunEvents } from "../runs/run-events.ts";
import type { GatewayLedger, RunGrant, UsageTotals } from "../store/gateway-ledger.ts";
import { budgetRefusal, createModelGateway, type Admission, type GatewayUsage, type UpstreamCredential } from "./proxy.ts";
import { createRunTokens, type RunTokens } from "./run-tokens.ts";

export const ANTHROPIC_API_URL = "https://api.anthropic.com";

export interface GatewayRunReport {
  usage: UsageTotals;
  /** The cap the gateway refused the run a request at, in the report's words; null when it did not. */
  refused: string | null;
}

export interface ModelGatewayService {
  handle(req: IncomingMessage, res: ServerResponse): Promise<boolean>;
  /** At run start: the variables the sandbox's Claude gets instead of the deployment's key. */
  openRun(grant: RunGrant): Promise<{ env: { ANTHROPIC_BASE_URL: string; ANTHROPIC_API_KEY: string } }>;
  /** A warm Claude's token (from its first run's openRun) now serves this run; false when it is unknown. */
  rebindRun(token: string, grant: RunGrant): Promise<boolean>;
  /** "ended": the token works for the grace period; "revoked" (cancel, stop, failure): not at all. */
  closeRun(runId: string, how: "ended" | "revoked"): Promise<void>;
  /** What the run spent through the gateway, and whether a cap stopped it. */
  runReport(runId: string): Promise<GatewayRunReport>;
}

export interface ModelGatewayServiceOptions {
  /** The gateway as the sandbox reaches it, e.g. `${PUBLIC_URL}/model` or http://127.0.0.1:3000/model. */
  publicBaseUrl: string;
  /** The deployment's ANTHROPIC_BASE_URL, else the Anthropic API. */
  upstreamBaseUrl?: string | undefined;
  credential: UpstreamCredential;
  ledger: GatewayLedger;
  log: Logger;
  /** MODEL_GATEWAY_MAX_CONCURRENT_PER_INSTALLATION: model requests of one installation at once in this process (unset: no limit). */
  maxConcurrentPerInstallation?: number | undefined;
  /** Each metered request, for /metrics. */
  events?: Pick<RunEvents, "emit">;
  tokens?: RunTokens;
  maxBodyBytes?: number;
  now?: () => number;
}

export function createModelGatewayService(opts: ModelGatewayServiceOptions): ModelGatewayService {
  const now = opts.now ?? Date.now;
  const tokens = opts.tokens ?? createRunTokens(opts.ledger, { now });
  const log = opts.log.child({ name: "model-gateway" });
  const admit = admission(opts, log);
  const handle = createModelGateway({
    upstreamBaseUrl: opts.upstreamBaseUrl ?? ANTHROPIC_API_URL,
    credential: opts.credential,
    tokens,
    log: opts.log,
    admit,
    onUsage: (grant, usage) => void record(opts, log, now, grant, usage),
    ...(opts.maxBodyBytes !== undefined ? { maxBodyBytes: opts.maxBodyBytes } : {}),
  });
  return {
    handle,
    async openRun(grant) {
      return { env: { ANTHROPIC_BASE_URL: opts.publicBaseUrl, ANTHROPIC_API_KEY: await tokens.issue(grant) } };
    },
    rebindRun: (token, grant) => tokens.rebind(token, grant),
    closeRun: (runId, how) => (how === "ended" ? tokens.expire(runId) : tokens.revoke(runId)),
    async runReport(runId) {
      const [usage, refused] = await Promise.all([opts.ledger.runUsage(runId), opts.ledger.refusalFor(runId)]);
      return { usage, refused };
    },
  };
}

/** Only billable calls are capped and limited: count_tokens costs nothing and stays answered. */
function admission(opts: ModelGatewayServiceOptions, log: Logger): (grant: RunGrant, path: string) => Promise<Admission> {
  const inFlight = new Map<number, number>();
  return async (grant, path) => {
    if (path !== "/v1/messages") return { ok: true };
    if (grant.capUsd !== null) {
      const spent = (await opts.ledger.runUsage(grant.runId)).usd;
      if (spent >= grant.capUsd) {
        const cap = grant.capReason ?? `its cap of ${grant.capUsd} USD`;
        await opts.ledger.markRefused(grant.runId, cap);
        log.info({ runId: grant.runId, spent, cap: grant.capUsd }, "model gateway: run over its cap; refusing");
        return budgetRefusal(`Run budget reached: this run has spent ${spent.toFixed(4)} USD, reaching ${cap}. The bot ends the run here.`);
      }
    }
    const limit = opts.maxConcurrentPerInstallation;
    if (limit === undefined) return { ok: true };
    const running = inFlight.get(grant.installationId) ?? 0;
    if (running >= limit) {
      return { ok: false, status: 429, type: "rate_limit_error", message: `This installation has ${running} model requests under way, its limit (MODEL_GATEWAY_MAX_CONCURRENT_PER_INSTALLATION=${limit}); try again shortly.` };
    }
    inFlight.set(grant.installationId, running + 1);
    return { ok: true, done: () => inFlight.set(grant.installationId, (inFlight.get(grant.installationId) ?? 1) - 1) };
  };
}

async function record(opts: ModelGatewayServiceOptions, log: Logger, now: () => number, grant: RunGrant, u: GatewayUsage): Promise<void> {
  const upstreamError = u.status === 0 || u.status >= 500 || u.aborted;
  if (u.model !== undefined && !u.priceKnown) log.warn({ runId: grant.runId, model: u.model }, "model gateway: model not in the price table; charged at the dearest rates (update src/gateway/prices.ts)");
  try {
    await opts.ledger.recordUsage({
      runId: grant.runId,
      installationId: grant.installationId,
      repoFullName: grant.repoFullName,
      model: u.model ?? null,
      path: u.path,
      status: u.status,
      inputTokens: u.inputTokens,
      outputTokens: u.outputTokens,
      cacheCreationInputTokens: u.cacheCreationInputTokens,
      cacheReadInputTokens: u.cacheReadInputTokens,
      usd: u.usd,
      ttfbMs: u.ttfbMs,
      upstreamError,
      priceKnown: u.priceKnown || u.model === undefined,
      at: new Date(now()).toISOString(),
    });
  } catch (err) {
    log.error({ err, runId: grant.runId }, "model gateway: could not record a request's usage; the run's cost will be low by it");
  }
  opts.events?.emit({ type: "model_request", runId: Number(grant.runId), repo: grant.repoFullName, status: u.status, upstreamError, ttfbMs: u.ttfbMs, inputTokens: u.inputTokens, outputTokens: u.outputTokens, cacheCreationInputTokens: u.cacheCreationInputTokens, cacheReadInputTokens: u.cacheReadInputTokens, usd: u.usd, at: now() });
}

export type GatewaySwitch = { on: true; publicBaseUrl: string } | { on: false; reason: string };

/**
 * Whether runs use the gateway: always with the local provider (the sandbox is on this machine,
 * loopback reaches the bot), with E2B when PUBLIC_URL says where the bot is; never with
 * MODEL_GATEWAY=off. `reason` is the start-up warning when it is off.
 */
export function gatewaySwitch(o: { provider: "local" | "e2b"; publicUrl?: string | undefined; modelGateway?: "on" | "off" | undefined; port: number }): GatewaySwitch {
  if (o.modelGateway === "off") return { on: false, reason: "MODEL_GATEWAY=off: the model key is in every sandbox's environment, where the agent can read it; set MODEL_GATEWAY=on to keep it in the bot." };
  // A local sandbox is a process on this machine: loopback reaches the bot whatever PUBLIC_URL says.
  if (o.provider === "local") return { on: true, publicBaseUrl: `http://127.0.0.1:${o.port}/model` };
  if (o.publicUrl) return { on: true, publicBaseUrl: `${o.publicUrl.replace(/\/+$/, "")}/model` };
  return { on: false, reason: "PUBLIC_URL is not set, so E2B sandboxes cannot reach the bot's model gateway: the model key is in every sandbox's environment. Set PUBLIC_URL to the bot's external base URL." };
}
