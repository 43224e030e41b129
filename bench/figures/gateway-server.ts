/**
 * The gateway figure's server process (forked by gateway.ts, so its RSS is the gateway's alone):
 * the real model gateway service mounted on Probot's HTTP server the way src/main.ts mounts it
 * (Probot's request logger and middleware first, then the gateway's `handle`), the bot's own
 * logger (JSON, info, secret redaction), the embedded SQLite store as its ledger (tokens and usage
 * rows, as with the default DATABASE_URL), and one run token from openRun() with a spending cap
 * (so every request runs the cap check, as a run with maxCostUsd does).
 *
 * Env: GATEWAY_UPSTREAM (the scripted model's URL), GATEWAY_UPSTREAM_KEY (the deployment's key),
 * GATEWAY_PORT (a free port: Probot's Server takes 0 as "3000"), GATEWAY_DB (the SQLite file), GATEWAY_MOUNT=bare for the handler
 * alone on a plain node:http server (no Probot request log or middleware: what they cost),
 * GATEWAY_MOUNT=pipe for no gateway at all: a bare relay that swaps the key and pipes both ways
 * (the floor: what one more process and hop cost on this machine).
 * IPC: sends { type: "ready", url, token } once listening; answers { type: "usage" } with the
 * run's totals as the gateway metered them. Exits when the parent goes away.
 */
import { generateKeyPairSync } from "node:crypto";
import http from "node:http";
import type { Logger } from "pino";
import { Probot, Server } from "probot";
import { createModelGatewayService } from "../../src/gateway/model-gateway.ts";
import { openStore } from "../../src/store/open-store.ts";
import { createLogger } from "../../src/util/logger.ts";
import { processSecrets } from "../../src/util/secret-registry.ts";

const GRANT = { runId: "9001", installationId: 1, repoFullName: "bench/gateway", capUsd: 1000, capReason: "the bench's cap (1000 USD)" };

async function main(): Promise<void> {
  const upstream = process.env.GATEWAY_UPSTREAM;
  const key = process.env.GATEWAY_UPSTREAM_KEY;
  const port = Number(process.env.GATEWAY_PORT);
  const db = process.env.GATEWAY_DB;
  if (!upstream || !key || !db || !Number.isInteger(port) || port <= 0) throw new Error("GATEWAY_UPSTREAM, GATEWAY_UPSTREAM_KEY, GATEWAY_DB and GATEWAY_PORT are required");
  // As main.ts does: the deployment's key is a known secret, so every log line is scanned for it.
  processSecrets.add(key);
  const log = await createLogger({ level: "info", format: "json" });
  const publicBaseUrl = `http://127.0.0.1:${port}/model`;
  const store = await openStore(`sqlite:${db}`, log);
  const gateway = createModelGatewayService({ publicBaseUrl, upstreamBaseUrl: upstream, credential: { kind: "api-key", value: key }, ledger: store.gateway, log });
  if (process.env.GATEWAY_MOUNT === "pipe") await listenPipe(port, upstream, key);
  else if (process.env.GATEWAY_MOUNT === "bare") await listenBare(port, gateway.handle);
  else await listenProbot(port, log, gateway.handle);
  const { env } = await gateway.openRun(GRANT);
  process.on("message", (m: { type?: string }) => {
    if (m?.type === "usage") void gateway.runReport(GRANT.runId).then((r) => process.send?.({ type: "usage", usage: r.usage }));
  });
  process.on("disconnect", () => process.exit(0));
  process.send?.({ type: "ready", url: env.ANTHROPIC_BASE_URL, token: env.ANTHROPIC_API_KEY });
}

type Handle = (req: http.IncomingMessage, res: http.ServerResponse) => Promise<boolean>;

/** As src/main.ts: Probot's Server (its pino-http request log, its middleware, then ours). */
async function listenProbot(port: number, log: Logger, handle: Handle): Promise<void> {
  // Probot wants an app key to build its middleware; it is never used (no webhook arrives here).
  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048, privateKeyEncoding: { type: "pkcs1", format: "pem" }, publicKeyEncoding: { type: "spki", format: "pem" } });
  const server = new Server({ Probot: Probot.defaults({ appId: 1, privateKey, secret: "bench", log }), port, host: "127.0.0.1", log });
  server.addHandler(handle);
  await server.start();
}

async function listenBare(port: number, handle: Handle): Promise<void> {
  const server = http.createServer((req, res) => {
    void handle(req, res).then((handled) => {
      if (!handled) res.writeHead(404).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
}

/** No checks, no metering, no body buffering: headers through with the key swapped, both bodies piped. */
async function listenPipe(port: number, upstream: string, key: string): Promise<void> {
  const base = new URL(upstream);
  const server = http.createServer((req, res) => {
    const path = (req.url ?? "/").replace(/^\/model/, "");
    const headers = { ...req.headers, host: base.host, "x-api-key": key };
    const up = http.request({ hostname: base.hostname, port: base.port, method: req.method, path, headers }, (upRes) => {
      res.writeHead(upRes.statusCode ?? 502, upRes.headers);
      res.flushHeaders();
      upRes.pipe(res);
    });
    up.on("error", () => res.destroy());
    req.pipe(up);
  });
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
}

main().catch((error: unknown) => {
  process.stderr.write(`gateway-server failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
