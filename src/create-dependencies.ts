import type { Logger } from "pino";
import type { Probot } from "probot";
import type { Config } from "./config/env.ts";
import type { HandlerDeps } from "./handlers/issue-comment.ts";
import { createEmbeddedQueue } from "./jobs/embedded-queue.ts";
import type { GitHubClient } from "./github/octokit-types.ts";
import { createTokenMinter } from "./github/tokens.ts";
import { recoverUnfinished } from "./runs/recover.ts";
import { runJob } from "./runs/run-job.ts";
import { createSandboxProvider } from "./sandbox/create-provider.ts";
import { openStore } from "./store/open-store.ts";

/** Wires the parts together from the config. Everything a part needs is passed to it here. */

export interface CreateDependenciesInput {
  app: Probot;
  config: Config;
  log: Logger;
  claudeCommand: string;
}

export async function createDependencies({ app, config, log, claudeCommand }: CreateDependenciesInput) {
  const appClient = async () => (await app.auth()) as GitHubClient;
  const identity = await fetchAppIdentity(appClient, config.APP_ID);
  const triggerPhrase = config.TRIGGER_PHRASE ?? `@${identity.slug}`;

  const store = openStore(config.DATABASE_URL);
  const sandboxes = await createSandboxProvider(config, log);
  const queue = createEmbeddedQueue({
    store,
    concurrency: config.WORKER_CONCURRENCY,
    log: log.child({ name: "worker" }),
    heartbeatMs: (config.RUN_LEASE_SECONDS * 1000) / 3,
    execute: (run) =>
      runJob(
        {
          store,
          sandboxes,
          mintToken: createTokenMinter(appClient),
          installationClient: async (id) => (await app.auth(id)) as GitHubClient,
          identity: { name: `${identity.slug}[bot]`, email: `${identity.slug}[bot]@users.noreply.github.com` },
          triggerPhrase: () => triggerPhrase,
          settings: {
            branchPrefix: config.BRANCH_PREFIX,
            claudeCommand,
            model: config.CLAUDE_MODEL,
            maxTurns: config.CLAUDE_MAX_TURNS,
            sandboxTimeoutMs: config.SANDBOX_TIMEOUT_SECONDS * 1000,
            sandboxCostPerSecondUsd: config.sandboxCostPerSecondUsd,
            progressIntervalMs: config.PROGRESS_INTERVAL_MS,
            anthropicApiKey: config.ANTHROPIC_API_KEY,
            claudeOauthToken: config.CLAUDE_CODE_OAUTH_TOKEN,
            anthropicBaseUrl: config.ANTHROPIC_BASE_URL,
          },
          log: log.child({ name: "run" }),
        },
        run,
      ),
  });

  const handlerDeps: HandlerDeps = {
    store,
    triggerPhrase: () => triggerPhrase,
    appLogin: () => `${identity.slug}[bot]`,
    queue,
  };

  const leaseMs = config.RUN_LEASE_SECONDS * 1000;
  const recover = () =>
    recoverUnfinished(store, queue, log, leaseMs).catch((error: unknown) => {
      log.error({ err: error }, "could not recover interrupted runs; will try again");
      return 0;
    });
  let recovery: NodeJS.Timeout | null = null;

  return {
    handlerDeps,
    async start() {
      const recovered = await recover();
      if (recovered > 0) log.warn({ recovered }, "runs interrupted by a dead process were queued again");
      await queue.start();
      recovery = setInterval(() => void recover(), leaseMs / 2);
      recovery.unref();
    },
    async stop() {
      if (recovery) clearInterval(recovery);
      await queue.stop();
      await store.close();
    },
  };
}

async function fetchAppIdentity(appClient: () => Promise<GitHubClient>, appId: number): Promise<{ slug: string }> {
  try {
    const { data } = await (await appClient()).rest.apps.getAuthenticated();
    if (!data?.slug) throw new Error("GET /app returned no slug");
    return { slug: data.slug };
  } catch (error) {
    throw new Error(
      `Could not read the GitHub App (GET /app) with APP_ID=${appId}: ${(error as Error).message}. Check APP_ID, PRIVATE_KEY and, for GitHub Enterprise, GHE_HOST.`,
      { cause: error },
    );
  }
}
