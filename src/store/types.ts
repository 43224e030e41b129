import type { GatewayLedger } from "./gateway-ledger.ts";
import type { SnapshotLedger } from "./snapshot-ledger.ts";
import type { SteeringLedger } from "./steering-ledger.ts";
import type { Trigger } from "../triggers/types.ts";

/** Durable state: one row per conversation thread, one per run, one per webhook delivery. */

export type ThreadKind = "issue" | "pull";

export interface ThreadRecord {
  key: string;
  repoFullName: string;
  number: number;
  kind: ThreadKind;
  branch: string;
  prNumber: number | null;
  sessionId: string | null;
  /** Claude's transcript (.jsonl) after the last run: restoring it lets a fresh sandbox --resume. */
  transcript: string | null;
  /** A paused sandbox that still holds the checkout and the session (the fast resume path). */
  sandboxId: string | null;
  /** The model the thread's last run was asked to use (`@bot /model <name>`): follow-ups keep it. */
  model?: string | null;
  /** A plan run's plan, waiting for `@bot go`; any other run in the thread drops it. */
  plan?: string | null;
  updatedAt: string;
}

export type RunState = "received" | "queued" | "running" | "succeeded" | "failed" | "canceled";

export interface RunRecord {
  id: number;
  threadKey: string;
  repoFullName: string;
  installationId: number;
  deliveryId: string;
  state: RunState;
  phase: string | null;
  trigger: Trigger;
  progressCommentId: number | null;
  attempts: number;
  /** Someone asked to stop it (`@bot stop`); the worker running it aborts. */
  cancelRequested: boolean;
  /** Claude's cost plus the sandbox's, once finished: what daily budgets add up. */
  costUsd: number;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  /** Summary the report was built from (outcome, phases, cost, Claude's result event). */
  result: unknown;
  error: string | null;
}

export interface NewRun {
  threadKey: string;
  deliveryId: string;
  trigger: Trigger;
}

export type RunPatch = Partial<
  Pick<RunRecord, "state" | "phase" | "progressCommentId" | "startedAt" | "finishedAt" | "result" | "error" | "attempts" | "costUsd" | "cancelRequested">
>;

export interface RunFilter {
  threadKey?: string;
  repoFullName?: string;
  states?: readonly RunState[];
  /** Newest first; default 50. */
  limit?: number;
}

export interface Store {
  /** false when this delivery id was seen before (GitHub redelivers). */
  recordDelivery(deliveryId: string, event: string): Promise<boolean>;
  getThread(key: string): Promise<ThreadRecord | null>;
  saveThread(thread: Omit<ThreadRecord, "updatedAt">): Promise<void>;
  /** Creates the run in state "received" (recorded, not yet acknowledged nor queued). */
  createRun(run: NewRun): Promise<RunRecord>;
  /**
   * A webhook's run: records the delivery and creates the run ("received") in one transaction.
   * null when the delivery id was seen before (GitHub redelivered it): no second run. With
   * objectKey (the triggering comment/review and action), also null when that object was accepted
   * before under another delivery id; the key is kept with the delivery ids.
   */
  acceptRun(run: NewRun, event: string, objectKey?: string): Promise<RunRecord | null>;
  /** Deletes a run still "received" (its requester turned out not to be allowed, or over budget). */
  discardRun(id: number): Promise<void>;
  /**
   * Takes a "received" run whose acknowledging process has gone quiet (no heartbeat since
   * staleBefore) for this process to acknowledge: true for exactly one caller.
   */
  claimReceived(id: number, staleBefore: string): Promise<boolean>;
  getRun(id: number): Promise<RunRecord | null>;
  updateRun(id: number, patch: RunPatch): Promise<void>;
  /**
   * Atomically moves a queued run whose thread has nothing running (and no older run pending) to
   * "running", counting the attempt. One run per thread at a time, in arrival order. Across
   * installations it is fair: the run comes from the installation with the fewest running runs
   * (ties: the one whose last run started longest ago, then the oldest run), and none from one
   * already at `maxPerInstallation` running runs.
   */
  claimNextRun(options?: ClaimOptions): Promise<RunRecord | null>;
  /** Moves this queued run to "running" if its thread is free and it is next in line; else null. */
  claimRun(id: number): Promise<RunRecord | null>;
  /** The worker executing these runs is alive: extends their lease. */
  heartbeat(ids: readonly number[]): Promise<void>;
  /**
   * Runs a dead process left behind: "running" ones whose last heartbeat (or start) is older than
   * staleBefore, and "received" ones whose last heartbeat (or creation) is.
   */
  listUnfinished(staleBefore: string): Promise<RunRecord[]>;
  listRuns(filter: RunFilter): Promise<RunRecord[]>;
  /** Sum of costUsd of runs created since `since` (ISO), for one repository or installation. */
  costSince(scope: { repoFullName: string } | { installationId: number }, since: string): Promise<number>;
  /** The model gateway's run tokens and per-request usage. */
  readonly gateway: GatewayLedger;
  /** The repository snapshots new threads start from. */
  readonly snapshots: SnapshotLedger;
  /** Messages for running runs (a mention steering the agent while it works). */
  readonly steering: SteeringLedger;
  /** Throws when the database cannot be reached (readiness). */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export interface ClaimOptions {
  /** At most this many running runs per installation, counted in the store (all processes); 0 or unset: no cap. */
  maxPerInstallation?: number;
}
