import http from "node:http";
import type { AddressInfo } from "node:net";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createModelGatewayService, gatewaySwitch, type ModelGatewayService } from "../../src/gateway/model-gateway.ts";
import { createRunTokens } from "../../src/gateway/run-tokens.ts";
import { openSqliteStore } from "../../src/store/sqlite-store.ts";
import { grantFor } from "../support/gateway-tokens.ts";
import { bash, makeCheckout, removeDirs, runClaude, startFakeAnthropic, tempDir, text } from "../support/fake-anthropic/index.ts";
import { sequence } from "../support/fake-anthropic/script.ts";
import type { FakeAnthropic } from "../support/fake-anthropic/types.ts";

const REAL_KEY = "sk-ant-api03-deployment-key-for-service-test";

/** A server whose handler is the service made from its own URL (the sandbox needs that URL). */
async function host(make: (url: string) => ModelGatewayService) {
  let service!: ModelGatewayService;
  const server = http.createServer((req, res) => {
    service.handle(req, res).then((handled) => {
      if (!handled) res.writeHead(404).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  service = make(`http://127.0.0.1:${port}/model`);
  return { service, url: `http://127.0.0.1:${port}`, close: () => new Promise<void>((r) => (server.close(() => r()), server.closeAllConnections())) };
}

describe("model gateway service with the real Claude CLI", () => {
  let fake: FakeAnthropic;
  let cwd: string;
  let home: string;
  beforeAll(async () => {
    fake = await startFakeAnthropic({ apiKey: REAL_KEY });
    cwd = makeCheckout("gateway-svc-repo-");
    home = tempDir("gateway-svc-home-");
  });
  afterAll(async () => {
    await fake.close();
    removeDirs(cwd, home);
  });

  it("meters a run, cuts it off at its cap with a budget refusal, and its token dies with the run", async () => {
    fake.requests.length = 0;
    fake.setScript(sequence(bash("echo one"), bash("echo two"), text("finished")));
    const clock = { t: 0 };
    const store = openSqliteStore(":memory:");
    // Tiny cap: the first model request (≈ 0.09 USD of claude-opus-5-5 input) already exceeds it.
    const server = await host((publicBaseUrl) =>
      createModelGatewayService({
        publicBaseUrl,
        credential: { kind: "api-key", value: REAL_KEY },
        log: pino({ level: "silent" }),
        upstreamBaseUrl: fake.url,
        ledger: store.gateway,
        tokens: createRunTokens(store.gateway, { now: () => clock.t, graceMs: 1_000 }),
      }),
    );
    const svc = server.service;
    try {
      const { env } = await svc.openRun(grantFor("run-capped", { capUsd: 0.0001, capReason: "the repository's maxCostUsd" }));
      expect(env.ANTHROPIC_BASE_URL).toBe(`${server.url}/model`);
      expect(env.ANTHROPIC_API_KEY).not.toContain(REAL_KEY);
      const r = await runClaude({ baseUrl: env.ANTHROPIC_BASE_URL, apiKey: env.ANTHROPIC_API_KEY, cwd, home, prompt: "run two commands", env: { CLAUDE_CODE_MAX_RETRIES: undefined }, timeoutMs: 90_000 });
      expect(r.timedOut).toBe(false);
      expect(r.result?.is_error).toBe(true);
      expect(String(r.result?.result)).toContain("Run budget reached");
      const report = await svc.runReport("run-capped");
      const totals = report.usage;
      expect(totals.requests).toBe(1); // one answered upstream call, the next refused at the gateway
      expect(fake.agentRequests()).toHaveLength(1);
      expect(totals.usd).toBeGreaterThan(0.0001);
      expect(totals.unpricedRequests).toBe(0);
      expect(totals.inputTokens).toBeGreaterThan(0);
      expect(report.refused).toBe("the repository's maxCostUsd");
      expect(String(r.result?.result)).toContain("the repository's maxCostUsd");

      // After the run: within the grace the token still works, after it it gets 401.
      await svc.closeRun("run-capped", "ended");
      const countTokens = (key: string) =>
        fetch(`${server.url}/model/v1/messages/count_tokens`, {
          method: "POST",
          headers: { "x-api-key": key, "content-type": "application/json" },
          body: JSON.stringify({ model: "claude-opus-5-5", messages: [{ role: "user", content: "hi" }] }),
        });
      clock.t += 999;
      expect((await countTokens(env.ANTHROPIC_API_KEY)).status).toBe(200);
      clock.t += 1;
      expect((await countTokens(env.ANTHROPIC_API_KEY)).status).toBe(401);
      const before = fake.requests.length;

      const other = await svc.openRun(grantFor("run-cancelled"));
      await svc.closeRun("run-cancelled", "revoked");
      expect((await countTokens(other.env.ANTHROPIC_API_KEY)).status).toBe(401);
      expect(fake.requests).toHaveLength(before); // the 401s made no upstream call
    } finally {
      await server.close();
    }
  }, 120_000);
});

describe("gateway switch", () => {
  it("is on with the local provider (loopback) and with PUBLIC_URL; off when told or when E2B has no PUBLIC_URL", () => {
    expect(gatewaySwitch({ provider: "local", port: 3000 })).toEqual({ on: true, publicBaseUrl: "http://127.0.0.1:3000/model" });
    expect(gatewaySwitch({ provider: "e2b", publicUrl: "https://bot.example.com/", port: 3000 })).toEqual({ on: true, publicBaseUrl: "https://bot.example.com/model" });
    const off = gatewaySwitch({ provider: "local", modelGateway: "off", port: 3000 });
    expect(off.on).toBe(false);
    expect(!off.on && off.reason).toMatch(/key is in every sandbox/);
    const noUrl = gatewaySwitch({ provider: "e2b", port: 3000 });
    expect(!noUrl.on && noUrl.reason).toMatch(/PUBLIC_URL/);
  });
});

describe("model gateway service: concurrent model requests per installation", () => {
  it("refuses an installation's request over its limit with a retryable 429, others' and later ones go through", async () => {
    // A model that holds each stream open a while, so two requests overlap.
    const fake = await startFakeAnthropic({ apiKey: REAL_KEY, script: () => ({ content: [{ type: "text", text: "slow answer" }], eventGapMs: 150 }) });
    const store = openSqliteStore(":memory:");
    const server = await host((publicBaseUrl) =>
      createModelGatewayService({ publicBaseUrl, credential: { kind: "api-key", value: REAL_KEY }, log: pino({ level: "silent" }), upstreamBaseUrl: fake.url, ledger: store.gateway, maxConcurrentPerInstallation: 1 }),
    );
    const svc = server.service;
    const ask = (key: string) =>
      fetch(`${server.url}/model/v1/messages`, {
        method: "POST",
        headers: { "x-api-key": key, "content-type": "application/json", "anthropic-version": "2023-06-01" },
        body: JSON.stringify({ model: "claude-sonnet-4-5", max_tokens: 10, stream: true, messages: [{ role: "user", content: "hi" }], tools: [{ name: "Bash", description: "x", input_schema: { type: "object" } }] }),
      });
    try {
      const a = (await svc.openRun(grantFor("run-a"))).env.ANTHROPIC_API_KEY;
      const b = (await svc.openRun(grantFor("run-b"))).env.ANTHROPIC_API_KEY;
      const other = (await svc.openRun({ ...grantFor("run-c"), installationId: 99 })).env.ANTHROPIC_API_KEY;
      const first = await ask(a);
      expect(first.status).toBe(200);
      const over = await ask(b);
      expect(over.status).toBe(429);
      expect(over.headers.get("retry-after")).toBe("1");
      expect(((await over.json()) as { error: { type: string; message: string } }).error).toMatchObject({ type: "rate_limit_error", message: expect.stringContaining("MODEL_GATEWAY_MAX_CONCURRENT_PER_INSTALLATION=1") });
      expect((await ask(other)).status).toBe(200);
      await first.text(); // the first stream ends: its slot is free again
      const again = await ask(b);
      expect(again.status).toBe(200);
      await again.text();
    } finally {
      await server.close();
      await fake.close();
      await store.close();
    }
  }, 60_000);
});
