import pg from "pg";
import { pino } from "pino";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { openPostgresStore } from "../../src/store/postgres-store.ts";
import type { RunRecord, Store } from "../../src/store/types.ts";
import { MIGRATIONS } from "../../src/store/sql.ts";
import type { Trigger } from "../../src/triggers/types.ts";
import { dropSchemas, freshSchema, requirePostgres, TEST_DATABASE_URL, withSchema } from "../support/postgres.ts";
import { storeContract } from "../support/store-contract.ts";

const log = pino({ level: "silent" });
let schemas: string[] = [];
let current = "";

beforeAll(requirePostgres);
afterEach(async () => {
  await dropSchemas(schemas);
  schemas = [];
});

const newSchema = () => {
  current = freshSchema("csb_store");
  schemas.push(current);
  return current;
};

storeContract(
  "PostgreSQL (a schema per test)",
  async () => openPostgresStore(withSchema(TEST_DATABASE_URL, newSchema()), { log }),
  async () => openPostgresStore(withSchema(TEST_DATABASE_URL, current), { log }),
);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const trigger = (thread: number) => ({ kind: "issue_comment", installationId: 1, repo: { fullName: "o/r" }, issue: { number: thread } }) as unknown as Trigger;

describe("PostgreSQL store under concurrency", () => {
  it("migrates once when many processes start together", async () => {
    const schema = newSchema();
    const stores = await Promise.all(Array.from({ length: 6 }, () => openPostgresStore(TEST_DATABASE_URL, { log, schema, max: 2 })));
    await Promise.all(stores.map((s) => s.close()));
    const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await client.connect();
    try {
      const { rows } = await client.query(`SELECT version FROM ${schema}.schema_migrations`);
      // Each migration applied once, whatever the number of processes.
      expect(rows.map((r) => r.version)).toEqual(MIGRATIONS.map((_, i) => i + 1));
    } finally {
      await client.end();
    }
  });

  it("says which database it could not reach", async () => {
    await expect(openPostgresStore("postgres://nobody:secret@127.0.0.1:1/none", { log })).rejects.toThrow(
      /Could not open the PostgreSQL store at postgres:\/\/nobody:\*\*\*@127\.0\.0\.1:1\/none: .*ECONNREFUSED/,
    );
  });

  it("two stores, many claimers: every run once, one at a time per thread, in order", async () => {
    const schema = newSchema();
    const a = await openPostgresStore(TEST_DATABASE_URL, { log, schema, max: 8 });
    const b = await openPostgresStore(TEST_DATABASE_URL, { log, schema, max: 8 });
    try {
      const THREADS = 20;
      const RUNS = 200;
      const runs: RunRecord[] = [];
      const claims: RunRecord[] = [];
      const runningByThread = new Map<string, number>();
      const violations: string[] = [];
      let finished = 0;

      // Several producers on both stores create and queue runs while the claimers work, so inserts
      // in one thread race each other (ids must still reach claimers in order) and a run still
      // "received" must hold back the later runs of its thread.
      const producer = async (store: Store, count: number) => {
        for (let i = 0; i < count; i++) {
          const thread = Math.floor(Math.random() * THREADS);
          const run = await store.createRun({ threadKey: `o/r#${thread}`, deliveryId: `d-${runs.length}`, trigger: trigger(thread) });
          runs.push(run);
          if (Math.random() < 0.3) await sleep(Math.random() * 2);
          await store.updateRun(run.id, { state: "queued" });
        }
      };
      const claimer = async (store: Store) => {
        while (finished < RUNS) {
          // Both ways in: the embedded queue's claimNextRun and pg-boss's claimRun(id).
          const pick = runs[Math.floor(Math.random() * runs.length)];
          const run = Math.random() < 0.5 || !pick ? await store.claimNextRun() : await store.claimRun(pick.id);
          if (!run) {
            await sleep(Math.random() * 3);
            continue;
          }
          claims.push(run);
          const other = runningByThread.get(run.threadKey);
          if (other !== undefined) violations.push(`run ${run.id} started while ${other} was running in ${run.threadKey}`);
          runningByThread.set(run.threadKey, run.id);
          await sleep(Math.random() * 4);
          // Off the books before the row says so: a claim seen after this is a real overlap.
          runningByThread.delete(run.threadKey);
          await store.updateRun(run.id, { state: "succeeded", finishedAt: new Date().toISOString() });
          finished++;
        }
      };

      await Promise.all([...[a, b, a, b].map((s) => producer(s, RUNS / 4)), ...Array.from({ length: 6 }, () => claimer(a)), ...Array.from({ length: 6 }, () => claimer(b))]);

      expect(violations).toEqual([]);
      expect(claims.map((r) => r.id).sort((x, y) => x - y)).toEqual(runs.map((r) => r.id).sort((x, y) => x - y));
      const orderByThread = new Map<string, number[]>();
      for (const run of claims) orderByThread.set(run.threadKey, [...(orderByThread.get(run.threadKey) ?? []), run.id]);
      for (const ids of orderByThread.values()) expect(ids).toEqual([...ids].sort((x, y) => x - y));
      const stored = await a.listRuns({ limit: 1000 });
      expect(stored.every((r) => r.state === "succeeded" && r.attempts === 1)).toBe(true);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it("two stores, many claimers, a cap: never more than the cap of one installation running at once", async () => {
    const schema = newSchema();
    const a = await openPostgresStore(TEST_DATABASE_URL, { log, schema, max: 8 });
    const b = await openPostgresStore(TEST_DATABASE_URL, { log, schema, max: 8 });
    try {
      const CAP = 2;
      const RUNS = 240;
      const byInstallation = (i: number) => ({ kind: "issue_comment", installationId: 1 + (i % 2), repo: { fullName: `o/r${i % 2}` }, issue: { number: i } }) as unknown as Trigger;
      for (let i = 0; i < RUNS; i++) {
        // A thread each, so only the cap (not the thread rule) holds claims back.
        const run = await a.createRun({ threadKey: `o/r#${i}`, deliveryId: `d-${i}`, trigger: byInstallation(i) });
        await a.updateRun(run.id, { state: "queued" });
      }
      const running = new Map<number, number>();
      const violations: string[] = [];
      let peak = 0;
      let finished = 0;
      const claimer = async (store: Store) => {
        while (finished < RUNS) {
          const run = await store.claimNextRun({ maxPerInstallation: CAP });
          if (!run) {
            await sleep(Math.random());
            continue;
          }
          const now = (running.get(run.installationId) ?? 0) + 1;
          running.set(run.installationId, now);
          peak = Math.max(peak, now);
          if (now > CAP) violations.push(`run ${run.id}: ${now} of installation ${run.installationId} running`);
          await sleep(3 + Math.random() * 5);
          // Off the books before the row says so: a claim seen after this is a real excess.
          running.set(run.installationId, running.get(run.installationId)! - 1);
          await store.updateRun(run.id, { state: "succeeded", finishedAt: new Date().toISOString() });
          finished++;
        }
      };
      await Promise.all([...Array.from({ length: 8 }, () => claimer(a)), ...Array.from({ length: 8 }, () => claimer(b))]);
      expect(violations).toEqual([]);
      expect(peak).toBe(CAP); // the claimers did press against it
      const stored = await a.listRuns({ limit: 1000 });
      expect(stored.every((r) => r.state === "succeeded" && r.attempts === 1)).toBe(true);
    } finally {
      await a.close();
      await b.close();
    }
  });
});
