import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { DatabaseSync, type StatementSync } from "node:sqlite";
import { columnValue, receivedRun, toRun, toThread, type Query, type Row } from "./rows.ts";
import { createGatewayLedger } from "./gateway-ledger.ts";
import { createSnapshotLedger } from "./snapshot-ledger.ts";
import { createSteeringLedger } from "./steering-ledger.ts";
import { fairNextRuns, MIGRATIONS, NEXT_IN_THREAD, RECEIVED_STALE, RUN_COLUMNS } from "./sql.ts";
import type { NewRun, RunFilter, RunRecord, Store } from "./types.ts";

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
  // node:sqlite compiles a statement per prepare(): the hot ones (one per webhook) are kept.
  const statements = new Map<string, StatementSync>();
  const prep = (sql: string): StatementSync => {
    let statement = statements.get(sql);
    if (!statement) statements.set(sql, (statement = db.prepare(sql)));
    return statement;
  };
  const query: Query = async (sql, params) => prep(sql).all(...(params as Array<string | number | null>)) as Row[];
  const claim = (id: number) =>
    toRun(prep("UPDATE runs SET state = 'running', attempts = attempts + 1, started_at = ?, heartbeat_at = ? WHERE id = ? RETURNING *").get(now(), now(), id) as Row);

  const recordDelivery = (id: string, event: string): boolean =>
    Number(prep("INSERT OR IGNORE INTO deliveries (id, event, received_at) VALUES (?, ?, ?)").run(id, event, now()).changes) === 1;
  const insertRun = (run: NewRun): RunRecord => {
    const createdAt = now();
    const row = prep(
      `INSERT INTO runs (thread_key, repo_full_name, installation_id, delivery_id, state, trigger_json, created_at)
       VALUES (?, ?, ?, ?, 'received', ?, ?) RETURNING id`,
    ).get(run.threadKey, run.trigger.repo.fullName, run.trigger.installationId, run.deliveryId, JSON.stringify(run.trigger), createdAt) as Row;
    return receivedRun(run, Number(row.id), createdAt);
  };
  /**
   * Group commit: the webhook accepts of one event-loop turn share one transaction (a burst of
   * deliveries pays for one commit, not one each); each caller still learns its own outcome.
   */
  let accepting: Array<{ run: NewRun; event: string; objectKey: string | undefined; done: (run: RunRecord | null) => void; fail: (error: unknown) => void }> = [];
  const commitAccepts = () => {
    const batch = accepting;
    accepting = [];
    let outcomes: Array<RunRecord | null>;
    try {
      outcomes = transaction(() => batch.map((a) => (recordDelivery(a.run.deliveryId, a.event) && (a.objectKey === undefined || recordDelivery(a.objectKey, a.event)) ? insertRun(a.run) : null)));
    } catch (error) {
      for (const a of batch) a.fail(error);
      return;
    }
    batch.forEach((a, i) => a.done(outcomes[i]!));
  };

  return {
    async recordDelivery(id, event) {
      return recordDelivery(id, event);
    },
    async getThread(key) {
      const row = prep("SELECT * FROM threads WHERE key = ?").get(key) as Row | undefined;
      return row ? toThread(row) : null;
    },
    async saveThread(t) {
      prep(
        `INSERT INTO threads (key, repo_full_name, number, kind, branch, pr_number, session_id, transcript, sandbox_id, model, plan, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT(key) DO UPDATE SET kind = excluded.kind, branch = excluded.branch, pr_number = excluded.pr_number,
           session_id = excluded.session_id, transcript = excluded.transcript, sandbox_id = excluded.sandbox_id, model = excluded.model, plan = excluded.plan, updated_at = excluded.updated_at`,
      ).run(t.key, t.repoFullName, t.number, t.kind, t.branch, t.prNumber, t.sessionId, t.transcript, t.sandboxId, t.model ?? null, t.plan ?? null, now());
    },
    async createRun(run: NewRun) {
      return insertRun(run);
    },
    async acceptRun(run, event, objectKey) {
      // The delivery and its run commit together: a redelivery finds the delivery, never half of it.
      return new Promise((done, fail) => {
        accepting.push({ run, event, objectKey, done, fail });
        if (accepting.length === 1) setImmediate(commitAccepts);
      });
    },
    async discardRun(id) {
      prep("DELETE FROM runs WHERE id = ? AND state = 'received'").run(id);
    },
    async claimReceived(id, staleBefore) {
      const r = prep(`UPDATE runs SET heartbeat_at = ? WHERE id = ? AND state = 'received' AND ${RECEIVED_STALE} < ?`).run(now(), id, staleBefore);
      return Number(r.changes) === 1;
    },
    async getRun(id) {
      const row = prep("SELECT * FROM runs WHERE id = ?").get(id) as Row | undefined;
      return row ? toRun(row) : null;
    },
    async updateRun(id, patch) {
      const entries = Object.entries(patch).filter(([key, value]) => RUN_COLUMNS[key] && value !== undefined);
      if (entries.length === 0) return;
      const sets = entries.map(([key]) => `${RUN_COLUMNS[key]} = ?`).join(", ");
      prep(`UPDATE runs SET ${sets} WHERE id = ?`).run(...entries.map(([key, value]) => columnValue(key, value)), id);
    },
    async claimNextRun(options) {
      // One writer (BEGIN IMMEDIATE): the running counts the choice is made on cannot change under it.
      return transaction(() => {
        const row = prep(fairNextRuns(options?.maxPerInstallation, 1)).get() as Row | undefined;
        return row ? claim(Number(row.id)) : null;
      });
    },
    async claimRun(id) {
      return transaction(() => {
        const row = prep(`SELECT r.id FROM runs r WHERE r.id = ? AND ${NEXT_IN_THREAD}`).get(id) as Row | undefined;
        return row ? claim(id) : null;
      });
    },
    async heartbeat(ids) {
      if (ids.length === 0) return;
      prep("UPDATE runs SET heartbeat_at = ? WHERE id IN (SELECT value FROM json_each(?))").run(now(), JSON.stringify(ids));
    },
    async listUnfinished(staleBefore) {
      return (
        db
          .prepare(
            `SELECT * FROM runs WHERE (state = 'running' AND COALESCE(heartbeat_at, started_at, created_at) < ?)
               OR (state = 'received' AND ${RECEIVED_STALE} < ?) ORDER BY id`,
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
      const row = prep(`SELECT COALESCE(SUM(cost_usd), 0) AS total FROM runs WHERE ${column} = ? AND created_at >= ?`).get(value, since) as Row;
      return Number(row.total);
    },
    gateway: createGatewayLedger(query),
    snapshots: createSnapshotLedger(query),
    steering: createSteeringLedger(query, ""),
    async ping() {
      prep("SELECT 1").get();
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
