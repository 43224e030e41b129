import { pino } from "pino";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { createEmbeddedQueue } from "../../src/jobs/embedded-queue.ts";
import { createPgBossQueue } from "../../src/jobs/pg-boss-queue.ts";
import type { ExecuteRun, RunQueue } from "../../src/jobs/types.ts";
import { openPostgresStore } from "../../src/store/postgres-store.ts";
import { openSqliteStore } from "../../src/store/sqlite-store.ts";
import type { RunRecord, Store } from "../../src/store/types.ts";
import type { Trigger } from "../../src/triggers/types.ts";
import { dropSchemas, freshSchema, requirePostgres, TEST_DATABASE_URL, withSchema } from "../support/postgres.ts";
import { waitFor } from "../support/wait-for.ts";

/**
 * Fair share through each queue with its real store: installation A floods the queue with 50 runs
 * (each holding a worker slot for a while), then installation B asks for one. B's run must start
 * when the first slot frees up, not after A's 50 (with first-come order it would start ~12 holds later).
 */

const log = pino({ level: "silent" });
const CONCURRENCY = 4;
const HOLD_MS = 400;
const FLOOD = 50;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const trigger = (installationId: number, n: number) => ({ kind: "issue_comment", installationId, repo: { fullName: `inst${installationId}/r` }, issue: { number: n } }) as unknown as Trigger;

let cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  cleanups = [];
});

interface Started {
  run: RunRecord;
  at: number;
  endedAt?: number;
}

/** A queue over `store` whose runs each hold their slot for HOLD_MS or more; every start is recorded. */
type MakeQueue = (store: Store, execute: ExecuteRun, maxRunsPerInstallation: number) => RunQueue;

async function flood(store: Store, makeQueue: MakeQueue, maxRunsPerInstallation = 0) {
  const started: Started[] = [];
  const queue = makeQueue(
    store,
    async (run) => {
      const entry: Started = { run, at: Date.now() };
      started.push(entry);
      // Holds differ by slot, so slots free one at a time and "the next start" is well defined.
      await sleep(HOLD_MS + (run.id % CONCURRENCY) * 100);
      entry.endedAt = Date.now();
      await store.updateRun(run.id, { state: "succeeded", finishedAt: new Date().toISOString() });
    },
    maxRunsPerInstallation,
  );
  cleanups.push(() => queue.stop(5000));
  const ask = async (installationId: number, n: number) => {
    const run = await store.createRun({ threadKey: `inst${installationId}/r#${n}`, deliveryId: `d-${installationId}-${n}`, trigger: trigger(installationId, n) });
    await store.updateRun(run.id, { state: "queued" });
    await queue.enqueue({ ...run, state: "queued" });
    return run;
  };
  for (let n = 1; n <= FLOOD; n++) await ask(1, n);
  await queue.start();
  await waitFor("A's runs fill every slot", () => started.length >= Math.min(CONCURRENCY, maxRunsPerInstallation || CONCURRENCY), 20_000, 5);
  const b = await ask(2, 1);
  await waitFor("B's run starts", () => started.some((s) => s.run.id === b.id), 30_000, 5);
  const bStart = started.find((s) => s.run.id === b.id)!;
  const firstFreed = Math.min(...started.filter((s) => s.endedAt !== undefined).map((s) => s.endedAt!), Infinity);
  // Starts are recorded in the order they happen: how many of A's went before B's.
  const aBefore = started.indexOf(bStart);
  return { bStart, firstFreed, aBefore, started };
}

const embedded: MakeQueue = (store, execute, maxRunsPerInstallation) =>
  createEmbeddedQueue({ store, concurrency: CONCURRENCY, execute, log, heartbeatMs: 1000, pollIntervalMs: 200, maxRunsPerInstallation });

describe("fair share: the embedded queue on SQLite", () => {
  const open = () => {
    const store = openSqliteStore(":memory:");
    cleanups.push(() => store.close());
    return store;
  };

  it("starts B's one run when the first of A's slots frees, ahead of A's 46 still queued", async () => {
    const { bStart, firstFreed, aBefore } = await flood(open(), embedded);
    // B waited for a slot (all four were A's) but for one only: the next start after it freed.
    expect(aBefore).toBe(CONCURRENCY);
    expect(bStart.at - firstFreed).toBeLessThan(100);
  }, 60_000);

  it("with MAX_RUNS_PER_INSTALLATION=2, B's run starts at once and A never has more than 2 running", async () => {
    const { bStart, firstFreed, aBefore, started } = await flood(open(), embedded, 2);
    expect(aBefore).toBe(2);
    expect(bStart.at).toBeLessThan(firstFreed); // two slots were kept free: no wait for one of A's
    const aRunning = (at: number) => started.filter((s) => s.run.installationId === 1 && s.at <= at && (s.endedAt ?? Infinity) > at).length;
    expect(aRunning(bStart.at)).toBe(2);
    expect(Math.max(...started.map((s) => aRunning(s.at)))).toBeLessThanOrEqual(2);
  }, 60_000);
});

describe("fair share: the pg-boss queue on PostgreSQL", () => {
  beforeAll(requirePostgres);

  it("starts B's one run when the first of A's slots frees, though pg-boss hands out A's jobs first", async () => {
    const storeSchema = freshSchema("csb_fair_store");
    const bossSchema = freshSchema("csb_fair_boss");
    const url = withSchema(TEST_DATABASE_URL, storeSchema);
    const store = await openPostgresStore(url, { log, max: 6 });
    cleanups.push(async () => {
      await store.close();
      await dropSchemas([storeSchema, bossSchema]);
    });
    const pgBoss: MakeQueue = (s, execute, maxRunsPerInstallation) =>
      createPgBossQueue({ connectionString: url, store: s, concurrency: CONCURRENCY, execute, log, heartbeatMs: 1000, schema: bossSchema, pollIntervalMs: 500, maxRunsPerInstallation });
    const { bStart, firstFreed, aBefore, started } = await flood(store, pgBoss);
    expect(aBefore).toBe(CONCURRENCY);
    expect(bStart.at - firstFreed).toBeLessThan(100);
    // Every one of A's runs still runs, once.
    await waitFor("A's 50 runs", () => started.filter((s) => s.run.installationId === 1).length >= FLOOD, 60_000, 50);
    expect(new Set(started.map((s) => s.run.id)).size).toBe(started.length);
  }, 120_000);
});
