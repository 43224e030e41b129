import type { IncomingMessage, ServerResponse } from "node:http";
import type { Logger } from "pino";
import type { StartRunInput } from "./start-run.ts";
import { createEnvLookup, type Config } from "../config/env.ts";
import type { RunQueue } from "../jobs/types.ts";
import { createMetrics, type MetricsDeps } from "../metrics/metrics.ts";
import type { RunEvents } from "../runs/run-events.ts";
import type { SandboxProvider } from "../sandbox/types.ts";
import { deploymentSecrets, passedValues } from "../util/deployment-secrets.ts";
import type { RunRecord, Store } from "../store/types.ts";
import { createAdminAuth } from "./admin-auth.ts";
import { createDashboard } from "./dashboard.ts";
import { createMetricsHandler } from "./metrics-route.ts";
import { createSandboxReadiness } from "../sandbox/provider-readiness.ts";
import { createReadinessHandler } from "./readiness.ts";
import { createTextRedactor } from "./redact-display.ts";
import { createRunApi } from "./run-api.ts";
import { createRunStreams } from "./run-stream.ts";

/**
 * The bot's operations endpoints as one Probot server handler: /readyz, /metrics, the dashboard
 * (/login, /dashboard/…) and the run API (/api/runs…). Each part answers only its own paths.
 */

export interface WebDeps {
  store: Store;
  queue: RunQueue;
  events: RunEvents;
  sandboxes: SandboxProvider;
  api: { start(input: StartRunInput): Promise<RunRecord>; continue(runId: number, prompt: string): Promise<RunRecord> };
  cancelRun(runId: number): Promise<void>;
  /** The model gateway, when on: the dashboard shows its figures. */
  modelGateway?: unknown;
  /** The sandbox pool (SANDBOX_POOL_SIZE > 0) and the sandbox price: its idle cost on /metrics. */
  sandboxPool?: NonNullable<MetricsDeps["pool"]>;
}

type WebConfig = Pick<Config, "ADMIN_TOKEN" | "METRICS_TOKEN" | "ANTHROPIC_API_KEY" | "CLAUDE_CODE_OAUTH_TOKEN" | "WEBHOOK_SECRET" | "E2B_API_KEY" | "privateKey"> & Partial<Pick<Config, "SANDBOX_PROVIDER" | "LOCAL_SANDBOX_ROOT">>;

export interface WebHandlerOptions {
  deps: WebDeps;
  config: WebConfig;
  log: Logger;
  /** false while starting and shutting down: /readyz then answers 503. */
  isReady?: () => boolean;
  /** Told every credential the web endpoints mint (admin sessions), so logs can hide it; the configured tokens are in util/deployment-secrets.ts. */
  registerSecret?: (value: string, ttlMs?: number) => void;
  /** Values of environment variables repositories pass into sandboxes, to hide them (default: config/env.ts's createEnvLookup). */
  lookupEnv?: (name: string) => string | undefined;
  streamPollMs?: number;
}

export interface WebHandler {
  handle(req: IncomingMessage, res: ServerResponse): Promise<boolean>;
  /** Ends live streams and stops collecting metrics (at shutdown, before the HTTP server closes). */
  close(): void;
}

export function createWebHandler(options: WebHandlerOptions): WebHandler {
  const { deps, config } = options;
  const log = options.log.child({ name: "web" });
  const lookupEnv = options.lookupEnv ?? createEnvLookup();

  const knownSecrets = deploymentSecrets(config);
  const baseRedactor = createTextRedactor(knownSecrets);
  /** Also hides the values of the variables this run's repository config passes into the sandbox. */
  const redactFor = (trigger: { config?: { env: string[] } | undefined }) => {
    const names = trigger.config?.env ?? [];
    return names.length === 0 ? baseRedactor : createTextRedactor([...knownSecrets, ...passedValues(names, lookupEnv)]);
  };

  const auth = config.ADMIN_TOKEN ? createAdminAuth({ token: config.ADMIN_TOKEN, ...(options.registerSecret ? { onCredential: options.registerSecret } : {}) }) : null;
  const metrics = createMetrics({ store: deps.store, queue: deps.queue, sandboxes: deps.sandboxes, events: deps.events, log, ...(deps.sandboxPool ? { pool: deps.sandboxPool } : {}) });
  const streams = createRunStreams({ store: deps.store, events: deps.events, log, ...(options.streamPollMs ? { pollMs: options.streamPollMs } : {}) });
  const isReady = options.isReady ?? (() => true);

  const handlers = [
    createReadinessHandler({
      process: async () => {
        if (!isReady()) throw new Error("starting or shutting down");
      },
      database: () => deps.store.ping(),
      queue: () => queuedRunsReadable(deps.store),
      // Can a sandbox be had at all (E2B answers the key; the local root is writable)?
      ...(config.SANDBOX_PROVIDER ? { sandbox: createSandboxReadiness({ SANDBOX_PROVIDER: config.SANDBOX_PROVIDER, E2B_API_KEY: config.E2B_API_KEY, LOCAL_SANDBOX_ROOT: config.LOCAL_SANDBOX_ROOT ?? "./data/sandboxes" }) } : {}),
    }),
    createMetricsHandler({ registry: metrics.registry, token: config.METRICS_TOKEN, log }),
    createDashboard({ store: deps.store, cancelRun: deps.cancelRun, auth, streams, redactFor, log, gatewayOn: deps.modelGateway !== undefined }),
    createRunApi({ store: deps.store, api: deps.api, cancelRun: deps.cancelRun, auth, redactFor, log }),
  ];

  return {
    async handle(req, res) {
      for (const handler of handlers) if (await handler(req, res)) return true;
      return false;
    },
    close() {
      streams.closeAll();
      metrics.stop();
    },
  };
}

/**
 * The queue answers: the embedded queue is the runs table and pg-boss lives in the same
 * PostgreSQL, so reading the queued runs from the store asks the queue itself.
 */
async function queuedRunsReadable(store: Pick<Store, "listRuns">): Promise<void> {
  await store.listRuns({ states: ["queued"], limit: 1 });
}
