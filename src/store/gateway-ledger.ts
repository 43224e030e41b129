import type { Query, Row } from "./rows.ts";

/**
 * The model gateway's durable state, in the bot's database: run tokens (hashes only, bound to a
 * run, with the run's spending cap) and one row per model request with its usage. Any process
 * that serves `/model` verifies and meters against it, so the web and worker roles can be split,
 * and the worker reads a run's exact cost from it. The SQL is the same for both databases
 * (`?` placeholders; the PostgreSQL adapter numbers them).
 */

export const GATEWAY_MIGRATION = `
  CREATE TABLE gateway_tokens (
    hash TEXT PRIMARY KEY,
    run_id TEXT NOT NULL,
    installation_id BIGINT NOT NULL,
    repo_full_name TEXT NOT NULL,
    cap_usd DOUBLE PRECISION,
    cap_reason TEXT,
    expires_at TEXT,
    refused TEXT,
    created_at TEXT NOT NULL
  );
  CREATE INDEX gateway_tokens_run ON gateway_tokens(run_id);
  CREATE TABLE model_usage (
    id __ID__,
    run_id TEXT NOT NULL,
    installation_id BIGINT NOT NULL,
    repo_full_name TEXT NOT NULL,
    model TEXT,
    path TEXT NOT NULL,
    status INTEGER NOT NULL,
    input_tokens BIGINT NOT NULL,
    output_tokens BIGINT NOT NULL,
    cache_creation_input_tokens BIGINT NOT NULL,
    cache_read_input_tokens BIGINT NOT NULL,
    usd DOUBLE PRECISION NOT NULL,
    ttfb_ms DOUBLE PRECISION NOT NULL,
    upstream_error INTEGER NOT NULL,
    price_known INTEGER NOT NULL,
    at TEXT NOT NULL
  );
  CREATE INDEX model_usage_run ON model_usage(run_id);
  CREATE INDEX model_usage_repo_at ON model_usage(repo_full_name, at);`;

/** What a run's token grants: whose run it is, and what it may spend. */
export interface RunGrant {
  runId: string;
  installationId: number;
  repoFullName: string;
  /** USD the run may spend through the gateway; null: no cap. */
  capUsd: number | null;
  /** Which cap that is, in the report's words (e.g. "the repository's maxCostUsd (0.05 USD)"). */
  capReason: string | null;
}

export interface StoredToken extends RunGrant {
  /** ISO time after which the token is refused; null while the run goes. */
  expiresAt: string | null;
  /** Why the gateway refused the run a request (its cap), once it has. */
  refused: string | null;
}

export interface ModelUsageRow {
  runId: string;
  installationId: number;
  repoFullName: string;
  model: string | null;
  path: string;
  status: number;
  inputTokens: number;
  outputTokens: number;
  cacheCreationInputTokens: number;
  cacheReadInputTokens: number;
  usd: number;
  ttfbMs: number;
  upstreamError: boolean;
  priceKnown: boolean;
  at: string;
}

export interface UsageTotals {
  requests: number;
  upstreamErrors: number;
  inputTokens: number;
  outputTokens: number;
  cacheCreationInputTokens: number;
  cacheReadInputTokens: number;
  usd: number;
  unpricedRequests: number;
}

export interface GatewayLedger {
  /** Stores a token's hash for a run; the run's earlier tokens stop working. */
  saveToken(hash: string, grant: RunGrant, createdAt: string): Promise<void>;
  findToken(hash: string): Promise<StoredToken | null>;
  /**
   * Moves a token to another run (a warm Claude's, kept from the earlier run: its env holds that
   * token): the run's cap, metering and close apply to it from now on, and it works again until
   * that run closes. The new run's other tokens stop working. False when the token is unknown.
   */
  rebindToken(hash: string, grant: RunGrant, at: string): Promise<boolean>;
  /** The run's tokens are refused after `at` (or at once when it is earlier than a limit already set). */
  closeTokens(runId: string, at: string): Promise<void>;
  markRefused(runId: string, reason: string): Promise<void>;
  /** The cap a run was refused at (markRefused), if any. */
  refusalFor(runId: string): Promise<string | null>;
  recordUsage(row: ModelUsageRow): Promise<void>;
  runUsage(runId: string): Promise<UsageTotals>;
  /** Totals per repository of the requests since `since` (ISO), dearest first. */
  usageByRepo(since: string): Promise<Array<UsageTotals & { repoFullName: string }>>;
  /** Forgets tokens that expired before `before` (kept a while for the report's "refused" note). */
  pruneTokens(before: string): Promise<void>;
}

const TOTALS = `COUNT(*) AS requests, COALESCE(SUM(upstream_error), 0) AS upstream_errors,
  COALESCE(SUM(input_tokens), 0) AS input_tokens, COALESCE(SUM(output_tokens), 0) AS output_tokens,
  COALESCE(SUM(cache_creation_input_tokens), 0) AS cache_creation_input_tokens,
  COALESCE(SUM(cache_read_input_tokens), 0) AS cache_read_input_tokens,
  COALESCE(SUM(usd), 0) AS usd, COALESCE(SUM(1 - price_known), 0) AS unpriced`;

function toTotals(row: Row | undefined): UsageTotals {
  const n = (key: string) => Number(row?.[key] ?? 0);
  return {
    requests: n("requests"),
    upstreamErrors: n("upstream_errors"),
    inputTokens: n("input_tokens"),
    outputTokens: n("output_tokens"),
    cacheCreationInputTokens: n("cache_creation_input_tokens"),
    cacheReadInputTokens: n("cache_read_input_tokens"),
    usd: n("usd"),
    unpricedRequests: n("unpriced"),
  };
}

function toToken(row: Row): StoredToken {
  return {
    runId: String(row.run_id),
    installationId: Number(row.installation_id),
    repoFullName: String(row.repo_full_name),
    capUsd: row.cap_usd == null ? null : Number(row.cap_usd),
    capReason: row.cap_reason == null ? null : String(row.cap_reason),
    expiresAt: row.expires_at == null ? null : String(row.expires_at),
    refused: row.refused == null ? null : String(row.refused),
  };
}

export function createGatewayLedger(query: Query): GatewayLedger {
  return {
    async saveToken(hash, g, createdAt) {
      await query("UPDATE gateway_tokens SET expires_at = ? WHERE run_id = ? AND (expires_at IS NULL OR expires_at > ?)", [createdAt, g.runId, createdAt]);
      await query(
        "INSERT INTO gateway_tokens (hash, run_id, installation_id, repo_full_name, cap_usd, cap_reason, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        [hash, g.runId, g.installationId, g.repoFullName, g.capUsd, g.capReason, createdAt],
      );
    },
    async rebindToken(hash, g, at) {
      await query("UPDATE gateway_tokens SET expires_at = ? WHERE run_id = ? AND hash <> ? AND (expires_at IS NULL OR expires_at > ?)", [at, g.runId, hash, at]);
      const rows = await query(
        "UPDATE gateway_tokens SET run_id = ?, installation_id = ?, repo_full_name = ?, cap_usd = ?, cap_reason = ?, expires_at = NULL, refused = NULL WHERE hash = ? RETURNING hash",
        [g.runId, g.installationId, g.repoFullName, g.capUsd, g.capReason, hash],
      );
      return rows.length > 0;
    },
    async findToken(hash) {
      const [row] = await query("SELECT * FROM gateway_tokens WHERE hash = ?", [hash]);
      return row ? toToken(row) : null;
    },
    async closeTokens(runId, at) {
      await query("UPDATE gateway_tokens SET expires_at = ? WHERE run_id = ? AND (expires_at IS NULL OR expires_at > ?)", [at, runId, at]);
    },
    async markRefused(runId, reason) {
      await query("UPDATE gateway_tokens SET refused = ? WHERE run_id = ? AND refused IS NULL", [reason, runId]);
    },
    async refusalFor(runId) {
      const [row] = await query("SELECT refused FROM gateway_tokens WHERE run_id = ? AND refused IS NOT NULL LIMIT 1", [runId]);
      return row ? String(row.refused) : null;
    },
    async recordUsage(u) {
      await query(
        `INSERT INTO model_usage (run_id, installation_id, repo_full_name, model, path, status, input_tokens, output_tokens,
           cache_creation_input_tokens, cache_read_input_tokens, usd, ttfb_ms, upstream_error, price_known, at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        [u.runId, u.installationId, u.repoFullName, u.model, u.path, u.status, u.inputTokens, u.outputTokens, u.cacheCreationInputTokens, u.cacheReadInputTokens, u.usd, u.ttfbMs, u.upstreamError ? 1 : 0, u.priceKnown ? 1 : 0, u.at],
      );
    },
    async runUsage(runId) {
      const [row] = await query(`SELECT ${TOTALS} FROM model_usage WHERE run_id = ?`, [runId]);
      return toTotals(row);
    },
    async usageByRepo(since) {
      const rows = await query(`SELECT repo_full_name, ${TOTALS} FROM model_usage WHERE at >= ? GROUP BY repo_full_name ORDER BY usd DESC LIMIT 500`, [since]);
      return rows.map((row) => ({ repoFullName: String(row.repo_full_name), ...toTotals(row) }));
    },
    async pruneTokens(before) {
      await query("DELETE FROM gateway_tokens WHERE expires_at IS NOT NULL AND expires_at < ?", [before]);
    },
  };
}

