import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { Registry } from "prom-client";
import { afterEach, describe, expect, it } from "vitest";
import { registerPoolMetrics } from "../../src/metrics/pool-metrics.ts";
import { reapOnce } from "../../src/runs/reaper.ts";
import { startSandbox } from "../../src/runs/sandbox-phase.ts";
import { createSandboxPool, POOL_LABEL, retryDelayMs, type SandboxPool } from "../../src/sandbox/pool.ts";
import { createLocalProvider } from "../../src/sandbox/local.ts";
import type { SandboxProvider } from "../../src/sandbox/types.ts";
import { openSqliteStore } from "../../src/store/sqlite-store.ts";
import { startRun } from "../support/running-run.ts";

/** Issue 19 item 3: the pool of started sandboxes, with the real local provider. */

const MINUTE = 60_000;
const log = pino({ level: "silent" });
const pools: SandboxPool[] = [];
afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.stop()));
});

const localProvider = () => createLocalProvider({ root: mkdtempSync(join(tmpdir(), "csb-pool-")), log });

function poolOf(sandboxes: SandboxProvider, size: number, extra: Partial<Parameters<typeof createSandboxPool>[0]> = {}): SandboxPool {
  const pool = createSandboxPool({ sandboxes, size, lifetimeMs: 30 * MINUTE, log, ...extra });
  pools.push(pool);
  return pool;
}

async function until(check: () => boolean | Promise<boolean>, what: string, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe("the sandbox pool", () => {
  it("hands out a started sandbox, refills up to its size and never past it, and kills the idle ones at stop", async () => {
    const sandboxes = localProvider();
    const pool = poolOf(sandboxes, 2);
    expect(await pool.take("o/r#1")).toBeNull(); // not started: nothing to hand out
    pool.start();
    await until(() => pool.stats().idle === 2, "the pool to fill");
    const listed = await sandboxes.list();
    expect(listed).toHaveLength(2);
    expect(listed.every((s) => s.state === "running" && s.metadata.pool === POOL_LABEL.pool && s.metadata.thread === undefined)).toBe(true);

    const box = await pool.take("o/r#1");
    expect(box).not.toBeNull();
    expect(listed.map((s) => s.id)).toContain(box!.id);
    expect((await box!.run(["sh", "-c", "echo ready"])).stdout).toBe("ready\n");
    expect(pool.owners().get(box!.id)).toBe("o/r#1");

    await until(() => pool.stats().idle === 2, "the refill");
    await new Promise((r) => setTimeout(r, 50));
    expect(await sandboxes.list()).toHaveLength(3); // the taken one + 2 idle, no more

    await pool.stop();
    expect((await sandboxes.list()).map((s) => s.id)).toEqual([box!.id]);
    expect((await box!.run(["sh", "-c", "echo still mine"])).stdout).toBe("still mine\n");
  });

  it("kills a sandbox whose create was under way when the pool stopped", async () => {
    const local = localProvider();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let made = 0;
    // The sandbox exists at once; the provider answers later (E2B's create returns once it booted).
    const slow: SandboxProvider = {
      ...local,
      create: async (options) => {
        const box = await local.create(options);
        made += 1;
        await gate;
        return box;
      },
    };
    const pool = poolOf(slow, 1);
    pool.start();
    await until(() => made === 1, "the create to be under way");
    setTimeout(release, 50);
    await pool.stop();
    expect(await local.list()).toEqual([]);
  });

  it("gives a taken sandbox a fresh lifetime (it was counting since it was made)", async () => {
    const sandboxes = localProvider();
    const pool = poolOf(sandboxes, 1, { lifetimeMs: 600, maxIdleMs: 60_000 });
    pool.start();
    await until(() => pool.stats().idle === 1, "the pool to fill");
    await new Promise((r) => setTimeout(r, 400));
    const box = (await pool.take("o/r#1"))!;
    await new Promise((r) => setTimeout(r, 400)); // 800 ms after its create: past the first lifetime
    expect((await box.run(["sh", "-c", "echo alive"])).stdout).toBe("alive\n");
  });

  it("startSandbox takes the pool's sandbox when there is one, and creates one (with the thread's label) when not", async () => {
    const root = mkdtempSync(join(tmpdir(), "csb-pool-run-"));
    const sandboxes = createLocalProvider({ root, log });
    const store = openSqliteStore(join(root, "bot.db"));
    try {
      const pool = poolOf(sandboxes, 1, { retry: { baseMs: 1, maxMs: 1, attempts: 1 } });
      pool.start();
      await until(() => pool.stats().idle === 1, "the pool to fill");
      const pooledId = (await sandboxes.list())[0]!.id;
      const run = await startRun(store, "o/r#1");
      expect((await startSandbox({ sandboxes, timeoutMs: 10 * MINUTE, pool }, run, log)).id).toBe(pooledId);
      await pool.stop(); // empty now, and nothing refills it
      const fresh = await startSandbox({ sandboxes, timeoutMs: 10 * MINUTE, pool }, run, log);
      expect(fresh.id).not.toBe(pooledId);
      expect((await sandboxes.list()).find((s) => s.id === fresh.id)?.metadata).toMatchObject({ thread: "o/r#1", run: String(run.id) });
    } finally {
      await store.close();
    }
  });

  it("backs off when the provider fails: a bounded number of doubling retries, then none until the next take", async () => {
    let creates = 0;
    const failing: SandboxProvider = { ...localProvider(), create: async () => ((creates += 1), Promise.reject(new Error("E2B is down"))) };
    const delays: number[] = [];
    const pool = poolOf(failing, 3, { retry: { baseMs: 100, maxMs: 400, attempts: 5 }, sleep: async (ms) => void delays.push(ms) });
    pool.start();
    await until(() => creates === 5, "five attempts");
    await new Promise((r) => setTimeout(r, 100));
    expect(creates).toBe(5);
    expect(delays).toEqual([100, 200, 400, 400]);
    expect(await pool.take("o/r#1")).toBeNull();
    await until(() => creates === 10, "the next round after a take");
    await new Promise((r) => setTimeout(r, 100));
    expect(creates).toBe(10);
    expect(retryDelayMs(1, { baseMs: 1000, maxMs: 60_000, attempts: 5 })).toBe(1000);
    expect(retryDelayMs(5, { baseMs: 1000, maxMs: 60_000, attempts: 5 })).toBeNull();
  });

  it("counts a create that never answers as a failure and kills the sandbox if it lands late", async () => {
    const local = localProvider();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let calls = 0;
    const hanging: SandboxProvider = {
      ...local,
      create: async (options) => {
        calls += 1;
        if (calls === 1) await gate;
        return local.create(options);
      },
    };
    const pool = poolOf(hanging, 1, { createTimeoutMs: 50, retry: { baseMs: 1, maxMs: 1, attempts: 3 } });
    pool.start();
    await until(() => pool.stats().idle === 1, "the second create to fill the pool");
    release();
    await until(async () => (await local.list()).length === 1, "the late one to be killed");
    expect(calls).toBe(2);
  });

  it("shows its idle sandboxes and their idle seconds × the price on /metrics", async () => {
    let clock = 1_000_000;
    const pool = poolOf(localProvider(), 2, { now: () => clock, maxIdleMs: 24 * 60 * MINUTE });
    pool.start();
    await until(() => pool.stats().idle === 2, "the pool to fill");
    const registry = new Registry();
    registerPoolMetrics(registry, pool, 0.01);
    clock += 100_000;
    const text = await registry.metrics();
    expect(text).toMatch(/claude_sandbox_bot_pool_idle_sandboxes 2\n/);
    expect(text).toMatch(/claude_sandbox_bot_pool_idle_sandbox_seconds_total 200\n/);
    expect(text).toMatch(/claude_sandbox_bot_pool_idle_cost_usd_total 2\n/);
    await pool.take("o/r#1");
    clock += 10_000;
    const later = await registry.metrics();
    expect(later).toMatch(/claude_sandbox_bot_pool_idle_sandbox_seconds_total 210\n/);
  });
});

describe("the reaper and the pool", () => {
  it("leaves idle pool sandboxes alone up to the pool's limit, keeps a taken one while its thread runs, and reaps it once the thread is done", async () => {
    const root = mkdtempSync(join(tmpdir(), "csb-pool-reap-"));
    const sandboxes = createLocalProvider({ root, log });
    const store = openSqliteStore(join(root, "bot.db"));
    const limits = { pausedRetentionMs: 24 * 60 * MINUTE, orphanGraceMs: 10 * MINUTE, poolIdleLimitMs: 120 * MINUTE };
    try {
      const pool = poolOf(sandboxes, 2);
      pool.start();
      await until(() => pool.stats().idle === 2, "the pool to fill");
      const run = await startRun(store, "o/r#1");
      const taken = (await pool.take("o/r#1"))!;
      await until(() => pool.stats().idle === 2, "the refill");
      const idleIds = (await sandboxes.list()).map((s) => s.id).filter((id) => id !== taken.id);

      // Past the orphan grace: the idle ones are the pool's, the taken one is its running thread's.
      const pastGrace = () => Date.now() + 30 * MINUTE;
      expect(await reapOnce({ store, sandboxes, log, limits, pool, now: pastGrace })).toEqual([]);

      // Another process's reaper does not know the pool's binding: it still leaves them all (under the pool's limit).
      expect(await reapOnce({ store, sandboxes, log, limits, now: pastGrace })).toEqual([]);

      // The thread's run is over and nothing paused the sandbox: it is reaped; the idle ones stay.
      await store.updateRun(run.id, { state: "succeeded" });
      expect(await reapOnce({ store, sandboxes, log, limits, pool, now: pastGrace })).toEqual([{ id: taken.id, reason: "running without a running run (idle or stuck)" }]);
      expect((await sandboxes.list()).map((s) => s.id).sort()).toEqual([...idleIds].sort());

      // Past the pool's limit, idle ones go too (a pool that died without stopping).
      const pastPoolLimit = () => Date.now() + 150 * MINUTE;
      expect((await reapOnce({ store, sandboxes, log, limits, pool, now: pastPoolLimit })).map((d) => d.reason)).toEqual(["a pool sandbox idle past the pool's limit", "a pool sandbox idle past the pool's limit"]);
    } finally {
      await store.close();
    }
  });

  it("keeps a follow-up's reconnected pool sandbox by the thread record that names it, in any process", async () => {
    const root = mkdtempSync(join(tmpdir(), "csb-pool-follow-"));
    const sandboxes = createLocalProvider({ root, log });
    const store = openSqliteStore(join(root, "bot.db"));
    const limits = { pausedRetentionMs: 24 * 60 * MINUTE, orphanGraceMs: 10 * MINUTE, poolIdleLimitMs: 120 * MINUTE };
    try {
      const pool = poolOf(sandboxes, 1, { retry: { baseMs: 1, maxMs: 1, attempts: 1 } });
      pool.start();
      await until(() => pool.stats().idle === 1, "the pool to fill");
      const first = await startRun(store, "o/r#1");
      const box = (await pool.take("o/r#1"))!;
      await pool.stop();
      await box.pause();
      await store.updateRun(first.id, { state: "succeeded" });
      await store.saveThread({ key: "o/r#1", repoFullName: "o/r", number: 1, kind: "issue", branch: "claude/issue-1", prNumber: null, sessionId: "s", transcript: null, sandboxId: box.id });

      // The follow-up (in a process whose pool never saw it) reconnects; past even the pool's limit it is kept.
      const followUp = await startRun(store, "o/r#1");
      expect(await sandboxes.connect(box.id, 30 * MINUTE)).not.toBeNull();
      const muchLater = () => Date.now() + 150 * MINUTE;
      expect(await reapOnce({ store, sandboxes, log, limits, now: muchLater })).toEqual([]);
      await store.updateRun(followUp.id, { state: "succeeded" });
      expect((await reapOnce({ store, sandboxes, log, limits, now: muchLater })).map((d) => d.id)).toEqual([box.id]);
    } finally {
      await store.close();
    }
  });
});
