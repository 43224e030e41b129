import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { DatabaseSync } from "node:sqlite";
import type { NewRun, RunRecord, Store, ThreadRecord } from "./types.ts";

/** The embedded store: node:sqlite, one file, no native addon. Migrations run on open. */

const MIGRATIONS: string[] = [
  `CREATE TABLE deliveries (
     id TEXT PRIMARY KEY,
     event TEXT NOT NULL,
     received_at TEXT NOT NULL
   );
   CREATE TABLE threads (
     key TEXT PRIMARY KEY,
     repo_full_name TEXT NOT NULL,
     number INTEGER NOT NULL,
     branch TEXT NOT NULL,
     pr_number INTEGER,
     session_id TEXT,
     transcript TEXT,
     updated_at TEXT NOT NULL
   );
   CREATE TABLE runs (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     thread_key TEXT NOT NULL,
     delivery_id TEXT NOT NULL,
     state TEXT NOT NULL,
     phase TEXT,
     trigger_json TEXT NOT NULL,
     progress_comment_id INTEGER,
     attempts INTEGER NOT NULL DEFAULT 0,
     created_at TEXT NOT NULL,
     started_at TEXT,
     finished_at TEXT,
     result_json TEXT,
     error TEXT
   );
   CREATE INDEX runs_state ON runs(state, id);
   CREATE INDEX runs_thread ON runs(thread_key, state);`,
];

type Row = Record<string, unknown>;

function toRun(row: Row): RunRecord {
  return {
    id: Number(row.id),
    threadKey: String(row.thread_key),
    deliveryId: String(row.delivery_id),
    state: row.state as RunRecord["state"],
    phase: (row.phase as string | null) ?? null,
    trigger: JSON.parse(String(row.trigger_json)),
    progressCommentId: row.progress_comment_id == null ? null : Number(row.progress_comment_id),
    attempts: Number(row.attempts),
    createdAt: String(row.created_at),
    startedAt: (row.started_at as string | null) ?? null,
    finishedAt: (row.finished_at as string | null) ?? null,
    result: row.result_json == null ? null : JSON.parse(String(row.result_json)),
    error: (row.error as string | null) ?? null,
  };
}

function toThread(row: Row): ThreadRecord {
  return {
    key: String(row.key),
    repoFullName: String(row.repo_full_name),
    number: Number(row.number),
    branch: String(row.branch),
    prNumber: row.pr_number == null ? null : Number(row.pr_number),
    sessionId: (row.session_id as string | null) ?? null,
    transcript: (row.transcript as string | null) ?? null,
    updatedAt: String(row.updated_at),
  };
}

const now = () => new Date().toISOString();

export function openSqliteStore(path: string): Store {
  if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
  const db = new DatabaseSync(path);
  db.exec("PRAGMA journal_mode = WAL; PRAGMA busy_timeout = 5000; PRAGMA foreign_keys = ON;");
  migrate(db);

  const runColumns: Record<string, string> = {
    state: "state",
    phase: "phase",
    progressCommentId: "progress_comment_id",
    startedAt: "started_at",
    finishedAt: "finished_at",
    result: "result_json",
    error: "error",
    attempts: "attempts",
  };

  return {
    async recordDelivery(id, event) {
      const r = db.prepare("INSERT OR IGNORE INTO deliveries (id, event, received_at) VALUES (?, ?, ?)").run(id, event, now());
      return Number(r.changes) === 1;
    },
    async getThread(key) {
      const row = db.prepare("SELECT * FROM threads WHERE key = ?").get(key) as Row | undefined;
      return row ? toThread(row) : null;
    },
    async saveThread(t) {
      db.prepare(
        `INSERT INTO threads (key, repo_full_name, number, branch, pr_number, session_id, transcript, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT(key) DO UPDATE SET branch = excluded.branch, pr_number = excluded.pr_number,
           session_id = excluded.session_id, transcript = excluded.transcript, updated_at = excluded.updated_at`,
      ).run(t.key, t.repoFullName, t.number, t.branch, t.prNumber, t.sessionId, t.transcript, now());
    },
    async createRun(run: NewRun) {
      const row = db
        .prepare(
          `INSERT INTO runs (thread_key, delivery_id, state, trigger_json, created_at)
           VALUES (?, ?, 'received', ?, ?) RETURNING *`,
        )
        .get(run.threadKey, run.deliveryId, JSON.stringify(run.trigger), now()) as Row;
      return toRun(row);
    },
    async getRun(id) {
      const row = db.prepare("SELECT * FROM runs WHERE id = ?").get(id) as Row | undefined;
      return row ? toRun(row) : null;
    },
    async updateRun(id, patch) {
      const sets: string[] = [];
      const values: Array<string | number | null> = [];
      for (const [key, value] of Object.entries(patch)) {
        const column = runColumns[key];
        if (!column || value === undefined) continue;
        sets.push(`${column} = ?`);
        values.push(key === "result" ? JSON.stringify(value) : (value as string | number | null));
      }
      if (sets.length === 0) return;
      db.prepare(`UPDATE runs SET ${sets.join(", ")} WHERE id = ?`).run(...values, id);
    },
    async claimNextRun() {
      // node:sqlite is synchronous, so this read-then-write cannot interleave with another claim
      // in this process; BEGIN IMMEDIATE guards against a second process on the same file.
      db.exec("BEGIN IMMEDIATE");
      try {
        const row = db
          .prepare(
            `SELECT r.id FROM runs r
             WHERE r.state = 'queued'
               AND NOT EXISTS (SELECT 1 FROM runs b WHERE b.thread_key = r.thread_key AND b.state = 'running')
               AND NOT EXISTS (SELECT 1 FROM runs o WHERE o.thread_key = r.thread_key AND o.state IN ('queued', 'received') AND o.id < r.id)
             ORDER BY r.id LIMIT 1`,
          )
          .get() as Row | undefined;
        if (!row) {
          db.exec("COMMIT");
          return null;
        }
        const claimed = db
          .prepare("UPDATE runs SET state = 'running', attempts = attempts + 1, started_at = ? WHERE id = ? RETURNING *")
          .get(now(), row.id as number) as Row;
        db.exec("COMMIT");
        return toRun(claimed);
      } catch (error) {
        db.exec("ROLLBACK");
        throw error;
      }
    },
    async listUnfinished() {
      const rows = db.prepare("SELECT * FROM runs WHERE state IN ('running', 'received') ORDER BY id").all() as Row[];
      return rows.map(toRun);
    },
    async close() {
      db.close();
    },
  };
}

function migrate(db: DatabaseSync): void {
  db.exec("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)");
  const applied = new Set(
    (db.prepare("SELECT version FROM schema_migrations").all() as Row[]).map((r) => Number(r.version)),
  );
  MIGRATIONS.forEach((sql, index) => {
    const version = index + 1;
    if (applied.has(version)) return;
    db.exec("BEGIN");
    try {
      db.exec(sql);
      db.prepare("INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)").run(version, now());
      db.exec("COMMIT");
    } catch (error) {
      db.exec("ROLLBACK");
      throw new Error(`Database migration ${version} failed: ${(error as Error).message}`);
    }
  });
}
