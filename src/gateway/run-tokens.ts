/**
 * Per-run model gateway tokens.
 *
 * Each run gets one random token (32 bytes = 256 bits, base64url, prefixed `csbgw_` so secret
 * scanners and humans recognise it). Only its SHA-256 hash is kept, in the bot's database, bound
 * to the run and its spending cap (store/gateway-ledger.ts), so a dump of the table hands out no
 * working credential and any process serving `/model` can check a token. The presented token is
 * hashed and the digest looked up: no string comparison of secrets.
 */
import { createHash, randomBytes } from "node:crypto";
import type { GatewayLedger, RunGrant } from "../store/gateway-ledger.ts";

export const RUN_TOKEN_PREFIX = "csbgw_";

/** How long a token stays valid after expire() marks its run as ended (late requests, final writes). */
export const DEFAULT_GRACE_MS = 60_000;
/** Tokens that ended longer ago than this are deleted (the report reads a refusal well before). */
const PRUNE_AFTER_MS = 24 * 3_600_000;

export interface RunTokens {
  /** A fresh token for the run; any earlier token of that run stops working. */
  issue(grant: RunGrant): Promise<string>;
  /** What the token grants, or null when it is unknown, revoked or expired. */
  verify(token: string): Promise<RunGrant | null>;
  /** Binds an issued token to another run (a warm Claude's next run); false when it is unknown. */
  rebind(token: string, grant: RunGrant): Promise<boolean>;
  /** The run has ended normally: its token works for the grace period, then never again. */
  expire(runId: string): Promise<void>;
  /** Cancel, stop, failure: the token stops working now. */
  revoke(runId: string): Promise<void>;
}

export function hashToken(token: string): string {
  return createHash("sha256").update(token, "utf8").digest("hex");
}

export function createRunTokens(ledger: Pick<GatewayLedger, "saveToken" | "findToken" | "closeTokens" | "pruneTokens" | "rebindToken">, deps: { now?: () => number; graceMs?: number; random?: (n: number) => Buffer } = {}): RunTokens {
  const now = deps.now ?? Date.now;
  const graceMs = deps.graceMs ?? DEFAULT_GRACE_MS;
  const random = deps.random ?? randomBytes;
  const iso = (ms: number) => new Date(ms).toISOString();
  return {
    async issue(grant) {
      if (grant.runId === "") throw new Error("run-tokens: issue() needs a run id");
      const token = RUN_TOKEN_PREFIX + random(32).toString("base64url");
      await ledger.pruneTokens(iso(now() - PRUNE_AFTER_MS));
      await ledger.saveToken(hashToken(token), grant, iso(now()));
      return token;
    },
    async verify(token) {
      if (typeof token !== "string" || !token.startsWith(RUN_TOKEN_PREFIX)) return null;
      const stored = await ledger.findToken(hashToken(token));
      if (!stored || (stored.expiresAt !== null && stored.expiresAt <= iso(now()))) return null;
      const { runId, installationId, repoFullName, capUsd, capReason } = stored;
      return { runId, installationId, repoFullName, capUsd, capReason };
    },
    async rebind(token, grant) {
      if (grant.runId === "" || !token.startsWith(RUN_TOKEN_PREFIX)) return false;
      return ledger.rebindToken(hashToken(token), grant, iso(now()));
    },
    async expire(runId) {
      await ledger.closeTokens(runId, iso(now() + graceMs));
    },
    async revoke(runId) {
      await ledger.closeTokens(runId, iso(now()));
    },
  };
}
