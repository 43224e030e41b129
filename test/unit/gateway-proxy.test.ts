import http from "node:http";
import type { AddressInfo } from "node:net";
import { pino } from "pino";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { budgetRefusal, createModelGateway, SERVED_PATHS, type Admission, type GatewayUsage, type ModelGatewayOptions } from "../../src/gateway/proxy.ts";
import { RUN_TOKEN_PREFIX } from "../../src/gateway/run-tokens.ts";
import type { RunGrant } from "../../src/store/gateway-ledger.ts";
import { testTokens } from "../support/gateway-tokens.ts";
import { formatSse, makeCheckout, messageToSseEvents, buildMessage, removeDirs, runClaude, startFakeAnthropic, tempDir, text, bash } from "../support/fake-anthropic/index.ts";
import { sequence } from "../support/fake-anthropic/script.ts";
import type { FakeAnthropic } from "../support/fake-anthropic/types.ts";

const REAL_KEY = "sk-ant-api03-the-deployments-real-key";
const log = pino({ level: "silent" });

async function listen(handler: http.RequestListener): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer(handler);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}

/** The bot's server stand-in: the gateway handler, 404 for anything it does not take. */
async function hostGateway(opts: Partial<ModelGatewayOptions> & Pick<ModelGatewayOptions, "upstreamBaseUrl" | "tokens">) {
  const usage: Array<{ runId: string; usage: GatewayUsage }> = [];
  const handle = createModelGateway({
    credential: { kind: "api-key", value: REAL_KEY },
    log,
    onUsage: (grant, u) => usage.push({ runId: grant.runId, usage: u }),
    ...opts,
  });
  const server = await listen((req, res) => {
    handle(req, res).then((handled) => {
      if (!handled) {
        res.statusCode = 404;
        res.end("not the gateway");
      }
    });
  });
  return { ...server, gateway: `${server.url}/model`, usage };
}

/** A response body as JSON (the test reads what it expects; unknown shapes fail the assertions). */
async function json(res: Response): Promise<any> {
  return res.json();
}

function post(url: string, headers: Record<string, string>, body: unknown): Promise<Response> {
  return fetch(url, { method: "POST", headers: { "content-type": "application/json", "anthropic-version": "2023-06-01", ...headers }, body: JSON.stringify(body) });
}

const MESSAGE = { model: "claude-opus-5-5", max_tokens: 100, messages: [{ role: "user", content: "hello" }] };

describe("model gateway: refusals before any upstream call", () => {
  let fake: FakeAnthropic;
  let host: Awaited<ReturnType<typeof hostGateway>>;
  const clock = { t: 1_000_000 };
  const tokens = testTokens({ now: () => clock.t, graceMs: 5_000 });

  beforeAll(async () => {
    fake = await startFakeAnthropic({ apiKey: REAL_KEY });
    host = await hostGateway({ upstreamBaseUrl: fake.url, tokens, maxBodyBytes: 4096 });
  });
  afterAll(async () => {
    await host.close();
    await fake.close();
  });
  beforeEach(() => {
    fake.requests.length = 0;
  });

  async function expectAuthError(headers: Record<string, string>) {
    const res = await post(`${host.gateway}/v1/messages`, headers, MESSAGE);
    expect(res.status).toBe(401);
    const body = await json(res);
    expect(body).toMatchObject({ type: "error", error: { type: "authentication_error" } });
    expect(body.error.message).toMatch(/token/);
    expect(fake.requests).toHaveLength(0);
  }

  it("401 with no credential", () => expectAuthError({}));
  it("401 with the deployment's real key itself (the gateway only takes run tokens)", () => expectAuthError({ "x-api-key": REAL_KEY }));
  it("401 with a well-formed token that was never issued", () =>
    expectAuthError({ "x-api-key": `${RUN_TOKEN_PREFIX}${Buffer.alloc(32, 7).toString("base64url")}` }));

  it("401 with a revoked token, by x-api-key and by bearer", async () => {
    const token = await tokens.issue("run-revoked");
    await tokens.revoke("run-revoked");
    await expectAuthError({ "x-api-key": token });
    await expectAuthError({ authorization: `Bearer ${token}` });
  });

  it("401 with another, ended run's token once its grace is over; a live run's token still works", async () => {
    const ended = await tokens.issue("run-ended");
    const live = await tokens.issue("run-live");
    await tokens.expire("run-ended");
    clock.t += 5_000;
    await expectAuthError({ "x-api-key": ended });
    const res = await post(`${host.gateway}/v1/messages`, { "x-api-key": live }, MESSAGE);
    expect(res.status).toBe(200);
  });

  it("404 for paths it does not serve, 405 for other methods, even with a live token", async () => {
    const token = await tokens.issue("run-paths");
    for (const path of ["/v1/complete", "/v1/models", "/v1/messages/batches", "/api/oauth/profile", "/", "/v1/messages/../files"]) {
      const res = await post(`${host.gateway}${path}`, { "x-api-key": token }, MESSAGE);
      expect([404, 405], path).toContain(res.status);
      expect((await json(res)).type).toBe("error");
    }
    const get = await fetch(`${host.gateway}/v1/messages`, { headers: { "x-api-key": token } });
    expect(get.status).toBe(405);
    expect(fake.requests).toHaveLength(0);
    // Paths outside the mount are not the gateway's at all.
    expect((await fetch(`${host.url}/modelx/v1/messages`, { method: "POST" })).status).toBe(404);
  });

  it("413 for a body over the cap", async () => {
    const token = await tokens.issue("run-big");
    const res = await post(`${host.gateway}/v1/messages`, { "x-api-key": token }, { ...MESSAGE, messages: [{ role: "user", content: "x".repeat(5000) }] });
    expect(res.status).toBe(413);
    expect((await json(res)).error.type).toBe("request_too_large");
    expect(fake.requests).toHaveLength(0);
  });
});

describe("model gateway: forwarding", () => {
  let fake: FakeAnthropic;
  const tokens = testTokens();
  beforeAll(async () => {
    fake = await startFakeAnthropic({ apiKey: REAL_KEY });
  });
  afterAll(() => fake.close());
  beforeEach(() => {
    fake.requests.length = 0;
  });

  it("sends the real key upstream, passes anthropic headers and the query, never the run token, and meters", async () => {
    const host = await hostGateway({ upstreamBaseUrl: fake.url, tokens });
    try {
      const token = await tokens.issue("run-42");
      const res = await post(`${host.gateway}/v1/messages?beta=true`, { "x-api-key": token, "anthropic-beta": "fine-grained-tool-streaming-2025-05-14" }, MESSAGE);
      expect(res.status).toBe(200);
      const message = await json(res);
      const [up] = fake.requests;
      expect(up!.url).toBe("/v1/messages?beta=true");
      expect(up!.headers["x-api-key"]).toBe(REAL_KEY);
      expect(up!.headers["anthropic-version"]).toBe("2023-06-01");
      expect(up!.headers["anthropic-beta"]).toBe("fine-grained-tool-streaming-2025-05-14");
      expect(JSON.stringify(up!.headers)).not.toContain(token);
      expect(host.usage).toEqual([
        {
          runId: "run-42",
          usage: expect.objectContaining({
            path: "/v1/messages",
            status: 200,
            model: "claude-opus-5-5",
            inputTokens: message.usage.input_tokens,
            outputTokens: message.usage.output_tokens,
            complete: true,
            aborted: false,
          }),
        },
      ]);
      // count_tokens is served too and is not metered (it costs nothing).
      const count = await post(`${host.gateway}/v1/messages/count_tokens`, { authorization: `Bearer ${token}` }, MESSAGE);
      expect(count.status).toBe(200);
      expect((await json(count)).input_tokens).toBeGreaterThan(0);
      expect(host.usage).toHaveLength(1);
    } finally {
      await host.close();
    }
  });

  it("uses Authorization: Bearer upstream for an OAuth credential", async () => {
    const host = await hostGateway({ upstreamBaseUrl: fake.url, tokens, credential: { kind: "oauth", value: REAL_KEY } });
    try {
      const res = await post(`${host.gateway}/v1/messages`, { "x-api-key": await tokens.issue("run-oauth") }, MESSAGE);
      expect(res.status).toBe(200);
      expect(fake.requests[0]!.headers.authorization).toBe(`Bearer ${REAL_KEY}`);
      expect(fake.requests[0]!.headers["x-api-key"]).toBeUndefined();
    } finally {
      await host.close();
    }
  });

  it("admit() refusing answers with its error and makes no upstream call", async () => {
    const seen: string[] = [];
    const admit = (grant: RunGrant): Admission => {
      seen.push(grant.runId);
      return budgetRefusal("Run budget reached: maxCostUsd 0.05 USD.");
    };
    const host = await hostGateway({ upstreamBaseUrl: fake.url, tokens, admit });
    try {
      const res = await post(`${host.gateway}/v1/messages`, { "x-api-key": await tokens.issue("run-capped") }, MESSAGE);
      expect(res.status).toBe(402);
      expect(res.headers.get("x-should-retry")).toBe("false");
      expect(await json(res)).toEqual({ type: "error", error: { type: "billing_error", message: "Run budget reached: maxCostUsd 0.05 USD." } });
      expect(seen).toEqual(["run-capped"]);
      expect(fake.requests).toHaveLength(0);
    } finally {
      await host.close();
    }
  });
});

describe("model gateway: streaming is incremental", () => {
  it("the client has the first event before the upstream sends the last", async () => {
    let releaseRest!: () => void;
    const clientSawFirst = new Promise<void>((r) => (releaseRest = r));
    let lastSentAt = 0;
    const message = buildMessage({ content: [{ type: "text", text: "streamed" }] }, "claude-sonnet-5", { messages: [] });
    const events = messageToSseEvents(message).map(formatSse);
    // A tiny upstream that sends message_start, then holds the stream until the test says so.
    const upstream = await listen(async (req, res) => {
      req.resume();
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.write(events[0]);
      await Promise.race([clientSawFirst, new Promise((r) => setTimeout(r, 5_000))]);
      for (const e of events.slice(1)) res.write(e);
      lastSentAt = Date.now();
      res.end();
    });
    const tokens = testTokens();
    const host = await hostGateway({ upstreamBaseUrl: upstream.url, tokens });
    try {
      const res = await post(`${host.gateway}/v1/messages`, { "x-api-key": await tokens.issue("run-stream") }, { ...MESSAGE, stream: true });
      const reader = res.body!.getReader();
      const firstChunk = new TextDecoder().decode((await reader.read()).value);
      const firstAt = Date.now();
      expect(firstChunk).toContain("event: message_start");
      expect(lastSentAt).toBe(0); // the upstream has not sent the rest yet
      releaseRest();
      let rest = "";
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        rest += new TextDecoder().decode(value);
      }
      expect(rest).toContain("event: message_stop");
      expect(firstAt).toBeLessThanOrEqual(lastSentAt);
      expect(host.usage[0]?.usage).toMatchObject({ model: "claude-sonnet-5", outputTokens: message.usage.output_tokens, complete: true });
    } finally {
      await host.close();
      await upstream.close();
    }
  });
});

describe("model gateway: a client that goes away", () => {
  it("closes the upstream stream and reports the request as aborted with what it saw", async () => {
    let upstreamClosed!: () => void;
    const closed = new Promise<void>((r) => (upstreamClosed = r));
    const message = buildMessage({ content: [{ type: "text", text: "never finished" }] }, "claude-opus-5", { messages: [] });
    const upstream = await listen((req, res) => {
      req.resume();
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.write(formatSse(messageToSseEvents(message)[0]!));
      res.on("close", () => upstreamClosed()); // held open until the gateway lets go
    });
    const tokens = testTokens();
    const host = await hostGateway({ upstreamBaseUrl: upstream.url, tokens });
    try {
      const res = await post(`${host.gateway}/v1/messages`, { "x-api-key": await tokens.issue("run-gone") }, { ...MESSAGE, stream: true });
      const reader = res.body!.getReader();
      await reader.read();
      await reader.cancel(); // the client goes away mid-stream
      await Promise.race([closed, new Promise((_, reject) => setTimeout(() => reject(new Error("upstream stream was not closed")), 5_000))]);
      await new Promise((r) => setTimeout(r, 50));
      expect(host.usage.map((u) => u.runId)).toEqual(["run-gone"]);
      expect(host.usage[0]!.usage).toMatchObject({ aborted: true, complete: false, model: "claude-opus-5", inputTokens: message.usage.input_tokens });
    } finally {
      await host.close();
      await upstream.close();
    }
  });
});

describe("model gateway: the real Claude CLI through it", () => {
  let fake: FakeAnthropic;
  let cwd: string;
  let home: string;
  beforeAll(async () => {
    fake = await startFakeAnthropic({ apiKey: REAL_KEY });
    cwd = makeCheckout("gateway-repo-");
    home = tempDir("gateway-home-");
  });
  afterAll(async () => {
    await fake.close();
    removeDirs(cwd, home);
  });

  it("serves every path the pinned CLI calls on its model API (recorded against the model API directly)", async () => {
    fake.requests.length = 0;
    fake.setScript(sequence(bash("echo hi"), text("All done.")));
    const r = await runClaude({ baseUrl: fake.url, apiKey: REAL_KEY, cwd, home, prompt: "say hi", timeoutMs: 90_000 });
    expect(r.result?.is_error, r.stderr).toBe(false);
    const called = new Set(fake.requests.map((q) => q.path.replace(/\?.*$/, "").replace(/\/+$/, "")));
    expect(called.size).toBeGreaterThan(0);
    for (const path of called) expect(SERVED_PATHS.has(path), path).toBe(true);
  }, 120_000);

  it("completes a prompt with a tool call holding only the run token; upstream sees only the real key", async () => {
    fake.requests.length = 0;
    fake.setScript(sequence(bash("echo key=$ANTHROPIC_API_KEY"), text("All done.")));
    const tokens = testTokens();
    const host = await hostGateway({ upstreamBaseUrl: fake.url, tokens });
    try {
      const token = await tokens.issue("run-cli");
      const r = await runClaude({ baseUrl: host.gateway, apiKey: token, cwd, home, prompt: "print the key", timeoutMs: 90_000 });
      expect(r.result?.is_error, r.stderr).toBe(false);
      expect(r.result?.result).toContain("All done.");
      // The agent's own environment has the run token, not the deployment's key.
      expect(r.stdout).toContain(`key=${token}`);
      expect(r.stdout).not.toContain(REAL_KEY);
      const agent = fake.agentRequests();
      expect(agent.length).toBe(2);
      for (const req of fake.requests) {
        expect(req.headers["x-api-key"]).toBe(REAL_KEY);
        expect(JSON.stringify(req.headers)).not.toContain(token);
      }
      const metered = host.usage.filter((u) => u.runId === "run-cli");
      expect(metered.length).toBe(fake.requests.filter((q) => q.path === "/v1/messages").length);
      const cliCost = r.result?.total_cost_usd as number;
      const ours = metered.reduce((sum, u) => sum + u.usage.usd, 0);
      expect(ours).toBeGreaterThan(0);
      expect(Math.abs(ours - cliCost) / cliCost).toBeLessThan(0.05);
    } finally {
      await host.close();
    }
  }, 120_000);

  it("a budget refusal (402 billing_error) stops the CLI after one request, with its retries on", async () => {
    fake.requests.length = 0;
    fake.setScript(sequence(text("should never be asked")));
    const tokens = testTokens();
    let admits = 0;
    const host = await hostGateway({
      upstreamBaseUrl: fake.url,
      tokens,
      admit: () => {
        admits++;
        return budgetRefusal("Run budget reached: this run has spent its maxCostUsd of 0.05 USD.");
      },
    });
    try {
      const r = await runClaude({
        baseUrl: host.gateway,
        apiKey: await tokens.issue("run-over"),
        cwd,
        home,
        prompt: "hi",
        env: { CLAUDE_CODE_MAX_RETRIES: undefined },
        timeoutMs: 90_000,
      });
      expect(r.timedOut).toBe(false);
      expect(r.result?.is_error).toBe(true);
      expect(String(r.result?.result)).toContain("Run budget reached");
      expect(admits).toBe(1);
      expect(fake.requests).toHaveLength(0);
    } finally {
      await host.close();
    }
  }, 120_000);
});
