import { createRunTokens, type RunTokens } from "../../src/gateway/run-tokens.ts";
import type { RunGrant } from "../../src/store/gateway-ledger.ts";
import { openSqliteStore } from "../../src/store/sqlite-store.ts";
import type { Store } from "../../src/store/types.ts";

/** A run's grant for tests: its own installation and repository, with an optional cap. */
export function grantFor(runId: string, cap: { capUsd: number; capReason?: string } | null = null): RunGrant {
  return { runId, installationId: 7, repoFullName: "acme/widgets", capUsd: cap?.capUsd ?? null, capReason: cap ? (cap.capReason ?? `a cap of ${cap.capUsd} USD`) : null };
}

/** Run tokens over a real (in-memory SQLite) store, as the bot keeps them; `issue` takes a run id. */
export function testTokens(deps: Parameters<typeof createRunTokens>[1] = {}): Omit<RunTokens, "issue"> & { issue(runId: string): Promise<string>; store: Store } {
  const store = openSqliteStore(":memory:");
  const tokens = createRunTokens(store.gateway, deps);
  return { store, issue: (runId) => tokens.issue(grantFor(runId)), verify: tokens.verify, rebind: tokens.rebind, expire: tokens.expire, revoke: tokens.revoke };
}
