import type { Logger } from "pino";
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";
import type { RunQueue } from "../jobs/types.ts";
import type { RunEvents } from "../runs/run-events.ts";
import type { SandboxProvider } from "../sandbox/types.ts";
import type { RunRecord, Store } from "../store/types.ts";
import { createCached } from "./cached.ts";
import { registerGatewayMetrics } from "./gateway-metrics.ts";
import { onGitHubCall } from "./github-calls.ts";
import { registerPoolMetrics } from "./pool-metrics.ts";
import type { SandboxPool } from "../sandbox/pool.ts";
import { runEventUpdates, type MetricUpdate } from "./run-metrics.ts";

/**
 * The Prometheus metrics (GET /metrics), in a registry of their own. Run metrics come from the
 * RunEvents of runs executing in this process (so a ROLE=web process has none); the queue depth
 * and the sandboxes are read when scraped, the sandbox list at most once per sandboxCacheMs.
 */

export interface MetricsDeps {
  store: Pick<Store, "listRuns">;
  queue: Pick<RunQueue, "active">;
  sandboxes: Pick<SandboxProvider, "list">;
  events: RunEvents;
  log: Logger;
  /** This process's sandbox pool (SANDBOX_POOL_SIZE > 0) and the sandbox price, for its idle cost. */
  pool?: { pool: Pick<SandboxPool, "stats">; costPerSecondUsd: number };
  /** How long one sandbox listing is reused (default 30 s). */
  sandboxCacheMs?: number;
  now?: () => number;
}

export interface Metrics {
  registry: Registry;
  /** Unsubscribes from run events and GitHub calls. */
  stop(): void;
}

const PREFIX = "claude_sandbox_bot_";
/** Queue depth counts at most this many queued runs per scrape. */
export const QUEUE_DEPTH_CAP = 10_000;
const DURATION_BUCKETS = [0.1, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600, 1200, 1800, 3600];

export function createMetrics(deps: MetricsDeps): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const log = deps.log;

  const runsStarted = new Counter({ name: `${PREFIX}runs_started_total`, help: "Runs this process started, by trigger kind.", labelNames: ["trigger"], registers: [registry] });
  const runsFinished = new Counter({
    name: `${PREFIX}runs_total`,
    help: "Runs this process finished, by outcome (done, no_changes, failed, canceled) and trigger kind.",
    labelNames: ["outcome", "trigger"],
    registers: [registry],
  });
  const runSeconds = new Histogram({ name: `${PREFIX}run_duration_seconds`, help: "Whole-run durations, by outcome.", labelNames: ["outcome"], buckets: DURATION_BUCKETS, registers: [registry] });
  const phaseSeconds = new Histogram({
    name: `${PREFIX}phase_duration_seconds`,
    help: "Time spent in each phase of a run (queue, sandbox, clone, setup, agent, publish).",
    labelNames: ["phase"],
    buckets: DURATION_BUCKETS,
    registers: [registry],
  });
  const costUsd = new Counter({ name: `${PREFIX}cost_usd_total`, help: "US dollars spent by finished runs: kind=claude (the model) or kind=sandbox.", labelNames: ["kind"], registers: [registry] });

  const store = deps.store;
  /** Runs in a state, counted in the store when scraped (so across every process sharing it). */
  const runsIn = (name: string, help: string, state: RunRecord["state"]) =>
    new Gauge({
      name: `${PREFIX}${name}`,
      help: `${help}, read from the store when scraped; at most ${QUEUE_DEPTH_CAP}.`,
      registers: [registry],
      async collect() {
        try {
          this.set((await store.listRuns({ states: [state], limit: QUEUE_DEPTH_CAP })).length);
        } catch (error) {
          log.warn({ err: error, state }, "metrics: could not count runs in the store; the gauge keeps its last value");
        }
      },
    });
  runsIn("queue_depth", "Runs waiting in the queue (state queued)", "queued");
  // A backlog here means acknowledgements (👀, progress comment) lag behind the webhooks' 2xx.
  runsIn("runs_awaiting_acknowledgement", "Runs recorded from a webhook whose permission check, 👀 and progress comment are still to come (state received)", "received");
  const queue = deps.queue;
  new Gauge({
    name: `${PREFIX}runs_executing`,
    help: "Runs executing in this process now.",
    registers: [registry],
    collect() {
      this.set(queue.active);
    },
  });
  const sandboxList = createCached(() => deps.sandboxes.list(), deps.sandboxCacheMs ?? 30_000, deps.now);
  new Gauge({
    name: `${PREFIX}sandboxes`,
    help: "The bot's sandboxes by state (running = live, paused = kept for a thread's next run); listed at most every 30 s.",
    labelNames: ["state"],
    registers: [registry],
    async collect() {
      try {
        const list = await sandboxList.get();
        if (!list) return;
        this.set({ state: "running" }, list.filter((s) => s.state === "running").length);
        this.set({ state: "paused" }, list.filter((s) => s.state === "paused").length);
      } catch (error) {
        log.warn({ err: error }, "metrics: could not list the sandboxes; the gauge is left out until a listing succeeds");
      }
    },
  });

  const githubCalls = new Counter({ name: `${PREFIX}github_api_requests_total`, help: "GitHub API requests, by method and HTTP status (0: no response).", labelNames: ["method", "status"], registers: [registry] });
  const rateLimit = new Gauge({ name: `${PREFIX}github_rate_limit_remaining`, help: "x-ratelimit-remaining of the latest GitHub API response, by resource.", labelNames: ["resource"], registers: [registry] });

  const apply = (update: MetricUpdate) => {
    switch (update.metric) {
      case "runs_started":
        return runsStarted.inc(update.labels);
      case "runs_finished":
        return runsFinished.inc(update.labels);
      case "run_seconds":
        return runSeconds.observe(update.labels, update.value);
      case "phase_seconds":
        return phaseSeconds.observe(update.labels, update.value);
      case "cost_usd":
        return costUsd.inc(update.labels, update.value);
    }
  };
  const unsubscribeRuns = deps.events.subscribe((event) => runEventUpdates(event).forEach(apply));
  const unsubscribeGateway = registerGatewayMetrics(registry, deps.events);
  if (deps.pool) registerPoolMetrics(registry, deps.pool.pool, deps.pool.costPerSecondUsd);
  const unsubscribeGitHub = onGitHubCall((call) => {
    githubCalls.inc({ method: call.method, status: String(call.status) });
    if (call.rateLimitRemaining !== null) rateLimit.set({ resource: call.rateLimitResource ?? "core" }, call.rateLimitRemaining);
  });

  return {
    registry,
    stop() {
      unsubscribeRuns();
      unsubscribeGateway();
      unsubscribeGitHub();
    },
  };
}
