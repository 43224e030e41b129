import type { NewRun, RunRecord, ThreadRecord } from "./types.ts";

/** Database rows → records, for both stores. */

export type Row = Record<string, unknown>;

/**
 * A statement with `?` placeholders and its parameters → the rows it returns: how the ledgers
 * (gateway, snapshots, steering) reach either database with one SQL text.
 */
export type Query = (sql: string, params: unknown[]) => Promise<Row[]>;

/** `?` → `$1`, `$2`… for PostgreSQL (the ledgers' SQL has no `?` inside literals). */
export function numberedPlaceholders(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

const str = (v: unknown): string | null => (v == null ? null : String(v));
const num = (v: unknown): number | null => (v == null ? null : Number(v));

export function toRun(row: Row): RunRecord {
  return {
    id: Number(row.id),
    threadKey: String(row.thread_key),
    repoFullName: String(row.repo_full_name),
    installationId: Number(row.installation_id),
    deliveryId: String(row.delivery_id),
    state: row.state as RunRecord["state"],
    phase: str(row.phase),
    trigger: JSON.parse(String(row.trigger_json)),
    progressCommentId: num(row.progress_comment_id),
    attempts: Number(row.attempts),
    cancelRequested: Boolean(Number(row.cancel_requested)),
    costUsd: Number(row.cost_usd),
    createdAt: String(row.created_at),
    startedAt: str(row.started_at),
    finishedAt: str(row.finished_at),
    result: row.result_json == null ? null : JSON.parse(String(row.result_json)),
    error: str(row.error),
  };
}

/** The record of a run just inserted ("received"), without reading the row (and its JSON) back. */
export function receivedRun(run: NewRun, id: number, createdAt: string): RunRecord {
  return {
    id,
    threadKey: run.threadKey,
    repoFullName: run.trigger.repo.fullName,
    installationId: run.trigger.installationId,
    deliveryId: run.deliveryId,
    state: "received",
    phase: null,
    trigger: run.trigger,
    progressCommentId: null,
    attempts: 0,
    cancelRequested: false,
    costUsd: 0,
    createdAt,
    startedAt: null,
    finishedAt: null,
    result: null,
    error: null,
  };
}

export function toThread(row: Row): ThreadRecord {
  return {
    key: String(row.key),
    repoFullName: String(row.repo_full_name),
    number: Number(row.number),
    kind: row.kind as ThreadRecord["kind"],
    branch: String(row.branch),
    prNumber: num(row.pr_number),
    sessionId: str(row.session_id),
    transcript: str(row.transcript),
    sandboxId: str(row.sandbox_id),
    model: str(row.model),
    plan: str(row.plan),
    updatedAt: String(row.updated_at),
  };
}

/** A patch value as the database stores it. */
export function columnValue(key: string, value: unknown): string | number | null {
  if (value === null) return null;
  if (key === "result") return JSON.stringify(value);
  if (typeof value === "boolean") return value ? 1 : 0;
  return value as string | number;
}
