/**
 * The schema and the claim query, shared by the SQLite and Postgres stores so both hold the same
 * data the same way. Types are the common subset (TEXT, INTEGER, BIGINT, DOUBLE PRECISION).
 */

import { GATEWAY_MIGRATION } from "./gateway-ledger.ts";
import { SNAPSHOT_MIGRATION } from "./snapshot-ledger.ts";
import { STEERING_MIGRATION } from "./steering-ledger.ts";

export const MIGRATIONS: string[] = [
  `CREATE TABLE deliveries (
     id TEXT PRIMARY KEY,
     event TEXT NOT NULL,
     received_at TEXT NOT NULL
   );
   CREATE TABLE threads (
     key TEXT PRIMARY KEY,
     repo_full_name TEXT NOT NULL,
     number INTEGER NOT NULL,
     kind TEXT NOT NULL,
     branch TEXT NOT NULL,
     pr_number INTEGER,
     session_id TEXT,
     transcript TEXT,
     sandbox_id TEXT,
     updated_at TEXT NOT NULL
   );
   CREATE TABLE runs (
     id __ID__,
     thread_key TEXT NOT NULL,
     repo_full_name TEXT NOT NULL,
     installation_id BIGINT NOT NULL,
     delivery_id TEXT NOT NULL,
     state TEXT NOT NULL,
     phase TEXT,
     trigger_json TEXT NOT NULL,
     progress_comment_id BIGINT,
     attempts INTEGER NOT NULL DEFAULT 0,
     cancel_requested INTEGER NOT NULL DEFAULT 0,
     cost_usd DOUBLE PRECISION NOT NULL DEFAULT 0,
     created_at TEXT NOT NULL,
     started_at TEXT,
     heartbeat_at TEXT,
     finished_at TEXT,
     result_json TEXT,
     error TEXT
   );
   CREATE INDEX runs_state ON runs(state, id);
   CREATE INDEX runs_thread ON runs(thread_key, state);
   CREATE INDEX runs_repo_created ON runs(repo_full_name, created_at);
   CREATE INDEX runs_installation_created ON runs(installation_id, created_at);`,
  // A thread's chosen model and its plan waiting for approval.
  `ALTER TABLE threads ADD COLUMN model TEXT;
   ALTER TABLE threads ADD COLUMN plan TEXT;`,
  // The model gateway's run tokens and per-request usage (gateway-ledger.ts).
  GATEWAY_MIGRATION,
  // Repository snapshots: a set-up checkout per installation, repository and setup hash (snapshot-ledger.ts).
  SNAPSHOT_MIGRATION,
  // Messages for a running run, and whether it takes them now (steering-ledger.ts).
  STEERING_MIGRATION,
  // An installation's latest start, for the fair claim's round robin (fairNextRuns): one index seek.
  `CREATE INDEX runs_installation_started ON runs(installation_id, started_at);`,
  // The reaper's questions of the snapshot records: which ids are recorded, which are unused since (snapshot-ledger.ts).
  `CREATE INDEX repo_snapshots_provider_id ON repo_snapshots(provider, snapshot_id);
   CREATE INDEX repo_snapshots_provider_used ON repo_snapshots(provider, last_used_at);`,
];

/** A queued run is next when its thread has nothing running and nothing older still pending. */
export const NEXT_IN_THREAD = `
  r.state = 'queued'
  AND NOT EXISTS (SELECT 1 FROM runs b WHERE b.thread_key = r.thread_key AND b.state = 'running')
  AND NOT EXISTS (SELECT 1 FROM runs o WHERE o.thread_key = r.thread_key AND o.state IN ('queued', 'received') AND o.id < r.id)`;

/**
 * When a "received" run (recorded, GitHub answered, not yet acknowledged) was last known to be in
 * someone's hands: its creation, or the acknowledging process's last heartbeat.
 */
export const RECEIVED_STALE = "COALESCE(heartbeat_at, created_at)";

/** RunPatch keys → columns. */
export const RUN_COLUMNS: Record<string, string> = {
  state: "state",
  phase: "phase",
  progressCommentId: "progress_comment_id",
  startedAt: "started_at",
  finishedAt: "finished_at",
  result: "result_json",
  error: "error",
  attempts: "attempts",
  costUsd: "cost_usd",
  cancelRequested: "cancel_requested",
};

/** How many runs of r's installation are running now (the fair-share order and the cap). */
const INSTALLATION_RUNNING = "(SELECT COUNT(*) FROM runs x WHERE x.installation_id = r.installation_id AND x.state = 'running')";

/** A cap from the config, checked here because it is interpolated: a whole number, 0 for none. */
function capValue(maxPerInstallation: number | undefined): number {
  const cap = maxPerInstallation ?? 0;
  if (!Number.isInteger(cap) || cap < 0) throw new Error(`maxPerInstallation must be a whole number ≥ 0, got ${cap}`);
  return cap;
}

/** r's installation is under the cap (always, for 0). */
export function underCap(maxPerInstallation: number | undefined): string {
  const cap = capValue(maxPerInstallation);
  return cap === 0 ? "1 = 1" : `${INSTALLATION_RUNNING} < ${cap}`;
}

/** When r's installation last had a run started ('' for never): ties in running runs go round robin. */
const INSTALLATION_LAST_START = "COALESCE((SELECT MAX(s.started_at) FROM runs s WHERE s.installation_id = r.installation_id), '')";

/**
 * The claimable runs, fairest first: next in their thread, their installation under the cap,
 * the installation with the fewest running runs first, then the one whose last start is longest
 * ago, then the oldest run. So one installation's flood of queued runs never stands in front of
 * another installation's single run, even with one worker (where both have none running when the
 * slot frees, and the oldest run alone would be the flood's).
 */
export function fairNextRuns(maxPerInstallation: number | undefined, limit: number): string {
  const cap = capValue(maxPerInstallation);
  return `WITH busy AS (SELECT installation_id, COUNT(*) AS n FROM runs WHERE state = 'running' GROUP BY installation_id)
    SELECT r.id, r.thread_key, r.installation_id FROM runs r LEFT JOIN busy ON busy.installation_id = r.installation_id
    WHERE ${NEXT_IN_THREAD}${cap === 0 ? "" : ` AND COALESCE(busy.n, 0) < ${cap}`}
    ORDER BY COALESCE(busy.n, 0), ${INSTALLATION_LAST_START}, r.id LIMIT ${Math.trunc(limit)}`;
}
