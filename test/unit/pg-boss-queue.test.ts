import { pino } from "pino";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { createPgBossQueue } from "../../src/jobs/pg-boss-queue.ts";
import type { RunQueue } from "../../src/jobs/types.ts";
import { openPostgresStore } from "../../src/store/postgres-store.ts";
import type { RunRecord, Store } from "../../src/store/types.ts";
import type { Trigger } from "../../src/triggers/types.ts";
import { dropSchemas, freshSchema, requirePostgres, TEST_DATABASE_URL, withSchema } from "../support/postgres.ts";
import { waitFor } from "../support/wait-for.ts";

/**
 * Two worker processes, as far as the database can tell: each with its own store pool and its own
 * pg-boss instance, sharing the schemas. A fake execute records when each run starts and ends.
 */

interface Execution {
  runId: number;
  thread: string;
  start: number;
  end: number;
}

const errors: string[] = [];
const log = pino({ level: "error" }, { write: (line: string) => void errors.push(line) });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const trigger = (n: number) => ({ kind: "issue_comment", installationId: 1, repo: { fullName: "o/r" }, issue: { number: n } }) as unknown as Trigger;

let schemas: string[] = [];
let stores: Store[] = [];
let queues: RunQueue[] = [];

beforeAll(requirePostgres);
afterEach(async () => {
  await Promise.all(queues.map((q) => q.stop(5000)));
  await Promise.all(stores.map((s) => s.close()));
  await dropSchemas(schemas);
  schemas = [];
  stores = [];
  queues = [];
  errors.length = 0;
});

async function twoWorkers() {
  const storeSchema = freshSchema("csb_q_store");
  const bossSchema = freshSchema("csb_q_boss");
  schemas.push(storeSchema, bossSchema);
  const url = withSchema(TEST_DATABASE_URL, storeSchema);
  const executions: Execution[] = [];
  const runningByThread = new Map<string, number>();
  const overlaps: string[] = [];

  const worker = async () => {
    const store = await openPostgresStore(url, { log, max: 6 });
    stores.push(store);
    const queue = createPgBossQueue({
      connectionString: url,
      store,
      concurrency: 4,
      log,
      heartbeatMs: 1000,
      schema: bossSchema,
      notNextDelayMs: 200,
      pollIntervalMs: 500,
      execute: async (run: RunRecord) => {
        const other = runningByThread.get(run.threadKey);
        if (other !== undefined) overlaps.push(`run ${run.id} started while ${other} was running in ${run.threadKey}`);
        runningByThread.set(run.threadKey, run.id);
        const start = Date.now();
        await sleep(5 + Math.random() * 25);
        runningByThread.delete(run.threadKey);
        executions.push({ runId: run.id, thread: run.threadKey, start, end: Date.now() });
        await store.updateRun(run.id, { state: "succeeded", finishedAt: new Date().toISOString() });
      },
    });
    queues.push(queue);
    await queue.start();
    return { store, queue };
  };
  const [a, b] = await Promise.all([worker(), worker()]);
  return { a, b, executions, overlaps };
}

/** What the intake does: create the run, mark it queued, hand it to the queue. */
async function submit(store: Store, queue: RunQueue | null, thread: number, delivery: string): Promise<RunRecord> {
  const run = await store.createRun({ threadKey: `o/r#${thread}`, deliveryId: delivery, trigger: trigger(thread) });
  await store.updateRun(run.id, { state: "queued" });
  const queued = { ...run, state: "queued" as const };
  await queue?.enqueue(queued);
  return queued;
}

describe("pg-boss queue", () => {
  it("two workers execute every run once, one at a time per thread, in order", async () => {
    const { a, b, executions, overlaps } = await twoWorkers();
    const RUNS = 100;
    const runs: RunRecord[] = [];
    const late: RunRecord[] = [];
    for (let i = 0; i < RUNS; i++) {
      const [store, queue] = Math.random() < 0.5 ? [a.store, a.queue] : [b.store, b.queue];
      // A quarter reach the queue late and out of order (as after recovery): later runs of their
      // thread get there first and must wait.
      if (Math.random() < 0.25) late.push(await submit(store, null, Math.floor(Math.random() * 20), `d-${i}`));
      else runs.push(await submit(store, queue, Math.floor(Math.random() * 20), `d-${i}`));
    }
    for (const run of late.reverse()) await (Math.random() < 0.5 ? a : b).queue.enqueue(run);
    runs.push(...late);
    runs.sort((x, y) => x.id - y.id);
    // Recovery re-offers queued runs whatever the queue already holds: some get a second job.
    for (const run of runs.filter(() => Math.random() < 0.2)) await (Math.random() < 0.5 ? a : b).queue.enqueue(run);

    await waitFor("every run to finish", async () => (await a.store.listRuns({ states: ["succeeded"], limit: 1000 })).length === RUNS, 30_000, 100);
    await sleep(300); // a duplicate still in flight would show up now

    expect(overlaps).toEqual([]);
    expect(executions.map((e) => e.runId).sort((x, y) => x - y)).toEqual(runs.map((r) => r.id));
    const byThread = new Map<string, Execution[]>();
    for (const e of executions) byThread.set(e.thread, [...(byThread.get(e.thread) ?? []), e]);
    for (const list of byThread.values()) {
      const ordered = [...list].sort((x, y) => x.start - y.start);
      expect(ordered.map((e) => e.runId)).toEqual([...ordered.map((e) => e.runId)].sort((x, y) => x - y));
      ordered.slice(1).forEach((e, i) => expect(e.start).toBeGreaterThanOrEqual(ordered[i]!.end));
    }
    expect(new Set(executions.map((e) => e.runId)).size).toBe(RUNS);
    expect(errors).toEqual([]);
  });

  it("executes a run enqueued twice (on both workers) once", async () => {
    const { a, b, executions } = await twoWorkers();
    const run = await submit(a.store, a.queue, 1, "d-1");
    await b.queue.enqueue(run);
    await a.queue.enqueue(run);
    await waitFor("the run to finish", async () => (await a.store.getRun(run.id))?.state === "succeeded", 10_000);
    await sleep(1000);
    expect(executions.map((e) => e.runId)).toEqual([run.id]);
    expect(a.queue.active + b.queue.active).toBe(0);
  });

  it("stop() waits for the runs in flight, then lets go", async () => {
    const { a, b, executions } = await twoWorkers();
    const run = await submit(a.store, a.queue, 1, "d-1");
    await waitFor("the run to start", () => a.queue.active + b.queue.active === 1, 10_000, 5);
    await Promise.all([a.queue.stop(5000), b.queue.stop(5000)]);
    expect(executions.map((e) => e.runId)).toEqual([run.id]);
    expect(a.queue.active + b.queue.active).toBe(0);
  });
});
