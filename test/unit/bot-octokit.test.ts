import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { BotOctokit } from "../../src/github/bot-octokit.ts";

/** The rate-limit policy against a real HTTP server that answers like GitHub's secondary limit. */
describe("BotOctokit", () => {
  let server: Server;
  let url = "";
  let failuresLeft = 0;
  let holdUntil = 0;
  let held: Array<() => void> = [];
  const seen: Array<{ method: string; at: number }> = [];
  beforeAll(async () => {
    server = createServer((req, res) => {
      seen.push({ method: req.method ?? "", at: Date.now() });
      req.resume();
      if (failuresLeft > 0) {
        failuresLeft -= 1;
        res.writeHead(403, { "content-type": "application/json", "retry-after": "1" });
        res.end(JSON.stringify({ message: "You have exceeded a secondary rate limit. Please wait a few minutes before you try again." }));
        return;
      }
      const answer = () => {
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify({ id: 1, body: "ok" }));
      };
      // Hold every answer until `holdUntil` requests have arrived: only concurrent writes get there.
      held.push(answer);
      if (seen.length >= holdUntil) {
        held.forEach((release) => release());
        held = [];
      }
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  const client = () => new BotOctokit({ auth: "token-for-tests", baseUrl: url, log: pino({ level: "silent" }) });

  it("sends writes concurrently instead of one at a time, a second apart", async () => {
    seen.length = 0;
    // The server answers none of the three until all three have arrived. The stock throttle
    // (one write at a time) would never send the second, and this would time out.
    holdUntil = 3;
    const octokit = client();
    await Promise.all([1, 2, 3].map((n) => octokit.rest.issues.updateComment({ owner: "o", repo: "r", comment_id: n, body: "x" })));
    expect(seen).toHaveLength(3);
    holdUntil = 0;
  }, 10_000);

  it("backs off on a secondary rate limit for the Retry-After GitHub sends, then succeeds", async () => {
    seen.length = 0;
    failuresLeft = 2;
    const { data } = await client().rest.issues.updateComment({ owner: "o", repo: "r", comment_id: 1, body: "x" });
    expect(data).toMatchObject({ id: 1 });
    expect(seen).toHaveLength(3);
    expect(seen[1]!.at - seen[0]!.at).toBeGreaterThanOrEqual(900);
  }, 20_000);

  it("gives up after three retries, so a run does not hang on a limit that does not lift", async () => {
    seen.length = 0;
    failuresLeft = 10;
    await expect(client().rest.issues.updateComment({ owner: "o", repo: "r", comment_id: 1, body: "x" })).rejects.toMatchObject({ status: 403 });
    expect(seen).toHaveLength(4);
    failuresLeft = 0;
  }, 20_000);
});

describe("Bottleneck's zero-delay yields", () => {
  it("no longer wait on a timer (real waits still do)", async () => {
    const { patchBottleneckYield } = await import("../../src/github/bottleneck-yield.ts");
    const { default: BottleneckLight } = await import("bottleneck/light.js" as string);
    patchBottleneckYield();
    const store = new BottleneckLight({ maxConcurrent: 1, minTime: 0 })._store as { yieldLoop(t?: number): Promise<void> };
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    try {
      // setTimeout is frozen: a zero-delay yield resolves only because it no longer uses it…
      await expect(store.yieldLoop()).resolves.toBeUndefined();
      // …while a real wait still does.
      let waited = false;
      void store.yieldLoop(50).then(() => (waited = true));
      await new Promise((r) => setImmediate(r));
      expect(waited).toBe(false);
      vi.advanceTimersByTime(50);
      await new Promise((r) => setImmediate(r));
      expect(waited).toBe(true);
    } finally {
      vi.useRealTimers();
    }
  });
});
