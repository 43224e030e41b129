import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { Probot, run as runProbotSetup, Server } from "probot";
import { createApp } from "./app.ts";
import { ConfigError, createEnvLookup, needsAppRegistration, readConfig } from "./config/env.ts";
import { createDependencies } from "./create-dependencies.ts";
import { BotOctokit } from "./github/bot-octokit.ts";
import { deploymentSecrets } from "./util/deployment-secrets.ts";
import { createLogger } from "./util/logger.ts";
import { processSecrets } from "./util/secret-registry.ts";
import { createHealthHandler } from "./web/health.ts";
import { createWebHandler } from "./web/web-handler.ts";
import { guardWebhookBodies } from "./web/webhook-body-limit.ts";
import { createWebhookGauge, WEBHOOK_PATH } from "./web/webhook-gauge.ts";

/**
 * Process entry. 1. environment → config  2. logger, store, sandboxes, workers  3. Probot's HTTP
 * server with our handlers  4. recover interrupted runs, start workers  5. ready.
 */

async function main(): Promise<void> {
  // Like Probot's own `run`, a .env file in the working directory fills in unset variables.
  if (existsSync(".env")) process.loadEnvFile(".env");

  if (needsAppRegistration(process.env)) {
    // No app yet: Probot's registration flow (from app.yml) at http://localhost:3000 creates one
    // and writes APP_ID, PRIVATE_KEY and WEBHOOK_SECRET to .env. Restart afterwards.
    await runProbotSetup(() => {});
    return;
  }

  let config;
  try {
    config = readConfig(process.env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  }

  for (const secret of deploymentSecrets(config)) processSecrets.add(secret);
  const log = await createLogger({ level: config.LOG_LEVEL, format: config.logFormat });
  let ready = false;
  const server = new Server({
    Probot: Probot.defaults({
      appId: config.APP_ID,
      privateKey: config.privateKey,
      secret: config.WEBHOOK_SECRET,
      baseUrl: config.apiBaseUrl,
      log,
      Octokit: BotOctokit,
    }),
    port: config.PORT,
    ...(config.HOST ? { host: config.HOST } : {}),
    ...(config.WEBHOOK_PROXY_URL ? { webhookProxy: config.WEBHOOK_PROXY_URL } : {}),
    log,
  });
  server.addHandler(createHealthHandler(() => ready));

  const webhooks = createWebhookGauge();
  let deps: Awaited<ReturnType<typeof createDependencies>> | undefined;
  await server.load(async (app) => {
    deps = await createDependencies({ app, webhooks, config, log, claudeCommand: config.SANDBOX_PROVIDER === "local" ? resolveCommand(config.CLAUDE_COMMAND) : config.CLAUDE_COMMAND });
    // ROLE=worker executes runs only; its port must not receive webhooks (nothing would handle them).
    if (config.ROLE !== "worker") await createApp(deps.intakeDeps)(app, { cwd: process.cwd(), addHandler: (h) => server.addHandler(h) });
  });
  if (!deps) throw new Error("the application did not initialise");
  const started = deps;
  // Dashboard, run API, /metrics, /readyz (src/web); subscribed to run events before workers start.
  // The model gateway (on unless MODEL_GATEWAY=off or unreachable) answers /model/* before anything else sees it.
  const gateway = started.modelGateway;
  if (gateway) server.addHandler((req, res) => gateway.handle(req, res));
  const web = createWebHandler({ deps: started, config, log, lookupEnv: createEnvLookup(process.env), isReady: () => ready, registerSecret: (secret, ttlMs) => processSecrets.add(secret, ttlMs) });
  server.addHandler((req, res) => web.handle(req, res));

  await started.start();
  const httpServer = await server.start();
  // Before Probot reads or verifies a delivery: no body over GitHub's 25 MB, no odd event names.
  guardWebhookBodies(httpServer, { path: WEBHOOK_PATH, log, secret: config.WEBHOOK_SECRET });
  webhooks.track(httpServer, WEBHOOK_PATH);
  ready = true;
  log.info({ trigger: started.triggerPhrase, sandbox: config.SANDBOX_PROVIDER }, "claude-sandbox-bot is ready");

  const shutdown = async (signal: string) => {
    log.info({ signal }, "shutting down: no new runs; waiting for running ones");
    ready = false;
    web.close();
    // The HTTP server goes last: the model gateway on it serves the runs until they end or are handed back.
    await started.stop(config.SHUTDOWN_GRACE_SECONDS * 1000, () => server.stop().catch(() => undefined));
    process.exit(0);
  };
  process.once("SIGTERM", () => void shutdown("SIGTERM"));
  process.once("SIGINT", () => void shutdown("SIGINT"));
}

/** With the local provider, a relative CLAUDE_COMMAND (node_modules/.bin/claude) means the bot's directory. */
function resolveCommand(command: string): string {
  return command.includes("/") && !command.startsWith("/") ? resolve(command) : command;
}

main().catch((error: unknown) => {
  // A ConfigError is the operator's to fix and says how: its message alone, no stack trace.
  const detail = error instanceof ConfigError ? error.message : error instanceof Error ? (error.stack ?? error.message) : String(error);
  process.stderr.write(`claude-sandbox-bot failed to start: ${detail}\n`);
  process.exit(1);
});
