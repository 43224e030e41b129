import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { createEmbeddedQueue } from "../../src/jobs/embedded-queue.ts";
import type { RunQueue } from "../../src/jobs/types.ts";
import { openSqliteStore } from "../../src/store/sqlite-store.ts";
import type { RunRecord, Store } from "../../src/store/types.ts";
import type { Trigger } from "../../src/triggers/types.ts";
import { waitFor } from "../../test/support/wait-for.ts";
import { progress, sleep } from "../lib/log.ts";
import { latency, type Latency } from "../lib/stats.ts";

/**
 * Figure 8: fair share. The bot's own queue (the embedded pool over a SQLite file, as a default
 * deployment runs it) with `concurrency` slots; each run holds its slot for `holdMs` (plus a
 * stagger, so slots free one at a time). Installation A queues `flood` runs, then B asks for one.
 * Measured: B's enqueue → B's execute start, against B alone on an empty queue; with no cap, also
 * the first freed slot → B's start (B must wait for a slot: all were A's). A first-come queue would
 * start B after A's other runs: ≈ (flood − concurrency) / concurrency holds later.
 * The sandbox, the clone and Claude are not part of it: they come after the claim and are the same
 * either way; this is the claim order alone, on the real store and queue.
 */

export interface FairShareOptions {
  reps: number;
  flood: number;
  concurrency: number;
  holdMs: number;
}

export interface FairShareResult {
  empty: Latency;
  /** No cap: B's wait for a slot, and the freed slot → B's start. */
  flooded: { toStart: Latency; slotFreedToStart: Latency; startsBeforeB: number[] };
  /** MAX_RUNS_PER_INSTALLATION = concurrency / 2: B's enqueue → start. */
  capped: { cap: number; toStart: Latency; startsBeforeB: number[] };
  /** What a first-come queue would have made B wait, from its enqueue (estimate). */
  firstComeWaitMs: number;
}

const log = pino({ level: "silent" });
const trigger = (installationId: number, n: number) => ({ kind: "issue_comment", installationId, repo: { fullName: `inst${installationId}/r` }, issue: { number: n } }) as unknown as Trigger;

interface Sample {
  toStart: number;
  slotFreedToStart: number;
  startsBeforeB: number;
}

/** One repetition: a fresh store file and queue; A's `flood` runs (0 for the empty case), then B's. */
async function once(o: FairShareOptions, flood: number, cap: number): Promise<Sample> {
  const dir = mkdtempSync(join(tmpdir(), "csb-fair-"));
  const store: Store = openSqliteStore(join(dir, "bot.db"));
  const starts: Array<{ run: RunRecord; at: number }> = [];
  const freed: number[] = [];
  const queue: RunQueue = createEmbeddedQueue({
    store,
    concurrency: o.concurrency,
    log,
    heartbeatMs: 10_000,
    maxRunsPerInstallation: cap,
    execute: async (run) => {
      starts.push({ run, at: performance.now() });
      await sleep(o.holdMs + (run.id % o.concurrency) * 100);
      await store.updateRun(run.id, { state: "succeeded", finishedAt: new Date().toISOString() });
      freed.push(performance.now());
    },
  });
  const ask = async (installationId: number, n: number) => {
    const run = await store.createRun({ threadKey: `inst${installationId}/r#${n}`, deliveryId: `d-${installationId}-${n}`, trigger: trigger(installationId, n) });
    await store.updateRun(run.id, { state: "queued" });
    await queue.enqueue({ ...run, state: "queued" });
    return run;
  };
  try {
    for (let n = 1; n <= flood; n++) await ask(1, n);
    await queue.start();
    if (flood > 0) await waitFor("A fills its slots", () => starts.length >= Math.min(o.concurrency, cap || o.concurrency), 30_000, 2);
    const asked = performance.now();
    const b = await ask(2, 1);
    await waitFor("B's run starts", () => starts.some((s) => s.run.id === b.id), 60_000, 1);
    const start = starts.find((s) => s.run.id === b.id)!;
    const freedBefore = freed.filter((t) => t <= start.at);
    return { toStart: start.at - asked, slotFreedToStart: freedBefore.length ? start.at - freedBefore[0]! : 0, startsBeforeB: starts.indexOf(start) };
  } finally {
    await queue.stop(o.holdMs * 3);
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function measureFairShare(o: FairShareOptions): Promise<FairShareResult> {
  const cap = Math.max(1, Math.floor(o.concurrency / 2));
  const empty: Sample[] = [];
  const flooded: Sample[] = [];
  const capped: Sample[] = [];
  for (let rep = 0; rep < o.reps; rep++) {
    progress(` fair share rep ${rep + 1}/${o.reps}: empty queue, ${o.flood} of A's queued, and capped at ${cap}`);
    // Interleaved, so the three see the same machine.
    empty.push(await once(o, 0, 0));
    flooded.push(await once(o, o.flood, 0));
    capped.push(await once(o, o.flood, cap));
  }
  return {
    empty: latency(empty.map((s) => s.toStart)),
    flooded: { toStart: latency(flooded.map((s) => s.toStart)), slotFreedToStart: latency(flooded.map((s) => s.slotFreedToStart)), startsBeforeB: flooded.map((s) => s.startsBeforeB) },
    capped: { cap, toStart: latency(capped.map((s) => s.toStart)), startsBeforeB: capped.map((s) => s.startsBeforeB) },
    firstComeWaitMs: Math.ceil((o.flood - o.concurrency + 1) / o.concurrency) * o.holdMs,
  };
}
