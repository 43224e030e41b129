import pg from "pg";
import type { Logger } from "pino";
import { columnValue, numberedPlaceholders, receivedRun, toRun, toThread, type Query, type Row } from "./rows.ts";
import { createGatewayLedger } from "./gateway-ledger.ts";
import { createSnapshotLedger } from "./snapshot-ledger.ts";
import { createSteeringLedger } from "./steering-ledger.ts";
import { fairNextRuns, MIGRATIONS, NEXT_IN_THREAD, RECEIVED_STALE, RUN_COLUMNS, underCap } from "./sql.ts";
import type { ClaimOptions, NewRun, RunFilter, RunRecord, Store } from "./types.ts";

/**
 * The shared store: PostgreSQL through a pg.Pool, so web and worker processes on many machines see
 * the same threads and runs. Same schema and queries as the SQLite store; what SQLite gets from its
 * single writer, this gets from per-thread advisory locks (see claim below).
 */

export interface PostgresStoreOptions {
  log: Logger;
  /** Tables live in this schema (created if missing); overrides `?schema=` in the URL. */
  schema?: string;
  /** Pool size. */
  max?: number;
}

/** First key of every advisory lock this store takes, so they cannot collide with another app's. */
const LOCK_NAMESPACE = 0x43534200; // "CSB\0"
/** claimNextRun gives up (returns null) after this many rounds lost to concurrent claimers. */
const CLAIM_ROUNDS = 8;
const CANDIDATES = 16;

const now = () => new Date().toISOString();

/** `postgres://…?schema=x` → the URL pg understands plus the schema name (null: the server default). */
export function parsePostgresUrl(url: string): { connectionString: string; schema: string | null } {
  const parsed = new URL(url);
  const schema = parsed.searchParams.get("schema");
  parsed.searchParams.delete("schema");
  if (schema !== null) assertSchemaName(schema);
  return { connectionString: parsed.toString(), schema: schema || null };
}

/** Only plain lower-case identifiers: they go into search_path and DDL unquoted. */
function assertSchemaName(schema: string): void {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) {
    throw new Error(`Invalid PostgreSQL schema name "${schema}": use lower-case letters, digits and _ (at most 63).`);
  }
}

/** The URL without its password, for messages. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/([^:@/]*):[^@/]*@/, "//$1:***@");
}

export async function openPostgresStore(url: string, options: PostgresStoreOptions): Promise<Store> {
  const parsed = parsePostgresUrl(url);
  const schema = options.schema ?? parsed.schema;
  if (schema) assertSchemaName(schema);
  const pool = new pg.Pool({
    connectionString: parsed.connectionString,
    max: options.max ?? 10,
    connectionTimeoutMillis: 10_000,
    // Every connection resolves table names in this schema, so the SQL stays schema-agnostic.
    ...(schema ? { options: `-c search_path=${schema}` } : {}),
  });
  // An idle client losing its connection must not crash the process; the next query reconnects.
  pool.on("error", (error) => options.log.warn({ err: error }, "PostgreSQL connection lost"));
  const query: Query = async (sql, params) => (await pool.query(numberedPlaceholders(sql), params)).rows as Row[];

  try {
    await migrate(pool, schema);
  } catch (error) {
    await pool.end().catch(() => undefined);
    const reason = (error as Error).message || String(error);
    throw new Error(`Could not open the PostgreSQL store at ${redactUrl(url)}: ${reason}`, { cause: error });
  }

  const lockKey = (threadKey: string) => `${schema ?? ""}/${threadKey}`;
  const transaction = async <T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T> => {
    const client = await pool.connect();
    try {
      await client.query("BEGIN");
      const out = await fn(client);
      await client.query("COMMIT");
      return out;
    } catch (error) {
      await client.query("ROLLBACK").catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  };
  /**
   * The claim itself, run while holding the thread's lock: a new statement, so under READ COMMITTED
   * it sees every claim (and every createRun) that held the lock before — the thread rule is
   * re-checked against the latest committed state, never against a stale snapshot. With a cap, the
   * installation's lock is held too, so its running runs are counted the same way.
   */
  const claimLocked = async (client: pg.PoolClient, id: number, maxPerInstallation = 0): Promise<RunRecord | null> => {
    const at = now();
    const { rows } = await client.query(
      `UPDATE runs r SET state = 'running', attempts = r.attempts + 1, started_at = $2, heartbeat_at = $2
       WHERE r.id = $1 AND ${NEXT_IN_THREAD} AND ${underCap(maxPerInstallation)} RETURNING *`,
      [id, at],
    );
    return rows[0] ? toRun(rows[0] as Row) : null;
  };
  /**
   * One candidate of claimNextRun: skipped when its thread's lock is held (its holder is claiming
   * there), like SKIP LOCKED for threads. With a cap, the claims of one installation then take
   * turns on its lock (always after a thread's lock, so no two claimers wait on each other), and
   * each counts the running runs after the one before it committed: the cap holds across processes.
   */
  const claimCandidate = (row: Row, options: ClaimOptions | undefined) =>
    transaction(async (client) => {
      const lock = await client.query("SELECT pg_try_advisory_xact_lock($1, hashtext($2)) AS ok", [LOCK_NAMESPACE, lockKey(String(row.thread_key))]);
      if (!lock.rows[0]?.ok) return null;
      const cap = options?.maxPerInstallation ?? 0;
      if (cap > 0) await client.query("SELECT pg_advisory_xact_lock($1, hashtext($2))", [LOCK_NAMESPACE, lockKey(`installation:${String(row.installation_id)}`)]);
      return claimLocked(client, Number(row.id), cap);
    });
  /** Under the thread's lock, so ids within a thread are handed out in commit order: a claim can
   * never miss an older run whose insert had not committed yet. */
  const insertRun = async (client: pg.PoolClient, run: NewRun): Promise<RunRecord> => {
    await client.query("SELECT pg_advisory_xact_lock($1, hashtext($2))", [LOCK_NAMESPACE, lockKey(run.threadKey)]);
    const createdAt = now();
    const { rows } = await client.query(
      `INSERT INTO runs (thread_key, repo_full_name, installation_id, delivery_id, state, trigger_json, created_at)
       VALUES ($1, $2, $3, $4, 'received', $5, $6) RETURNING id`,
      [run.threadKey, run.trigger.repo.fullName, run.trigger.installationId, run.deliveryId, JSON.stringify(run.trigger), createdAt],
    );
    return receivedRun(run, Number((rows[0] as Row).id), createdAt);
  };
  let closed = false;

  return {
    async recordDelivery(id, event) {
      const r = await pool.query("INSERT INTO deliveries (id, event, received_at) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING", [id, event, now()]);
      return r.rowCount === 1;
    },
    async getThread(key) {
      const { rows } = await pool.query("SELECT * FROM threads WHERE key = $1", [key]);
      return rows[0] ? toThread(rows[0] as Row) : null;
    },
    async saveThread(t) {
      await pool.query(
        `INSERT INTO threads (key, repo_full_name, number, kind, branch, pr_number, session_id, transcript, sandbox_id, model, plan, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
         ON CONFLICT (key) DO UPDATE SET kind = excluded.kind, branch = excluded.branch, pr_number = excluded.pr_number,
           session_id = excluded.session_id, transcript = excluded.transcript, sandbox_id = excluded.sandbox_id, model = excluded.model, plan = excluded.plan, updated_at = excluded.updated_at`,
        [t.key, t.repoFullName, t.number, t.kind, t.branch, t.prNumber, t.sessionId, t.transcript, t.sandboxId, t.model ?? null, t.plan ?? null, now()],
      );
    },
    async createRun(run: NewRun) {
      return transaction(async (client) => insertRun(client, run));
    },
    async acceptRun(run, event, objectKey) {
      // The delivery and its run commit together: a redelivery finds the delivery, never half of it.
      return transaction(async (client) => {
        const delivery = await client.query("INSERT INTO deliveries (id, event, received_at) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING", [run.deliveryId, event, now()]);
        if (delivery.rowCount !== 1) return null;
        if (objectKey !== undefined) {
          const object = await client.query("INSERT INTO deliveries (id, event, received_at) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING", [objectKey, event, now()]);
          if (object.rowCount !== 1) return null;
        }
        return insertRun(client, run);
      });
    },
    async discardRun(id) {
      await pool.query("DELETE FROM runs WHERE id = $1 AND state = 'received'", [id]);
    },
    async claimReceived(id, staleBefore) {
      const r = await pool.query(`UPDATE runs SET heartbeat_at = $1 WHERE id = $2 AND state = 'received' AND ${RECEIVED_STALE} < $3`, [now(), id, staleBefore]);
      return r.rowCount === 1;
    },
    async getRun(id) {
      const { rows } = await pool.query("SELECT * FROM runs WHERE id = $1", [id]);
      return rows[0] ? toRun(rows[0] as Row) : null;
    },
    async updateRun(id, patch) {
      const entries = Object.entries(patch).filter(([key, value]) => RUN_COLUMNS[key] && value !== undefined);
      if (entries.length === 0) return;
      const sets = entries.map(([key], i) => `${RUN_COLUMNS[key]} = $${i + 1}`).join(", ");
      await pool.query(`UPDATE runs SET ${sets} WHERE id = $${entries.length + 1}`, [...entries.map(([key, value]) => columnValue(key, value)), id]);
    },
    async claimNextRun(options) {
      // Candidates, fairest first, come from a plain read; each is then claimed under its locks.
      for (let round = 0; round < CLAIM_ROUNDS; round++) {
        const { rows } = await pool.query(fairNextRuns(options?.maxPerInstallation, CANDIDATES));
        if (rows.length === 0) return null;
        for (const row of rows as Row[]) {
          const claimed = await claimCandidate(row, options);
          if (claimed) return claimed;
        }
        // Every candidate went to another claimer (or was being claimed): look again, briefly later.
        await new Promise((resolve) => setTimeout(resolve, 2 + Math.random() * 8));
      }
      return null;
    },
    async claimRun(id) {
      return transaction(async (client) => {
        const { rows } = await client.query("SELECT thread_key FROM runs WHERE id = $1 AND state = 'queued'", [id]);
        if (!rows[0]) return null;
        // Waits for a concurrent claim in the same thread (short transactions) so the answer is exact.
        await client.query("SELECT pg_advisory_xact_lock($1, hashtext($2))", [LOCK_NAMESPACE, lockKey(String((rows[0] as Row).thread_key))]);
        return claimLocked(client, id);
      });
    },
    async heartbeat(ids) {
      if (ids.length === 0) return;
      await pool.query("UPDATE runs SET heartbeat_at = $1 WHERE id = ANY($2::bigint[])", [now(), [...ids]]);
    },
    async listUnfinished(staleBefore) {
      const { rows } = await pool.query(
        `SELECT * FROM runs WHERE (state = 'running' AND COALESCE(heartbeat_at, started_at, created_at) < $1)
           OR (state = 'received' AND ${RECEIVED_STALE} < $1) ORDER BY id`,
        [staleBefore],
      );
      return (rows as Row[]).map(toRun);
    },
    async listRuns(filter: RunFilter) {
      const where: string[] = [];
      const values: unknown[] = [];
      const param = (value: unknown) => {
        values.push(value);
        return `$${values.length}`;
      };
      if (filter.threadKey) where.push(`thread_key = ${param(filter.threadKey)}`);
      if (filter.repoFullName) where.push(`repo_full_name = ${param(filter.repoFullName)}`);
      if (filter.states?.length) where.push(`state = ANY(${param([...filter.states])}::text[])`);
      const sql = `SELECT * FROM runs ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY id DESC LIMIT ${param(filter.limit ?? 50)}`;
      const { rows } = await pool.query(sql, values);
      return (rows as Row[]).map(toRun);
    },
    async costSince(scope, since) {
      const [column, value] = "repoFullName" in scope ? ["repo_full_name", scope.repoFullName] : ["installation_id", scope.installationId];
      const { rows } = await pool.query(`SELECT COALESCE(SUM(cost_usd), 0) AS total FROM runs WHERE ${column} = $1 AND created_at >= $2`, [value, since]);
      return Number((rows[0] as Row).total);
    },
    gateway: createGatewayLedger(query),
    snapshots: createSnapshotLedger(query),
    steering: createSteeringLedger(query, " FOR UPDATE"),
    async ping() {
      await pool.query("SELECT 1");
    },
    async close() {
      if (closed) return;
      closed = true;
      await pool.end();
    },
  };
}

/**
 * Applies pending MIGRATIONS in one transaction holding an advisory lock, so processes starting
 * together wait for the first one instead of racing to create the same tables.
 */
async function migrate(pool: pg.Pool, schema: string | null): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query("BEGIN");
    await client.query("SELECT pg_advisory_xact_lock($1, hashtext($2))", [LOCK_NAMESPACE, `migrate:${schema ?? ""}`]);
    if (schema) await client.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    await client.query("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)");
    const { rows } = await client.query("SELECT version FROM schema_migrations");
    const applied = new Set((rows as Row[]).map((r) => Number(r.version)));
    for (const [index, sql] of MIGRATIONS.entries()) {
      const version = index + 1;
      if (applied.has(version)) continue;
      try {
        await client.query(sql.replaceAll("__ID__", "BIGSERIAL PRIMARY KEY"));
      } catch (error) {
        throw new Error(`Database migration ${version} failed: ${(error as Error).message}`, { cause: error });
      }
      await client.query("INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)", [version, now()]);
    }
    await client.query("COMMIT");
  } catch (error) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}
