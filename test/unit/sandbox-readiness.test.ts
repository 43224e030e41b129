import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cachedCheck, createSandboxReadiness } from "../../src/sandbox/provider-readiness.ts";
import { runChecks } from "../../src/web/readiness.ts";

/**
 * /readyz's sandbox check through the real e2b SDK, pointed at a loopback stand-in for E2B's
 * control-plane API (GET /v2/sandboxes with X-API-Key, 401 for an unknown key, as E2B answers).
 */

const GOOD_KEY = "e2b_0123456789abcdef0123456789abcdef";

describe("sandbox readiness", () => {
  let api: Server;
  let apiUrl = "";
  const seen: IncomingMessage[] = [];
  beforeAll(async () => {
    api = createServer((req, res) => {
      seen.push(req);
      const url = new URL(req.url ?? "/", "http://x");
      if (req.method !== "GET" || url.pathname !== "/v2/sandboxes") return void res.writeHead(404).end();
      if (req.headers["x-api-key"] !== GOOD_KEY) {
        res.writeHead(401, { "content-type": "application/json" }).end(JSON.stringify({ code: 401, message: "Invalid API key, please visit https://e2b.dev/docs/api-key" }));
        return;
      }
      res.writeHead(200, { "content-type": "application/json" }).end("[]");
    });
    await new Promise<void>((r) => api.listen(0, "127.0.0.1", () => r()));
    apiUrl = `http://127.0.0.1:${(api.address() as { port: number }).port}`;
  });
  afterAll(() => void api.close());

  const e2b = (key: string, url = apiUrl) => createSandboxReadiness({ SANDBOX_PROVIDER: "e2b", E2B_API_KEY: key, LOCAL_SANDBOX_ROOT: "unused" }, { apiUrl: url });

  it("passes when E2B answers the key", async () => {
    const result = await runChecks({ sandbox: e2b(GOOD_KEY) }, 3000);
    expect(result).toEqual({ ready: true, checks: { sandbox: { ok: true } } });
    expect(seen.at(-1)!.url).toMatch(/^\/v2\/sandboxes\?.*limit=1/);
  });

  it("fails with the reason when E2B refuses the key", async () => {
    const result = await runChecks({ sandbox: e2b("e2b_wrong") }, 3000);
    expect(result.ready).toBe(false);
    expect(result.checks.sandbox).toMatchObject({ ok: false, error: expect.stringMatching(/^E2B refused E2B_API_KEY \(.*Invalid API key.*\): create a key/) });
  });

  it("fails with the reason when E2B cannot be reached", async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, "127.0.0.1", () => r()));
    const url = `http://127.0.0.1:${(closed.address() as { port: number }).port}`;
    await new Promise((r) => closed.close(r));
    const result = await runChecks({ sandbox: e2b(GOOD_KEY, url) }, 3000);
    expect(result.checks.sandbox).toMatchObject({ ok: false, error: expect.stringMatching(/^E2B's API did not answer/) });
  });

  it("asks E2B at most once per interval, sharing one call between concurrent probes", async () => {
    let clock = 0;
    let calls = 0;
    let fail = false;
    const check = cachedCheck(
      async () => {
        calls += 1;
        await new Promise((r) => setTimeout(r, 5));
        if (fail) throw new Error("refused");
      },
      { okMs: 60_000, failedMs: 15_000, now: () => clock },
    );
    await Promise.all([check(), check(), check()]);
    expect(calls).toBe(1);
    clock = 59_999;
    await check();
    expect(calls).toBe(1);
    clock = 60_000;
    fail = true;
    await expect(check()).rejects.toThrow("refused");
    clock = 70_000;
    await expect(check()).rejects.toThrow("refused");
    expect(calls).toBe(2);
    fail = false;
    clock = 75_000;
    await check();
    expect(calls).toBe(3);
  });

  it("checks that the local provider's root is a writable directory", async () => {
    const dir = mkdtempSync(join(tmpdir(), "csb-ready-"));
    try {
      const local = (root: string) => createSandboxReadiness({ SANDBOX_PROVIDER: "local", LOCAL_SANDBOX_ROOT: root });
      await expect(local(join(dir, "sandboxes"))()).resolves.toBeUndefined();
      writeFileSync(join(dir, "file"), "");
      await expect(local(join(dir, "file", "sandboxes"))()).rejects.toThrow(/LOCAL_SANDBOX_ROOT=.* is not a writable directory/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
