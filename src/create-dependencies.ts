import type { Logger } from "pino";
import type { Probot } from "probot";
import { continueApiRun, startApiRun, type ApiRunDeps, type StartRunInput } from "./api/start-run.ts";
import { ConfigError, createEnvLookup, type Config } from "./config/env.ts";
import { createModelGatewayService, gatewaySwitch, type ModelGatewayService } from "./gateway/model-gateway.ts";
import type { UpstreamCredential } from "./gateway/proxy.ts";
import type { GitHubClient } from "./github/octokit-types.ts";
import { createTokenMinter } from "./github/tokens.ts";
import { createAckQueue } from "./handlers/ack-queue.ts";
import { acknowledgeRun } from "./handlers/acknowledge.ts";
import type { IntakeDeps } from "./handlers/intake.ts";
import { createRepoConfigCache } from "./handlers/repo-config-cache.ts";
import { parsePassthroughList } from "./config/sandbox-passthrough.ts";
import { createReplyLimiter } from "./handlers/reply-limiter.ts";
import { createEmbeddedQueue } from "./jobs/embedded-queue.ts";
import { createPgBossQueue } from "./jobs/pg-boss-queue.ts";
import type { ExecuteRun } from "./jobs/types.ts";
import { HAND_BACK } from "./runs/cancellation.ts";
import { createRunEvents } from "./runs/run-events.ts";
import { startReaper } from "./runs/reaper.ts";
import { recoverUnfinished } from "./runs/recover.ts";
import { runJob, type RunJobDeps } from "./runs/run-job.ts";
import { createSandboxProvider } from "./sandbox/create-provider.ts";
import { isPostgresUrl, openStore } from "./store/open-store.ts";
import { gitBaseUrl } from "./workspace/clone-url.ts";
import { createHostGit } from "./workspace/host-git.ts";
import { parsePostgresUrl } from "./store/postgres-store.ts";
import type { RunRecord } from "./store/types.ts";
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
  const sandboxes = await createSandboxProvider(config, log);
  const hostGit = await createHostGit();
  const modelGateway = createGateway(config, log);
  const runDeps: RunJobDeps = {
    store,
    sandboxes,
    hostGit,
    gitBaseUrl: gitBaseUrl(config),
    mintToken: createTokenMinter(appClient),
    installationClient: async (id) => (await app.auth(id)) as GitHubClient,
    identity: { name: appLogin, email: `${appLogin}@users.noreply.github.com` },
    triggerPhrase: () => triggerPhrase,
    branchPrefix: config.BRANCH_PREFIX,
    appLogin: () => appLogin,
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
      installationDailyUsd: config.DAILY_BUDGET_USD_PER_INSTALLATION,
    },
    events,
    ...(modelGateway ? { modelGateway } : {}),
    log: log.child({ name: "run" }),
  };

  // Runs executing in this process, so `@bot stop` can abort one at once.
  const executing = new Map<number, AbortController>();
  const execute: ExecuteRun = async (run) => {
    const controller = new AbortController();
    executing.set(run.id, controller);
    try {
      await runJob(runDeps, run, controller.signal);
    } finally {
      executing.delete(run.id);
    }
  };
  const leaseMs = config.RUN_LEASE_SECONDS * 1000;
  const queueOptions = { store, concurrency: config.WORKER_CONCURRENCY, log: log.child({ name: "worker" }), heartbeatMs: leaseMs / 3, execute };
  const queue = isPostgresUrl(config.DATABASE_URL)
    ? createPgBossQueue({ ...queueOptions, connectionString: config.DATABASE_URL, schema: pgBossSchema(config.DATABASE_URL) })
    : createEmbeddedQueue(queueOptions);

  const replyLimiter = createReplyLimiter(NOT_ALLOWED_REPLY_WINDOW_MS, (key) => store.recordDelivery(key, "reply-limit"));
  // Acknowledgements (permission, budget, 👀, progress comment) happen after the webhook's 2xx.
  const acks = createAckQueue({ concurrency: ACK_CONCURRENCY, busy: () => webhooks.inFlight() > 0, heartbeatMs: leaseMs / 3, heartbeat: (ids) => store.heartbeat(ids), log });
  webhooks.onIdle(() => acks.resume());
  const ackDeps = { store, queue, replyLimiter, installationDailyUsd: config.DAILY_BUDGET_USD_PER_INSTALLATION };
  const acknowledge = (run: RunRecord, client: GitHubClient | null, runLog: Logger) =>
    acks.submit(run.id, async () => acknowledgeRun(ackDeps, run, client ?? (await runDeps.installationClient(run.installationId)), runLog));

  const intakeDeps: IntakeDeps = {
    store,
    triggerPhrase: () => triggerPhrase,
    appLogin: () => appLogin,
    repoConfig: createRepoConfigCache(CONFIG_CACHE_MS, { passthrough: parsePassthroughList(config.SANDBOX_PASSTHROUGH_ENV) }),
    cancelLocal: (runId) => executing.get(runId)?.abort(),
    replyLimiter,
    acknowledge,
  };

  const recover = () =>
    recoverUnfinished(store, queue, log, leaseMs, (run) => acknowledge(run, null, log.child({ run: run.id, delivery: run.deliveryId, recovered: true }))).catch((error: unknown) => {
      log.error({ err: error }, "could not recover interrupted runs; will try again");
      return 0;
    });
  let recovery: NodeJS.Timeout | null = null;
  let stopReaper: (() => void) | null = null;
  const works = config.ROLE !== "web";

  const apiRunDeps: ApiRunDeps = { store, queue, appClient, installationClient: runDeps.installationClient, actor: "api", branchPrefix: config.BRANCH_PREFIX, installationDailyUsd: config.DAILY_BUDGET_USD_PER_INSTALLATION, allowDefaultBranch: config.RUN_API_ALLOW_DEFAULT_BRANCH, passthrough: parsePassthroughList(config.SANDBOX_PASSTHROUGH_ENV), log: log.child({ name: "run-api" }) };

  return {
    intakeDeps,
    /** The model gateway's `/model` handler, when MODEL_GATEWAY=on. */
    modelGateway,
    triggerPhrase,
    store,
    queue,
    events,
    sandboxes,
    /** The run API: start a run like a mention, or continue one's conversation. */
    api: {
      start: (input: StartRunInput) => startApiRun(apiRunDeps, input),
      continue: (runId: number, prompt: string) => continueApiRun(apiRunDeps, runId, prompt),
    },
    /** Stops a run wherever it executes: at once here, within a poll elsewhere (the store's flag). */
    async cancelRun(runId: number) {
      await store.updateRun(runId, { cancelRequested: true });
      executing.get(runId)?.abort();
    },
    /** Workers (ROLE=worker or all) recover, execute and reap; ROLE=web only takes webhooks. */
    async start() {
      if (!works) return;
      const recovered = await recover();
      if (recovered > 0) log.warn({ recovered }, "runs interrupted by a dead process were queued again");
      await queue.start();
      recovery = setInterval(() => void recover(), leaseMs / 2);
      recovery.unref();
      stopReaper = startReaper({
        store,
        sandboxes,
        log: log.child({ name: "reaper" }),
        intervalMs: config.REAPER_INTERVAL_SECONDS * 1000,
        limits: { pausedRetentionMs: config.SANDBOX_RETENTION_HOURS * 3_600_000, orphanGraceMs: Math.max(10 * 60_000, 2 * leaseMs) },
      });
    },
    /** Stops taking runs, lets running ones finish up to the deadline, then hands the rest back. */
    async stop(deadlineMs: number) {
      if (recovery) clearInterval(recovery);
      stopReaper?.();
      // Acknowledgements under way finish (seconds at most); waiting ones stay "received" for recovery.
      await acks.stop(Math.min(deadlineMs, 10_000));
      if (works) {
        // Stop taking runs now; wait for the running ones up to the deadline.
        const drained = queue.stop(deadlineMs + 10_000);
        const deadline = Date.now() + deadlineMs;
        while (executing.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
        for (const [runId, controller] of executing) {
          log.warn({ run: runId }, "shutdown deadline passed: handing the run back to the queue");
          await store.updateRun(runId, { state: "queued" }).catch(() => undefined);
          controller.abort(HAND_BACK);
        }
        // The handed-back runs stop their processes and pause their sandboxes before the store closes.
        await drained;
      }
      await hostGit.close();
      await store.close();
    },
  };
}

/** pg-boss keeps its tables beside ours: `?schema=x` → `x_pgboss`, else its default `pgboss`. */
function pgBossSchema(databaseUrl: string): string | undefined {
  const { schema } = parsePostgresUrl(databaseUrl);
  return schema ? `${schema}_pgboss` : undefined;
}

/** GET /app at start-up answers within this, or the bot says why it cannot start. */
const APP_IDENTITY_TIMEOUT_MS = 3500;

async function fetchAppIdentity(appClient: () => Promise<GitHubClient>, config: Config): Promise<{ slug: string }> {
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

/**
 * MODEL_GATEWAY=on: runs get a per-run token for the bot's `/model` gateway instead of the model
 * key. Off: the key is in every sandbox, said once at start-up.
 */
function createGateway(config: Config, log: Logger): ModelGatewayService | undefined {
  const sw = gatewaySwitch({ provider: config.SANDBOX_PROVIDER, publicUrl: config.PUBLIC_URL, modelGateway: config.MODEL_GATEWAY, port: config.PORT });
  if (!sw.on) {
    log.warn(sw.reason);
    return undefined;
  }
  const credential: UpstreamCredential = config.ANTHROPIC_API_KEY ? { kind: "api-key", value: config.ANTHROPIC_API_KEY } : { kind: "oauth", value: config.CLAUDE_CODE_OAUTH_TOKEN ?? "" };
  log.info({ gateway: sw.publicBaseUrl }, "model gateway on: sandboxes get a run token, never the model key");
  return createModelGatewayService({ publicBaseUrl: sw.publicBaseUrl, upstreamBaseUrl: config.ANTHROPIC_BASE_URL, credential, log });
}
