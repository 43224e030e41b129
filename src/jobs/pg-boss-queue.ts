import { PgBoss, type Job, type SendOptions } from "pg-boss";
import type { Logger } from "pino";
import { createLeaseKeeper, type LeaseKeeper } from "../runs/lease-keeper.ts";
import { parsePostgresUrl } from "../store/postgres-store.ts";
import type { RunRecord, Store } from "../store/types.ts";
import type { ExecuteRun, RunQueue } from "./types.ts";

/**
 * The Postgres-mode queue: a pg-boss job {runId} per queued run, worked by any number of processes.
 * pg-boss only delivers; the store's claim decides. A job is a turn at claiming: its handler takes
 * the fairest claimable run (store.claimNextRun: one run per thread, in order; the least busy
 * installation first, under MAX_RUNS_PER_INSTALLATION), which need not be the job's own run, since
 * pg-boss hands jobs out in arrival order and one installation's flood would otherwise come first.
 * A job whose run was not taken is offered again (at once when another run took its turn, a little
 * later when nothing could be claimed); one for a run already taken is dropped.
 *
 * pg-boss features used, as optimisations the claim does not rely on:
 * - group = thread key with groupConcurrency 1: a thread whose run is executing is not fetched at
 *   all, so the runs waiting behind it cost nothing until it ends.
 * - policy "short" with singletonKey = run id: at most one waiting job per run, so recovery
 *   re-offering every queued run does not pile up duplicates.
 * - LISTEN/NOTIFY: a worker in another process wakes as soon as a run is enqueued.
 */

export interface PgBossQueueOptions {
  /** postgres:// URL; a `?schema=` in it (the store's) is ignored here. */
  connectionString: string;
  store: Store;
  /** Runs executed at once by this process. */
  concurrency: number;
  execute: ExecuteRun;
  log: Logger;
  /** How often running runs' leases are renewed (store.heartbeat). */
  heartbeatMs: number;
  /** pg-boss's own tables; default "pgboss". */
  schema?: string;
  /** How long a run that is not next in its thread yet waits before its job is tried again. */
  notNextDelayMs?: number;
  /** Fetch poll, the floor under LISTEN/NOTIFY (and what picks up delayed jobs); at least 500. */
  pollIntervalMs?: number;
  /** MAX_RUNS_PER_INSTALLATION: one installation's running runs, at most (0 or unset: no cap). */
  maxRunsPerInstallation?: number;
}

const QUEUE = "runs";
/** pg-boss's ceiling; a handler still running then is treated as failed, so never let runs reach it. */
const MAX_JOB_SECONDS = 24 * 60 * 60;

interface RunJob {
  runId: number;
}

export function createPgBossQueue(o: PgBossQueueOptions): RunQueue {
  const { connectionString } = parsePostgresUrl(o.connectionString);
  const notNextSeconds = (o.notNextDelayMs ?? 2000) / 1000;
  const pollSeconds = Math.max(0.5, (o.pollIntervalMs ?? 2000) / 1000);
  // pg-boss's own lease on a job: a dead worker's job stops holding its thread's group after this.
  const bossHeartbeatSeconds = Math.max(10, Math.ceil((o.heartbeatMs * 3) / 1000));
  const leases = createLeaseKeeper({ heartbeat: (ids) => o.store.heartbeat(ids), heartbeatMs: o.heartbeatMs, log: o.log, what: "running runs" });
  let stopping = false;
  let workId: string | null = null;

  const { boss, ready, started, reset } = lazyBoss(connectionString, o.schema ?? "pgboss", o.log);

  const jobOptions = (run: Pick<RunRecord, "id" | "threadKey">) => runJobOptions(run, bossHeartbeatSeconds);

  const handle = ([job]: Job<RunJob>[]) => handleJob({ ...o, boss, leases, jobOptions, notNextSeconds, stopping: () => stopping }, job);

  return {
    async enqueue(run) {
      await (await ready()).send(QUEUE, { runId: run.id }, jobOptions(run));
    },
    async start() {
      stopping = false;
      await ready();
      workId = await boss.work<RunJob>(
        QUEUE,
        {
          localConcurrency: o.concurrency,
          batchSize: 1,
          groupConcurrency: 1,
          pollingIntervalSeconds: pollSeconds,
          notifyPollingIntervalSeconds: pollSeconds,
        },
        handle,
      );
    },
    async stop(deadlineMs = 30_000) {
      stopping = true;
      if (!(await started())) return;
      if (workId) {
        // offWork resolves once every worker has finished its current job and stopped fetching.
        await withinMs(boss.offWork(QUEUE, { id: workId, wait: true }), deadlineMs);
        workId = null;
      }
      leases.stop();
      // Past the deadline pg-boss fails the jobs still held; their runs stay "running" until the
      // lease lapses and recovery queues them again.
      await boss.stop({ graceful: false, close: true });
      reset();
    },
    get active() {
      return leases.size;
    },
  };
}

interface JobContext extends Pick<PgBossQueueOptions, "store" | "execute" | "log" | "maxRunsPerInstallation"> {
  boss: PgBoss;
  leases: LeaseKeeper;
  jobOptions: (run: Pick<RunRecord, "id" | "threadKey">) => SendOptions;
  notNextSeconds: number;
  stopping: () => boolean;
}

/** One job: claim the fairest run and execute it; offer the job's own run again if it is still queued, or drop a duplicate. */
async function handleJob(c: JobContext, job: Job<RunJob> | undefined): Promise<void> {
  const runId = Number(job?.data?.runId);
  if (!Number.isInteger(runId)) {
    c.log.warn({ job: job?.id }, "dropping a queue job without a run id");
    return;
  }
  if (c.stopping()) {
    // Fetched while shutting down: hand it to another worker rather than start a run now.
    const run = await c.store.getRun(runId);
    if (run?.state === "queued") await c.boss.send(QUEUE, { runId }, c.jobOptions(run));
    return;
  }
  const run = await c.store.claimNextRun({ maxPerInstallation: c.maxRunsPerInstallation });
  if (run?.id !== runId) await offerAgain(c, runId, run !== null);
  if (!run) return;
  c.leases.hold(run.id);
  try {
    await c.execute(run);
  } catch (error) {
    c.log.error({ err: error, run: run.id }, "run crashed outside its own error handling");
  } finally {
    c.leases.release(run.id);
  }
}

/**
 * The job's run was not claimed. Not queued any more (finished, or taken by another turn): a
 * duplicate, done. Still queued: another run was fairer (offered again now, for the next free
 * slot), or nothing could be claimed (an older run of its thread, or its installation's cap, goes
 * first: try again shortly).
 */
async function offerAgain(c: JobContext, runId: number, anotherTookTheTurn: boolean): Promise<void> {
  const current = await c.store.getRun(runId);
  if (current?.state !== "queued") return;
  c.log.debug({ run: runId, anotherTookTheTurn }, "run not claimed for its own job; offering it again");
  await c.boss.send(QUEUE, { runId }, anotherTookTheTurn ? c.jobOptions(current) : { ...c.jobOptions(current), startAfter: c.notNextSeconds });
}

/**
 * pg-boss, started on first use: enqueue is needed before start() (recovery) and in processes
 * that never work. A failed start is tried again on the next use.
 */
function lazyBoss(connectionString: string, schema: string, log: Logger) {
  const boss = new PgBoss({ connectionString, schema, application_name: "claude-sandbox-bot", useListenNotify: true, schedule: false });
  // Without a listener an "error" event would throw; pg-boss retries its own polling anyway.
  boss.on("error", (error) => log.error({ err: error }, "pg-boss error"));
  boss.on("warning", (warning) => log.warn({ data: warning.data }, `pg-boss: ${warning.message}`));
  let booting: Promise<PgBoss> | null = null;
  const ready = (): Promise<PgBoss> => {
    booting ??= (async () => {
      await boss.start();
      await boss.createQueue(QUEUE, { policy: "short", notify: true });
      return boss;
    })().catch((error: unknown) => {
      booting = null;
      throw error;
    });
    return booting;
  };
  return {
    boss,
    ready,
    /** The started boss, or null if it never started (or failed to). */
    started: async (): Promise<PgBoss | null> => (booting ? booting.catch(() => null) : null),
    reset: () => {
      booting = null;
    },
  };
}

function runJobOptions(run: Pick<RunRecord, "id" | "threadKey">, heartbeatSeconds: number): SendOptions {
  return {
    group: { id: run.threadKey },
    singletonKey: String(run.id),
    expireInSeconds: MAX_JOB_SECONDS,
    heartbeatSeconds,
    // Only a failing claim (database trouble) throws; recovery re-offers the run if these run out.
    retryLimit: 5,
    retryDelay: 2,
    retryBackoff: true,
    retryDelayMax: 60,
  };
}

/** The promise, or nothing once ms have passed. */
async function withinMs(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([promise, new Promise((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}
