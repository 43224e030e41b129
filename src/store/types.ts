import type { Trigger } from "../triggers/types.ts";

/** Durable state: one row per conversation thread, one per run, one per webhook delivery. */

export interface ThreadRecord {
  key: string;
  repoFullName: string;
  number: number;
  branch: string;
  prNumber: number | null;
  sessionId: string | null;
  /** Claude's transcript (.jsonl) after the last run: restoring it lets a fresh sandbox --resume. */
  transcript: string | null;
  updatedAt: string;
}

export type RunState = "received" | "queued" | "running" | "succeeded" | "failed" | "canceled";

export interface RunRecord {
  id: number;
  threadKey: string;
  deliveryId: string;
  state: RunState;
  phase: string | null;
  trigger: Trigger;
  progressCommentId: number | null;
  attempts: number;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  /** Summary the report was built from (outcome, cost, Claude's result event). */
  result: unknown;
  error: string | null;
}

export interface NewRun {
  threadKey: string;
  deliveryId: string;
  trigger: Trigger;
}

export interface Store {
  /** false when this delivery id was seen before (GitHub redelivers). */
  recordDelivery(deliveryId: string, event: string): Promise<boolean>;
  getThread(key: string): Promise<ThreadRecord | null>;
  saveThread(thread: Omit<ThreadRecord, "updatedAt">): Promise<void>;
  createRun(run: NewRun): Promise<RunRecord>;
  getRun(id: number): Promise<RunRecord | null>;
  updateRun(id: number, patch: Partial<Pick<RunRecord, "state" | "phase" | "progressCommentId" | "startedAt" | "finishedAt" | "result" | "error" | "attempts">>): Promise<void>;
  /**
   * Atomically moves the oldest queued run whose thread has nothing running (and no older queued
   * run) to "running". One run per thread at a time, in arrival order.
   */
  claimNextRun(): Promise<RunRecord | null>;
  /** Runs left "running" or "received" by a process that died: handed back for recovery. */
  listUnfinished(): Promise<RunRecord[]>;
  close(): Promise<void>;
}
