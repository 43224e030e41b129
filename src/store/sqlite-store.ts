import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { columnValue, toRun, toThread, type Row } from "./rows.ts";
import { MIGRATIONS, NEXT_IN_THREAD, RUN_COLUMNS } from "./sql.ts";
import type { NewRun, RunFilter, Store } from "./types.ts";

/** The embedded store: node:sqlite, one file, no native addon. Migrations run on open. */

const now = () => new Date().toISOString();

export function openSqliteStore(path: string): Store {
  if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
  const db = new DatabaseSync(path);
  // WAL with synchronous=NORMAL: a committed run survives the bot being killed (kill -9); only an
  // OS crash or power loss can drop the last moments. FULL costs an fsync per webhook on the
  // acknowledgement's path.
  db.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 5000;");
  migrate(db);

  /** node:sqlite is synchronous: a transaction here cannot interleave with another in this process. */
  const transaction = <T>(fn: () => T): T => {
    db.exec("BEGIN IMMEDIATE");
    try {
      const out = fn();
      db.exec("COMMIT");
      return out;
    } catch (error) {
      db.exec("ROLLBACK");
      throw error;
    }
  };
  const claim = (id: number) =>
    toRun(db.prepare("UPDATE runs SET state = 'running', attempts = attempts + 1, started_at = ?, heartbeat_at = ? WHERE id = ? RETURNING *").get(now(), now(), id) as Row);

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
        `INSERT INTO threads (key, repo_full_name, number, kind, branch, pr_number, session_id, transcript, sandbox_id, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT(key) DO UPDATE SET kind = excluded.kind, branch = excluded.branch, pr_number = excluded.pr_number,
           session_id = excluded.session_id, transcript = excluded.transcript, sandbox_id = excluded.sandbox_id, updated_at = excluded.updated_at`,
      ).run(t.key, t.repoFullName, t.number, t.kind, t.branch, t.prNumber, t.sessionId, t.transcript, t.sandboxId, now());
    },
    async createRun(run: NewRun) {
      const row = db
        .prepare(
          `INSERT INTO runs (thread_key, repo_full_name, installation_id, delivery_id, state, trigger_json, created_at)
           VALUES (?, ?, ?, ?, 'received', ?, ?) RETURNING *`,
        )
        .get(run.threadKey, run.trigger.repo.fullName, run.trigger.installationId, run.deliveryId, JSON.stringify(run.trigger), now()) as Row;
      return toRun(row);
    },
    async getRun(id) {
      const row = db.prepare("SELECT * FROM runs WHERE id = ?").get(id) as Row | undefined;
      return row ? toRun(row) : null;
    },
    async updateRun(id, patch) {
      const entries = Object.entries(patch).filter(([key, value]) => RUN_COLUMNS[key] && value !== undefined);
      if (entries.length === 0) return;
      const sets = entries.map(([key]) => `${RUN_COLUMNS[key]} = ?`).join(", ");
      db.prepare(`UPDATE runs SET ${sets} WHERE id = ?`).run(...entries.map(([key, value]) => columnValue(key, value)), id);
    },
    async claimNextRun() {
      return transaction(() => {
        const row = db.prepare(`SELECT r.id FROM runs r WHERE ${NEXT_IN_THREAD} ORDER BY r.id LIMIT 1`).get() as Row | undefined;
        return row ? claim(Number(row.id)) : null;
      });
    },
    async claimRun(id) {
      return transaction(() => {
        const row = db.prepare(`SELECT r.id FROM runs r WHERE r.id = ? AND ${NEXT_IN_THREAD}`).get(id) as Row | undefined;
        return row ? claim(id) : null;
      });
    },
    async heartbeat(ids) {
      if (ids.length === 0) return;
      db.prepare(`UPDATE runs SET heartbeat_at = ? WHERE id IN (${ids.map(() => "?").join(", ")})`).run(now(), ...ids);
    },
    async listUnfinished(staleBefore) {
      return (
        db
          .prepare(
            `SELECT * FROM runs WHERE (state = 'running' AND COALESCE(heartbeat_at, started_at, created_at) < ?)
               OR (state = 'received' AND created_at < ?) ORDER BY id`,
          )
          .all(staleBefore, staleBefore) as Row[]
      ).map(toRun);
    },
    async listRuns(filter: RunFilter) {
      const where: string[] = [];
      const values: Array<string | number> = [];
      if (filter.threadKey) {
        where.push("thread_key = ?");
        values.push(filter.threadKey);
      }
      if (filter.repoFullName) {
        where.push("repo_full_name = ?");
        values.push(filter.repoFullName);
      }
      if (filter.states?.length) {
        where.push(`state IN (${filter.states.map(() => "?").join(", ")})`);
        values.push(...filter.states);
      }
      const sql = `SELECT * FROM runs ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY id DESC LIMIT ?`;
      return (db.prepare(sql).all(...values, filter.limit ?? 50) as Row[]).map(toRun);
    },
    async costSince(scope, since) {
      const [column, value] = "repoFullName" in scope ? ["repo_full_name", scope.repoFullName] : ["installation_id", scope.installationId];
      const row = db.prepare(`SELECT COALESCE(SUM(cost_usd), 0) AS total FROM runs WHERE ${column} = ? AND created_at >= ?`).get(value, since) as Row;
      return Number(row.total);
    },
    async ping() {
      db.prepare("SELECT 1").get();
    },
    async close() {
      if (db.isOpen) db.close();
    },
  };
}

function migrate(db: DatabaseSync): void {
  db.exec("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)");
  const applied = new Set((db.prepare("SELECT version FROM schema_migrations").all() as Row[]).map((r) => Number(r.version)));
  MIGRATIONS.forEach((sql, index) => {
    const version = index + 1;
    if (applied.has(version)) return;
    db.exec("BEGIN");
    try {
      db.exec(sql.replaceAll("__ID__", "INTEGER PRIMARY KEY AUTOINCREMENT"));
      db.prepare("INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)").run(version, now());
      db.exec("COMMIT");
    } catch (error) {
      db.exec("ROLLBACK");
      throw new Error(`Database migration ${version} failed: ${(error as Error).message}`);
    }
  });
}
