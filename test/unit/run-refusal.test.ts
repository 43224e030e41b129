import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DEFAULT_REPO_CONFIG, parseRepoConfig, type RepoConfig } from "../../src/config/repo-config.ts";
import { checkRunRequest } from "../../src/intake/run-refusal.ts";
import { openSqliteStore } from "../../src/store/sqlite-store.ts";
import type { Store } from "../../src/store/types.ts";
import { sampleTrigger } from "../support/sample-trigger.ts";

/** Intake's checks before a run is accepted: the model asked for, and a `go` with something to approve (a real store). */

const KEY = "acme/widgets#12";
const thread = { key: KEY, repoFullName: "acme/widgets", number: 12, kind: "issue" as const, branch: "claude/issue-12", prNumber: null, sessionId: null, transcript: null, sandboxId: null };
const models = (() => {
  const parsed = parseRepoConfig({ models: { allowed: ["opus"] } });
  if (!parsed.ok) throw new Error(parsed.message);
  return parsed.config;
})();

describe("checkRunRequest", () => {
  let store: Store;
  beforeEach(async () => {
    store = await openSqliteStore(join(mkdtempSync(join(tmpdir(), "csb-refusal-")), "bot.db"));
  });
  afterEach(async () => {
    await store.close();
  });
  const check = (decision: Parameters<typeof checkRunRequest>[1], config: RepoConfig = models) => checkRunRequest({ store, threadKey: KEY, config, deploymentModel: "sonnet" }, decision);
  const run = { intent: { type: "run", mode: "code" } } as const;

  it("passes a request without options, and an allowed model in the config's spelling", async () => {
    expect(await check(run)).toEqual({ ok: true });
    expect(await check({ ...run, model: "Opus" })).toEqual({ ok: true, model: "opus" });
    expect(await check({ ...run, model: "sonnet" })).toEqual({ ok: true, model: "sonnet" });
  });

  it("refuses another model, listing the allowed ones", async () => {
    const refused = await check({ ...run, model: "gpt-5" });
    expect(refused).toMatchObject({ ok: false, reason: "model" });
    expect(!refused.ok && refused.message).toContain("`sonnet`, `opus`");
    const none = await checkRunRequest({ store, threadKey: KEY, config: DEFAULT_REPO_CONFIG, deploymentModel: undefined }, { ...run, model: "opus" });
    expect(!none.ok && none.message).toContain("runs the default model only");
  });

  it("lets a go through only with a pending plan, or a plan run on its way", async () => {
    expect(await check({ ...run, approvesPlan: true })).toMatchObject({ ok: false, reason: "no-plan" });
    const planRun = await store.createRun({ threadKey: KEY, deliveryId: "p", trigger: sampleTrigger({ mode: "plan" }) });
    expect(await check({ ...run, approvesPlan: true })).toEqual({ ok: true });
    await store.updateRun(planRun.id, { state: "succeeded" });
    expect(await check({ ...run, approvesPlan: true })).toMatchObject({ ok: false, reason: "no-plan" });
    await store.saveThread({ ...thread, plan: "- [ ] step" });
    expect(await check({ ...run, approvesPlan: true })).toEqual({ ok: true });
    await store.saveThread({ ...thread, plan: null });
    expect(await check({ ...run, approvesPlan: true })).toMatchObject({ ok: false, reason: "no-plan" });
  });
});
