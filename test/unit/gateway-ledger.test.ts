import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ModelUsageRow } from "../../src/store/gateway-ledger.ts";
import { openPostgresStore } from "../../src/store/postgres-store.ts";
import { openSqliteStore } from "../../src/store/sqlite-store.ts";
import type { Store } from "../../src/store/types.ts";
import { grantFor } from "../support/gateway-tokens.ts";
import { dropSchemas, freshSchema, requirePostgres, TEST_DATABASE_URL, withSchema } from "../support/postgres.ts";

/** The model gateway's ledger (tokens and per-request usage), the same on both databases. */

const usage = (runId: string, over: Partial<ModelUsageRow> = {}): ModelUsageRow => ({
  runId,
  installationId: 7,
  repoFullName: "acme/widgets",
  model: "claude-sonnet-4-5",
  path: "/v1/messages",
  status: 200,
  inputTokens: 1000,
  outputTokens: 100,
  cacheCreationInputTokens: 10,
  cacheReadInputTokens: 20,
  usd: 0.01,
  ttfbMs: 12,
  upstreamError: false,
  priceKnown: true,
  at: "2026-12-03T10:00:00.000Z",
  ...over,
});

function ledgerContract(name: string, open: () => Promise<Store>) {
  describe(`gateway ledger: ${name}`, () => {
    let store: Store;
    beforeAll(async () => {
      store = await open();
    });
    afterAll(async () => {
      await store?.close();
    });

    it("keeps a token's grant; a new token for the run ends the old one; closing keeps the earlier limit", async () => {
      await store.gateway.saveToken("h1", grantFor("1", { capUsd: 0.5, capReason: "cap" }), "2026-12-03T10:00:00.000Z");
      expect(await store.gateway.findToken("h1")).toEqual({ ...grantFor("1", { capUsd: 0.5, capReason: "cap" }), expiresAt: null, refused: null });
      await store.gateway.saveToken("h2", grantFor("1"), "2026-12-03T10:01:00.000Z");
      expect((await store.gateway.findToken("h1"))?.expiresAt).toBe("2026-12-03T10:01:00.000Z");
      expect((await store.gateway.findToken("h2"))?.expiresAt).toBeNull();
      await store.gateway.closeTokens("1", "2026-12-03T10:05:00.000Z");
      await store.gateway.closeTokens("1", "2026-12-03T10:09:00.000Z");
      expect((await store.gateway.findToken("h2"))?.expiresAt).toBe("2026-12-03T10:05:00.000Z");
      expect(await store.gateway.findToken("nope")).toBeNull();
    });

    it("remembers the first cap a run was refused at", async () => {
      await store.gateway.saveToken("h3", grantFor("3"), "2026-12-03T10:00:00.000Z");
      expect(await store.gateway.refusalFor("3")).toBeNull();
      await store.gateway.markRefused("3", "the repository's maxCostUsd");
      await store.gateway.markRefused("3", "something later");
      expect(await store.gateway.refusalFor("3")).toBe("the repository's maxCostUsd");
    });

    it("adds up a run's requests, and repositories' since a time, dearest first", async () => {
      await store.gateway.recordUsage(usage("5"));
      await store.gateway.recordUsage(usage("5", { status: 529, upstreamError: true, usd: 0, inputTokens: 0, outputTokens: 0, cacheCreationInputTokens: 0, cacheReadInputTokens: 0 }));
      await store.gateway.recordUsage(usage("5", { model: "claude-unknown", priceKnown: false, usd: 0.1 }));
      await store.gateway.recordUsage(usage("6", { repoFullName: "acme/other", usd: 0.5, at: "2026-12-03T11:00:00.000Z" }));
      await store.gateway.recordUsage(usage("7", { repoFullName: "acme/old", at: "2026-12-01T11:00:00.000Z" }));
      const run = await store.gateway.runUsage("5");
      expect(run).toEqual({ requests: 3, upstreamErrors: 1, inputTokens: 2000, outputTokens: 200, cacheCreationInputTokens: 20, cacheReadInputTokens: 40, usd: expect.closeTo(0.11, 9), unpricedRequests: 1 });
      expect(await store.gateway.runUsage("none")).toMatchObject({ requests: 0, usd: 0 });
      const repos = await store.gateway.usageByRepo("2026-12-03T00:00:00.000Z");
      expect(repos.map((r) => [r.repoFullName, r.requests])).toEqual([["acme/other", 1], ["acme/widgets", 3]]);
    });

    it("prunes tokens that ended before a time, keeps live ones", async () => {
      await store.gateway.saveToken("old", grantFor("8"), "2026-12-01T00:00:00.000Z");
      await store.gateway.closeTokens("8", "2026-12-01T00:01:00.000Z");
      await store.gateway.saveToken("live", grantFor("9"), "2026-12-01T00:00:00.000Z");
      await store.gateway.pruneTokens("2026-12-02T00:00:00.000Z");
      expect(await store.gateway.findToken("old")).toBeNull();
      expect(await store.gateway.findToken("live")).not.toBeNull();
    });
  });
}

ledgerContract("SQLite", async () => openSqliteStore(":memory:"));

const schemas: string[] = [];
beforeAll(requirePostgres);
afterAll(async () => dropSchemas(schemas));
ledgerContract("PostgreSQL", async () => {
  const schema = freshSchema("csb_ledger");
  schemas.push(schema);
  return openPostgresStore(withSchema(TEST_DATABASE_URL, schema), { log: pino({ level: "silent" }) });
});
