import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BotOctokit } from "../../src/github/bot-octokit.ts";
import { createCached } from "../../src/metrics/cached.ts";
import { observeGitHubCall, toGitHubCall } from "../../src/metrics/github-calls.ts";
import { createMetrics } from "../../src/metrics/metrics.ts";
import { runEventUpdates } from "../../src/metrics/run-metrics.ts";
import { createRunEvents, type RunEvent } from "../../src/runs/run-events.ts";
import type { SandboxSummary } from "../../src/sandbox/types.ts";
import type { RunRecord } from "../../src/store/types.ts";

const log = pino({ level: "silent" });
const finished = (overrides: Partial<Extract<RunEvent, { type: "finished" }>> = {}): RunEvent => ({
  type: "finished",
  runId: 1,
  repo: "acme/widgets",
  trigger: "issue_comment",
  outcome: "done",
  errorCategory: null,
  durationMs: 90_000,
  phaseMs: { publish: 2_000, sandbox: 1_500, agent: 80_000 },
  claudeCostUsd: 0.5,
  sandboxCostUsd: 0.01,
  at: 0,
  ...overrides,
});

describe("run events → metric updates", () => {
  it("a finished run: outcome × trigger, run and phase durations in seconds (phase order), both costs", () => {
    expect(runEventUpdates(finished())).toEqual([
      { metric: "runs_finished", labels: { outcome: "done", trigger: "issue_comment" }, value: 1 },
      { metric: "run_seconds", labels: { outcome: "done" }, value: 90 },
      { metric: "phase_seconds", labels: { phase: "sandbox" }, value: 1.5 },
      { metric: "phase_seconds", labels: { phase: "agent" }, value: 80 },
      { metric: "phase_seconds", labels: { phase: "publish" }, value: 2 },
      { metric: "cost_usd", labels: { kind: "claude" }, value: 0.5 },
      { metric: "cost_usd", labels: { kind: "sandbox" }, value: 0.01 },
    ]);
  });

  it("no cost, no cost update; started counts by trigger; phases and progress are not metrics", () => {
    expect(runEventUpdates(finished({ outcome: "failed", claudeCostUsd: 0, sandboxCostUsd: 0, phaseMs: {} })).map((u) => u.metric)).toEqual(["runs_finished", "run_seconds"]);
    expect(runEventUpdates({ type: "started", runId: 1, threadKey: "k", repo: "r", trigger: "api", at: 0 })).toEqual([{ metric: "runs_started", labels: { trigger: "api" }, value: 1 }]);
    expect(runEventUpdates({ type: "phase", runId: 1, phase: "agent", at: 0 })).toEqual([]);
    expect(runEventUpdates({ type: "progress", runId: 1, step: null, todos: [], turns: 1, at: 0 })).toEqual([]);
  });
});

describe("GitHub calls", () => {
  it("reads method, status and the rate-limit headers", () => {
    expect(toGitHubCall("post", 201, { "x-ratelimit-remaining": "4999", "x-ratelimit-resource": "core" })).toEqual({ method: "POST", status: 201, rateLimitRemaining: 4999, rateLimitResource: "core" });
    expect(toGitHubCall(undefined, undefined, undefined)).toEqual({ method: "GET", status: 0, rateLimitRemaining: null, rateLimitResource: null });
  });
});

describe("the metrics registry", () => {
  let listed = 0;
  let queued = 3;
  let received = 5;
  let sandboxes: SandboxSummary[] = [];
  let now = 0;
  const events = createRunEvents();
  const metrics = createMetrics({
    store: { listRuns: async (filter) => Array.from({ length: filter.states?.[0] === "queued" ? queued : filter.states?.[0] === "received" ? received : 0 }, () => ({}) as RunRecord) },
    queue: { active: 2 },
    sandboxes: {
      list: async () => {
        listed += 1;
        return sandboxes;
      },
    },
    events,
    log,
    sandboxCacheMs: 30_000,
    now: () => now,
  });
  afterAll(() => metrics.stop());
  const text = () => metrics.registry.metrics();

  it("counts finished runs, observes phases, adds costs", async () => {
    events.emit(finished());
    events.emit(finished({ outcome: "failed", trigger: "api", claudeCostUsd: 0.25, sandboxCostUsd: 0 }));
    const out = await text();
    expect(out).toMatch(/^claude_sandbox_bot_runs_total\{outcome="done",trigger="issue_comment"\} 1$/m);
    expect(out).toMatch(/^claude_sandbox_bot_runs_total\{outcome="failed",trigger="api"\} 1$/m);
    expect(out).toMatch(/^claude_sandbox_bot_phase_duration_seconds_count\{phase="agent"\} 2$/m);
    expect(out).toMatch(/^claude_sandbox_bot_phase_duration_seconds_sum\{phase="agent"\} 160$/m);
    expect(out).toMatch(/^claude_sandbox_bot_phase_duration_seconds_bucket\{le="2",phase="sandbox"\} 2$/m);
    expect(out).toMatch(/^claude_sandbox_bot_cost_usd_total\{kind="claude"\} 0\.75$/m);
    expect(out).toMatch(/^claude_sandbox_bot_cost_usd_total\{kind="sandbox"\} 0.01$/m);
    expect(out).toMatch(/^process_resident_memory_bytes \d+/m);
  });

  it("shows the model gateway's requests, upstream errors, tokens by kind, USD by repository and time to first byte", async () => {
    const request = { type: "model_request" as const, runId: 1, repo: "acme/widgets", status: 200, upstreamError: false, ttfbMs: 120, inputTokens: 1000, outputTokens: 50, cacheCreationInputTokens: 0, cacheReadInputTokens: 300, usd: 0.02, at: 0 };
    events.emit(request);
    events.emit({ ...request, status: 529, upstreamError: true, inputTokens: 0, outputTokens: 0, cacheReadInputTokens: 0, usd: 0, ttfbMs: 4000 });
    events.emit({ ...request, repo: "acme/other", status: 0, upstreamError: true, usd: 0.5 });
    const out = await text();
    expect(out).toMatch(/^claude_sandbox_bot_model_requests_total\{repo="acme\/widgets",status="2xx"\} 1$/m);
    expect(out).toMatch(/^claude_sandbox_bot_model_requests_total\{repo="acme\/widgets",status="5xx"\} 1$/m);
    expect(out).toMatch(/^claude_sandbox_bot_model_requests_total\{repo="acme\/other",status="none"\} 1$/m);
    expect(out).toMatch(/^claude_sandbox_bot_model_upstream_errors_total\{repo="acme\/widgets"\} 1$/m);
    expect(out).toMatch(/^claude_sandbox_bot_model_tokens_total\{repo="acme\/widgets",kind="input"\} 1000$/m);
    expect(out).toMatch(/^claude_sandbox_bot_model_tokens_total\{repo="acme\/widgets",kind="cache_read"\} 300$/m);
    expect(out).not.toMatch(/model_tokens_total\{repo="acme\/widgets",kind="cache_creation"\}/);
    expect(out).toMatch(/^claude_sandbox_bot_model_cost_usd_total\{repo="acme\/widgets"\} 0.02$/m);
    expect(out).toMatch(/^claude_sandbox_bot_model_cost_usd_total\{repo="acme\/other"\} 0.5$/m);
    expect(out).toMatch(/^claude_sandbox_bot_model_time_to_first_byte_seconds_bucket\{le="0.25"\} 2$/m);
    expect(out).toMatch(/^claude_sandbox_bot_model_time_to_first_byte_seconds_count 3$/m);
  });

  it("reads the queue depth, the runs awaiting acknowledgement and the executing runs when scraped", async () => {
    const first = await text();
    expect(first).toMatch(/^claude_sandbox_bot_queue_depth 3$/m);
    expect(first).toMatch(/^claude_sandbox_bot_runs_awaiting_acknowledgement 5$/m);
    queued = 0;
    received = 0;
    const out = await text();
    expect(out).toMatch(/^claude_sandbox_bot_queue_depth 0$/m);
    expect(out).toMatch(/^claude_sandbox_bot_runs_awaiting_acknowledgement 0$/m);
    expect(out).toMatch(/^claude_sandbox_bot_runs_executing 2$/m);
  });

  it("lists sandboxes at most once per 30 s, whatever the scrapes", async () => {
    const at = new Date(0);
    sandboxes = [
      { id: "a", state: "running", startedAt: at, metadata: {} },
      { id: "b", state: "paused", startedAt: at, metadata: {} },
      { id: "c", state: "paused", startedAt: at, metadata: {} },
    ];
    listed = 0;
    now = 100_000;
    const out = await text();
    expect(out).toMatch(/^claude_sandbox_bot_sandboxes\{state="running"\} 1$/m);
    expect(out).toMatch(/^claude_sandbox_bot_sandboxes\{state="paused"\} 2$/m);
    sandboxes = [];
    now += 29_000;
    await Promise.all([text(), text(), text()]);
    expect(listed).toBe(1);
    now += 2_000;
    expect(await text()).toMatch(/^claude_sandbox_bot_sandboxes\{state="paused"\} 0$/m);
    expect(listed).toBe(2);
  });

  it("counts GitHub calls by method and status and keeps the latest rate-limit remaining", async () => {
    observeGitHubCall({ method: "GET", status: 200, rateLimitRemaining: 4990, rateLimitResource: "core" });
    observeGitHubCall({ method: "GET", status: 200, rateLimitRemaining: 4980, rateLimitResource: "core" });
    observeGitHubCall({ method: "PATCH", status: 403, rateLimitRemaining: null, rateLimitResource: null });
    const out = await text();
    expect(out).toMatch(/^claude_sandbox_bot_github_api_requests_total\{method="GET",status="200"\} 2$/m);
    expect(out).toMatch(/^claude_sandbox_bot_github_api_requests_total\{method="PATCH",status="403"\} 1$/m);
    expect(out).toMatch(/^claude_sandbox_bot_github_rate_limit_remaining\{resource="core"\} 4980$/m);
  });
});

/** The request hook in BotOctokit, against a real HTTP server answering like GitHub. */
describe("BotOctokit reports every response to the metrics", () => {
  let server: Server;
  let url = "";
  let metrics: ReturnType<typeof createMetrics>;
  beforeAll(async () => {
    // Created here, not at collection time, so it sees only this test's calls.
    metrics = createMetrics({ store: { listRuns: async () => [] }, queue: { active: 0 }, sandboxes: { list: async () => [] }, events: createRunEvents(), log });
    server = createServer((req, res) => {
      req.resume();
      const status = req.url?.includes("missing") ? 404 : 200;
      res.writeHead(status, { "content-type": "application/json", "x-ratelimit-remaining": "4321", "x-ratelimit-resource": "core" });
      res.end(JSON.stringify(status === 200 ? { id: 1 } : { message: "Not Found" }));
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    metrics.stop();
    await new Promise<void>((r) => server.close(() => r()));
  });

  it("successes and errors, with the rate limit", async () => {
    const octokit = new BotOctokit({ auth: "token-for-tests", baseUrl: url, log });
    await octokit.rest.issues.get({ owner: "o", repo: "r", issue_number: 1 });
    await expect(octokit.rest.issues.get({ owner: "o", repo: "missing", issue_number: 1 })).rejects.toMatchObject({ status: 404 });
    const out = await metrics.registry.metrics();
    expect(out).toMatch(/^claude_sandbox_bot_github_api_requests_total\{method="GET",status="200"\} 1$/m);
    expect(out).toMatch(/^claude_sandbox_bot_github_api_requests_total\{method="GET",status="404"\} 1$/m);
    expect(out).toMatch(/^claude_sandbox_bot_github_rate_limit_remaining\{resource="core"\} 4321$/m);
  });
});

describe("cached values", () => {
  it("shares one load, keeps the last good value when a reload fails, retries after the ttl", async () => {
    let now = 0;
    let loads = 0;
    let fail = false;
    const cached = createCached(
      async () => {
        loads += 1;
        if (fail) throw new Error("E2B is down");
        return loads;
      },
      1000,
      () => now,
    );
    expect(await Promise.all([cached.get(), cached.get()])).toEqual([1, 1]);
    now = 1500;
    fail = true;
    expect(await cached.get()).toBe(1);
    expect(await cached.get()).toBe(1);
    expect(loads).toBe(2);
    now = 2600;
    fail = false;
    expect(await cached.get()).toBe(3);
  });

  it("a first load that fails rejects", async () => {
    const cached = createCached(async () => Promise.reject(new Error("nope")), 1000);
    await expect(cached.get()).rejects.toThrow("nope");
  });
});
