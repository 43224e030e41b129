import type { Query, Row } from "./rows.ts";

/**
 * The repository snapshots the bot keeps (runs/snapshots.ts): one per installation, repository
 * and setup-commands hash, the provider's snapshot id with what it holds (the default branch's
 * commit it was taken at). The key has the installation and the repository in it, so a lookup
 * can never hand one repository's (or installation's) snapshot to another. Same SQL for both
 * databases, like gateway-ledger.ts.
 */

export const SNAPSHOT_MIGRATION = `
  CREATE TABLE repo_snapshots (
    installation_id BIGINT NOT NULL,
    repo_full_name TEXT NOT NULL,
    setup_hash TEXT NOT NULL,
    provider TEXT NOT NULL,
    snapshot_id TEXT NOT NULL,
    base_branch TEXT NOT NULL,
    base_sha TEXT NOT NULL,
    size_bytes BIGINT,
    took_ms DOUBLE PRECISION NOT NULL,
    created_at TEXT NOT NULL,
    last_used_at TEXT NOT NULL,
    uses INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (installation_id, repo_full_name, setup_hash)
  );
  CREATE INDEX repo_snapshots_used ON repo_snapshots(last_used_at);`;

export interface SnapshotKey {
  installationId: number;
  repoFullName: string;
  /** runs/snapshot-policy.ts setupHash: the setup commands and the environment they get. */
  setupHash: string;
}

export interface SnapshotRecord extends SnapshotKey {
  provider: string;
  /** The provider's id (E2B: the snapshot template id; local: a directory). */
  snapshotId: string;
  baseBranch: string;
  /** The default branch's commit the snapshot holds, checked out and set up. */
  baseSha: string;
  sizeBytes: number | null;
  /** How long taking it held the run up. */
  tookMs: number;
  createdAt: string;
  lastUsedAt: string;
  uses: number;
}

export interface SnapshotLedger {
  /** The snapshot for exactly this installation, repository and setup hash; null when there is none. */
  find(key: SnapshotKey, provider: string): Promise<SnapshotRecord | null>;
  /** Keeps the record (replacing the key's earlier one); returns the replaced one's provider id, for the caller to delete. */
  save(record: Omit<SnapshotRecord, "uses">): Promise<string | null>;
  /** A run started from it: counts the use and keeps it from the reaper. */
  touch(key: SnapshotKey, at: string): Promise<void>;
  /** The most recently used records, at most 500 (the dashboard). */
  list(): Promise<SnapshotRecord[]>;
  /** This provider's records unused since `before` (ISO), oldest first, at most `limit` (the reaper's expired ones). */
  unusedSince(provider: string, before: string, limit: number): Promise<SnapshotRecord[]>;
  /** Which of these provider ids have a record (the reaper's orphan check, however many records there are). */
  recordedAmong(provider: string, ids: readonly string[]): Promise<Set<string>>;
  /** Forgets the record if it still names this provider id (a newer one for the key stays). */
  remove(key: SnapshotKey, snapshotId: string): Promise<void>;
}

const KEY = "installation_id = ? AND repo_full_name = ? AND setup_hash = ?";
/** Ids per IN (…) list: well under SQLite's and PostgreSQL's limits on bound parameters. */
const ID_CHUNK = 500;
const keyParams = (k: SnapshotKey) => [k.installationId, k.repoFullName, k.setupHash];

function toRecord(row: Row): SnapshotRecord {
  return {
    installationId: Number(row.installation_id),
    repoFullName: String(row.repo_full_name),
    setupHash: String(row.setup_hash),
    provider: String(row.provider),
    snapshotId: String(row.snapshot_id),
    baseBranch: String(row.base_branch),
    baseSha: String(row.base_sha),
    sizeBytes: row.size_bytes == null ? null : Number(row.size_bytes),
    tookMs: Number(row.took_ms),
    createdAt: String(row.created_at),
    lastUsedAt: String(row.last_used_at),
    uses: Number(row.uses),
  };
}

export function createSnapshotLedger(query: Query): SnapshotLedger {
  return {
    async find(key, provider) {
      const [row] = await query(`SELECT * FROM repo_snapshots WHERE ${KEY} AND provider = ?`, [...keyParams(key), provider]);
      return row ? toRecord(row) : null;
    },
    async save(r) {
      const [old] = await query(`SELECT snapshot_id FROM repo_snapshots WHERE ${KEY}`, keyParams(r));
      await query(`DELETE FROM repo_snapshots WHERE ${KEY}`, keyParams(r));
      await query(
        `INSERT INTO repo_snapshots (installation_id, repo_full_name, setup_hash, provider, snapshot_id, base_branch, base_sha, size_bytes, took_ms, created_at, last_used_at, uses)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0)`,
        [...keyParams(r), r.provider, r.snapshotId, r.baseBranch, r.baseSha, r.sizeBytes, r.tookMs, r.createdAt, r.lastUsedAt],
      );
      const replaced = old ? String(old.snapshot_id) : null;
      return replaced === r.snapshotId ? null : replaced;
    },
    async touch(key, at) {
      await query(`UPDATE repo_snapshots SET last_used_at = ?, uses = uses + 1 WHERE ${KEY}`, [at, ...keyParams(key)]);
    },
    async list() {
      return (await query("SELECT * FROM repo_snapshots ORDER BY last_used_at DESC LIMIT 500", [])).map(toRecord);
    },
    async unusedSince(provider, before, limit) {
      const rows = await query("SELECT * FROM repo_snapshots WHERE provider = ? AND last_used_at < ? ORDER BY last_used_at LIMIT ?", [provider, before, Math.trunc(limit)]);
      return rows.map(toRecord);
    },
    async recordedAmong(provider, ids) {
      const found = new Set<string>();
      for (let i = 0; i < ids.length; i += ID_CHUNK) {
        const chunk = ids.slice(i, i + ID_CHUNK);
        const rows = await query(`SELECT snapshot_id FROM repo_snapshots WHERE provider = ? AND snapshot_id IN (${chunk.map(() => "?").join(", ")})`, [provider, ...chunk]);
        for (const row of rows) found.add(String(row.snapshot_id));
      }
      return found;
    },
    async remove(key, snapshotId) {
      await query(`DELETE FROM repo_snapshots WHERE ${KEY} AND snapshot_id = ?`, [...keyParams(key), snapshotId]);
    },
  };
}
