import { createWarmRegistry, killingWarmWithSandboxes } from "./runs/warm-claude.ts";
import { deploymentSecrets } from "./util/deployment-secrets.ts";
import type { Logger } from "pino";
import type { Probot } from "probot";
import { continueApiRun, startApiRun, type ApiRunDeps, type StartRunInput } from "./web/start-run.ts";
import { createEnvLookup, type Config } from "./config/env.ts";
import { createModelGatewayService, gatewaySwitch, type ModelGatewayService } from "./gateway/model-gateway.ts";
import type { UpstreamCredential } from "./gateway/proxy.ts";
import type { GitHubClient } from "./github/octokit-types.ts";
import { fetchAppIdentity } from "./github/app-identity.ts";
import { createTokenMinter } from "./github/tokens.ts";
import { createAckQueue } from "./intake/ack-queue.ts";
import { acknowledgeRun, type AcknowledgeDeps } from "./intake/acknowledge.ts";
import { offerToRunningRun } from "./runs/steering.ts";
import type { IntakeDeps } from "./intake/intake.ts";
import { createRepoConfigCache } from "./intake/repo-config-cache.ts";
import { parsePassthroughList } from "./config/sandbox-passthrough.ts";
import { createReplyLimiter, type ReplyLimiter } from "./intake/reply-limiter.ts";
import { createEmbeddedQueue, type EmbeddedWorkerOptions } from "./jobs/embedded-queue.ts";
import { createPgBossQueue } from "./jobs/pg-boss-queue.ts";
import type { RunQueue } from "./jobs/types.ts";
import { createRunEvents, type RunEvents } from "./runs/run-events.ts";
import type { GatewayLedger } from "./store/gateway-ledger.ts";
import { startReaper } from "./runs/reaper.ts";
import { recoverUnfinished } from "./runs/recover.ts";
import { runJob, type RunJobDeps } from "./runs/run-job.ts";
import { createWorker, type Worker } from "./runs/worker.ts";
import { createSandboxProvider } from "./sandbox/create-provider.ts";
import { createSandboxPool, type SandboxPool } from "./sandbox/pool.ts";
import { sandboxLifetimeMs } from "./runs/limits.ts";
import type { SandboxProvider } from "./sandbox/types.ts";
import { isPostgresUrl, openStore } from "./store/open-store.ts";
import { gitBaseUrl } from "./workspace/clone-url.ts";
import { createHostGit } from "./workspace/host-git.ts";
import { parsePostgresUrl } from "./store/postgres-store.ts";
import type { RunRecord, Store } from "./store/types.ts";
import type { WebhookGauge } from "./web/webhook-gauge.ts";

/** Wires the parts together from the config. Everything a part needs is passed to it here. */

export interface CreateDependenciesInput {
  app: Probot;
  /** Webhook deliveries being received by this process (acknowledgements yield to them). */
  webhooks: WebhookGauge;
  config: Config;
  log: Logger;
  claudeCommand: string;
}

const CONFIG_CACHE_MS = 60_000;
const NOT_ALLOWED_REPLY_WINDOW_MS = 60 * 60_000;
/** Acknowledgements in flight at once; a burst of webhooks waits in the queue, durable as "received" runs. */
const ACK_CONCURRENCY = 8;

export async function createDependencies({ app, webhooks, config, log, claudeCommand }: CreateDependenciesInput) {
  const appClient = async () => (await app.auth()) as GitHubClient;
  const identity = await fetchAppIdentity(appClient, config);
  const appLogin = `${identity.slug}[bot]`;
  const triggerPhrase = config.TRIGGER_PHRASE ?? `@${identity.slug}`;

  const store = await openStore(config.DATABASE_URL, log);
  const events = createRunEvents((error) => log.warn({ err: error }, "a run-event listener failed"));
  // WARM_CLAUDE=on: a thread's Claude kept between its runs (runs/warm-claude.ts), killed with its sandbox.
  const warm = config.WARM_CLAUDE === "on" ? createWarmRegistry() : undefined;
  const provider = await createSandboxProvider(config, log);
  const sandboxes = warm ? killingWarmWithSandboxes(provider, warm) : provider;
  const hostGit = await createHostGit();
  const modelGateway = createGateway(config, { ledger: store.gateway, events }, log);
  const sandboxPool = poolFor(config, sandboxes, log);
  const runDeps: RunJobDeps = { ...runJobDeps({ app, appClient, config, claudeCommand, store, sandboxes, sandboxPool, hostGit, events, modelGateway, appLogin, triggerPhrase, log }), ...(warm ? { warm } : {}) };
  // `acknowledge` is defined below, with the queue the worker makes; recovery first runs in start().
  const worker = workerFor(config, { store, sandboxes, sandboxPool, runDeps, acknowledge: (run) => acknowledge(run, null, log.child({ run: run.id, delivery: run.deliveryId, recovered: true })), log });
  const queue = worker.queue;

  const replyLimiter = createReplyLimiter(NOT_ALLOWED_REPLY_WINDOW_MS, (key) => store.recordDelivery(key, "reply-limit"));
  const { acknowledge, acks } = acknowledger({ config, store, queue, replyLimiter, webhooks, installationClient: runDeps.installationClient, log });

  const intakeDeps: IntakeDeps = {
    store,
    triggerPhrase,
    appLogin,
    repoConfig: createRepoConfigCache(CONFIG_CACHE_MS, { passthrough: parsePassthroughList(config.SANDBOX_PASSTHROUGH_ENV) }),
    cancelLocal: worker.cancelLocal,
    replyLimiter,
    acknowledge,
    branchPrefix: config.BRANCH_PREFIX,
    secrets: deploymentSecrets(config),
    deploymentModel: () => config.CLAUDE_MODEL,
  };

  return {
    intakeDeps,
    /** The model gateway's `/model` handler, when the gateway is on (gateway/model-gateway.ts gatewaySwitch). */
    modelGateway,
    triggerPhrase,
    store,
    queue,
    events,
    sandboxes,
    /** The sandbox pool's idle cost, for /metrics. */
    ...(sandboxPool ? { sandboxPool: { pool: sandboxPool, costPerSecondUsd: config.sandboxCostPerSecondUsd } } : {}),
    /** The run API: start a run like a mention, or continue one's conversation. */
    api: runApi(config, { store, queue, appClient, installationClient: runDeps.installationClient, log }),
    cancelRun: worker.cancelRun,
    /** Workers (ROLE=worker or all) recover, execute and reap; ROLE=web only takes webhooks. */
    start: async () => {
      await worker.start();
      sandboxPool?.start();
    },
    /** Stops taking runs, lets running ones finish up to the deadline, then hands the rest back. */
    /**
     * Stops taking runs, lets running ones finish up to the deadline (handing the rest back), then
     * `afterRuns` (the HTTP server: running Claudes reach the model through this process's
     * `/model` until then), then closes the store.
     */
    async stop(deadlineMs: number, afterRuns: () => Promise<void> = async () => {}) {
      // Idle pool sandboxes cost money and no run here will take them now.
      await sandboxPool?.stop();
      // Acknowledgements under way finish (seconds at most); waiting ones stay "received" for recovery.
      await worker.stop(deadlineMs, () => acks.stop(Math.min(deadlineMs, 10_000)));
      warm?.closeAll();
      await afterRuns();
      await hostGit.close();
      await store.close();
    },
  };
}

/** The worker's parts: the queue for the database, runJob, recovery, the reaper's schedule and limits. */
function workerFor(
  config: Config,
  { store, sandboxes, sandboxPool, runDeps, acknowledge, log }: { store: Store; sandboxes: SandboxProvider; sandboxPool: SandboxPool | undefined; runDeps: RunJobDeps; acknowledge: (run: RunRecord) => void; log: Logger },
): Worker {
  const leaseMs = config.RUN_LEASE_SECONDS * 1000;
  return createWorker({
    createQueue: (execute) => createQueue(config, { store, concurrency: config.WORKER_CONCURRENCY, log: log.child({ name: "worker" }), heartbeatMs: leaseMs / 3, maxRunsPerInstallation: config.MAX_RUNS_PER_INSTALLATION, execute }),
    store,
    runJob: (run, signal) => runJob(runDeps, run, signal),
    recover: (queue) => recoverUnfinished(store, queue, log, leaseMs, acknowledge),
    recoverEveryMs: leaseMs / 2,
    startReaper: () =>
      startReaper({
        store,
        sandboxes,
        log: log.child({ name: "reaper" }),
        intervalMs: config.REAPER_INTERVAL_SECONDS * 1000,
        // An orphan gets two leases (at least 10 min) to be claimed again.
        limits: { pausedRetentionMs: config.SANDBOX_RETENTION_HOURS * 3_600_000, orphanGraceMs: Math.max(10 * 60_000, 2 * leaseMs), snapshotRetentionMs: config.SNAPSHOT_RETENTION_HOURS * 3_600_000, poolIdleLimitMs: poolIdleLimitMs(config) },
        ...(sandboxPool ? { pool: sandboxPool } : {}),
      }),
    works: config.ROLE !== "web",
    log,
  });
}

/** SANDBOX_POOL_SIZE > 0 on a worker (ROLE=worker or all): sandboxes kept started for first runs, with a run's lifetime. */
function poolFor(config: Config, sandboxes: SandboxProvider, log: Logger): SandboxPool | undefined {
  if (config.SANDBOX_POOL_SIZE <= 0 || config.ROLE === "web") return undefined;
  return createSandboxPool({ sandboxes, size: config.SANDBOX_POOL_SIZE, lifetimeMs: sandboxLifetimeMs(config.SANDBOX_TIMEOUT_SECONDS * 1000), log: log.child({ name: "sandbox-pool" }) });
}

/**
 * A pool sandbox (any process's) no thread is known to hold is reaped past this: the pool hands
 * out none idle longer than half a lifetime (its default), and a run that took one lasts at most a
 * lifetime; an hour on top covers clocks and hand-over.
 */
function poolIdleLimitMs(config: Config): number {
  const lifetime = sandboxLifetimeMs(config.SANDBOX_TIMEOUT_SECONDS * 1000);
  return lifetime / 2 + lifetime + 3_600_000;
}

/** The run API's start and continue, with the deployment's settings. */
function runApi(config: Config, parts: Pick<ApiRunDeps, "store" | "queue" | "appClient" | "installationClient" | "log">) {
  const deps: ApiRunDeps = {
    ...parts,
    actor: "api",
    branchPrefix: config.BRANCH_PREFIX,
    installationDailyUsd: config.DAILY_BUDGET_USD_PER_INSTALLATION,
    allowDefaultBranch: config.RUN_API_ALLOW_DEFAULT_BRANCH,
    passthrough: parsePassthroughList(config.SANDBOX_PASSTHROUGH_ENV),
    log: parts.log.child({ name: "run-api" }),
  };
  return {
    start: (input: StartRunInput) => startApiRun(deps, input),
    continue: (runId: number, prompt: string) => continueApiRun(deps, runId, prompt),
  };
}

interface AcknowledgerParts {
  config: Config;
  store: AcknowledgeDeps["store"] & Pick<Store, "heartbeat" | "listRuns" | "steering">;
  queue: RunQueue;
  replyLimiter: ReplyLimiter;
  webhooks: WebhookGauge;
  installationClient: (installationId: number) => Promise<GitHubClient>;
  log: Logger;
}

/** Acknowledgements (permission, budget, 👀, progress comment) happen after the webhook's 2xx, in the ack queue. */
function acknowledger({ config, store, queue, replyLimiter, webhooks, installationClient, log }: AcknowledgerParts) {
  const heartbeatMs = (config.RUN_LEASE_SECONDS * 1000) / 3;
  const acks = createAckQueue({ concurrency: ACK_CONCURRENCY, busy: () => webhooks.inFlight() > 0, heartbeatMs, heartbeat: (ids) => store.heartbeat(ids), log });
  webhooks.onIdle(() => acks.resume());
  const ackDeps: AcknowledgeDeps = { store, queue, replyLimiter, installationDailyUsd: config.DAILY_BUDGET_USD_PER_INSTALLATION, ...(config.STEERING === "on" ? { steer: (run: RunRecord) => offerToRunningRun({ store }, run) } : {}) };
  const acknowledge = (run: RunRecord, client: GitHubClient | null, runLog: Logger) =>
    acks.submit(run.id, async () => acknowledgeRun(ackDeps, run, client ?? (await installationClient(run.installationId)), runLog));
  return { acknowledge, acks };
}

type RunJobParts = Pick<RunJobDeps, "store" | "sandboxes" | "hostGit" | "events"> & {
  sandboxPool: SandboxPool | undefined;
  app: Probot;
  appClient: () => Promise<GitHubClient>;
  config: Config;
  claudeCommand: string;
  modelGateway: ModelGatewayService | undefined;
  appLogin: string;
  triggerPhrase: string;
  log: Logger;
};

/** What a run needs, from the config and the parts built for it. */
function runJobDeps({ app, appClient, config, claudeCommand, store, sandboxes, sandboxPool, hostGit, events, modelGateway, appLogin, triggerPhrase, log }: RunJobParts): RunJobDeps {
  return {
    store,
    sandboxes,
    ...(sandboxPool ? { sandboxPool } : {}),
    hostGit,
    gitBaseUrl: gitBaseUrl(config),
    mintToken: createTokenMinter(appClient),
    installationClient: async (id) => (await app.auth(id)) as GitHubClient,
    identity: { name: appLogin, email: `${appLogin}@users.noreply.github.com` },
    triggerPhrase,
    branchPrefix: config.BRANCH_PREFIX,
    appLogin,
    lookupEnv: createEnvLookup(),
    settings: {
      claudeCommand,
      model: config.CLAUDE_MODEL,
      maxTurns: config.CLAUDE_MAX_TURNS,
      anthropicApiKey: config.ANTHROPIC_API_KEY,
      claudeOauthToken: config.CLAUDE_CODE_OAUTH_TOKEN,
      anthropicBaseUrl: config.ANTHROPIC_BASE_URL,
      sandboxTimeoutMs: config.SANDBOX_TIMEOUT_SECONDS * 1000,
      sandboxCostPerSecondUsd: config.sandboxCostPerSecondUsd,
      progressIntervalMs: config.PROGRESS_INTERVAL_MS,
      publicUrl: config.PUBLIC_URL,
      installationDailyUsd: config.DAILY_BUDGET_USD_PER_INSTALLATION,
      secrets: deploymentSecrets(config),
    },
    events,
    ...(modelGateway ? { modelGateway } : {}),
    log: log.child({ name: "run" }),
  };
}

/** PostgreSQL: pg-boss, shared by every process; SQLite: the embedded queue. */
function createQueue(config: Config, options: EmbeddedWorkerOptions): RunQueue {
  return isPostgresUrl(config.DATABASE_URL)
    ? createPgBossQueue({ ...options, connectionString: config.DATABASE_URL, schema: pgBossSchema(config.DATABASE_URL) })
    : createEmbeddedQueue(options);
}

/** pg-boss keeps its tables beside ours: `?schema=x` → `x_pgboss`, else its default `pgboss`. */
function pgBossSchema(databaseUrl: string): string | undefined {
  const { schema } = parsePostgresUrl(databaseUrl);
  return schema ? `${schema}_pgboss` : undefined;
}

/**
 * The model gateway, where sandboxes can reach the bot (gatewaySwitch): runs get a per-run token
 * for its `/model` instead of the model key. Off: the key is in every sandbox, said once at start-up.
 */
function createGateway(config: Config, parts: { ledger: GatewayLedger; events: RunEvents }, log: Logger): ModelGatewayService | undefined {
  const sw = gatewaySwitch({ provider: config.SANDBOX_PROVIDER, publicUrl: config.PUBLIC_URL, modelGateway: config.MODEL_GATEWAY, port: config.PORT });
  if (!sw.on) {
    log.warn(sw.reason);
    return undefined;
  }
  const credential: UpstreamCredential = config.ANTHROPIC_API_KEY ? { kind: "api-key", value: config.ANTHROPIC_API_KEY } : { kind: "oauth", value: config.CLAUDE_CODE_OAUTH_TOKEN ?? "" };
  log.info({ gateway: sw.publicBaseUrl }, "model gateway on: sandboxes get a run token, never the model key");
  return createModelGatewayService({
    publicBaseUrl: sw.publicBaseUrl,
    upstreamBaseUrl: config.ANTHROPIC_BASE_URL,
    credential,
    ledger: parts.ledger,
    events: parts.events,
    maxConcurrentPerInstallation: config.MODEL_GATEWAY_MAX_CONCURRENT_PER_INSTALLATION,
    log,
  });
}
