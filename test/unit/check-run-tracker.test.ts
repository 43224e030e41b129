import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Octokit } from "@octokit/rest";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCheckRun, MAX_CHECK_SUMMARY } from "../../src/github/check-runs.ts";
import type { GitHubClient } from "../../src/github/octokit-types.ts";
import { createCheckRunTracker } from "../../src/runs/check-run-tracker.ts";
import type { RunSummary } from "../../src/runs/outcome.ts";
import { openSqliteStore } from "../../src/store/sqlite-store.ts";
import type { RunRecord, Store } from "../../src/store/types.ts";
import type { Trigger } from "../../src/triggers/types.ts";
import { waitFor } from "../support/wait-for.ts";
import { startFakeGitHub, type FakeGitHub, type RepoInfo } from "../support/fake-github/index.ts";

/** The check run tracker against the fake GitHub (GitHub's contract) and a real SQLite store. */

const summary: RunSummary = { runId: 0, outcome: "no_changes", branch: "b", branchUrl: "u", durationMs: 1, phaseMs: {}, sandboxCostUsd: 0, result: null, session: "new", files: [] };

describe("check run tracker", () => {
  let gh: FakeGitHub;
  let repo: RepoInfo;
  let store: Store;
  let dir: string;
  let sha: string;
  const clientWith = (permissions?: Record<string, string>) =>
    new Octokit({ auth: gh.issueToken(permissions ? { permissions } : {}).token, baseUrl: `${gh.url}/api/v3` }) as unknown as GitHubClient;
  const newRun = async (n: number): Promise<RunRecord> =>
    store.createRun({ threadKey: `${repo.fullName}#${n}`, deliveryId: `d${n}`, trigger: { installationId: gh.installationId, repo: { owner: repo.owner, name: repo.name, fullName: repo.fullName } } as unknown as Trigger });
  const tracker = (run: RunRecord, client: GitHubClient) =>
    createCheckRunTracker({ run, client, store, config: { enabled: true, name: "bot-check" }, settings: {}, intervalMs: 10, log: pino({ level: "silent" }), now: Date.now });

  beforeAll(async () => {
    gh = await startFakeGitHub();
    repo = await gh.createRepo({ owner: "acme", name: "checks" });
    sha = (await gh.git.log(repo.fullName, "main"))[0]!.sha;
    dir = await mkdtemp(join(tmpdir(), "csb-check-run-"));
    store = openSqliteStore(join(dir, "bot.db"));
  });
  afterAll(async () => {
    await store?.close();
    await gh?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("a restarted run edits the check run its earlier attempt created, kept with the run", async () => {
    const run = await newRun(1);
    const first = tracker(run, clientWith());
    first.headKnown(sha);
    first.phase("agent");
    // The first attempt dies here, once its check run exists, without finishing.
    await waitFor("the first attempt's check run", () => first.record, 10_000);
    expect(gh.state.checkRuns.filter((c) => c.externalId === String(run.id))).toHaveLength(1);

    const again = tracker((await store.getRun(run.id))!, clientWith());
    again.headKnown(sha);
    await again.finish({ ...summary, runId: run.id }, true);
    const runs = gh.state.checkRuns.filter((c) => c.externalId === String(run.id));
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({ name: "bot-check", headSha: sha, status: "completed", conclusion: "neutral" });
    expect(gh.unexpected).toEqual([]);
  });

  it("an installation without checks: write gets one refused call, then no more, and the run goes on", async () => {
    gh.clearLogs();
    const run = await newRun(2);
    const t = tracker(run, clientWith({ contents: "write", issues: "write", pull_requests: "write", metadata: "read" }));
    t.headKnown(sha);
    t.phase("agent");
    await t.finish({ ...summary, runId: run.id, pushedSha: sha }, true);
    const calls = gh.requests.filter((r) => r.path.startsWith(`/repos/${repo.fullName}/check-runs`));
    expect(calls.map((r) => [r.method, r.status])).toEqual([["POST", 403]]);
    gh.clearLogs();
  });

  it("keeps a summary within GitHub's 65535 characters (the fake refuses longer ones, as GitHub does)", async () => {
    const client = clientWith();
    const long = "x".repeat(MAX_CHECK_SUMMARY + 100);
    const id = await createCheckRun(client, { owner: repo.owner, repo: repo.name }, { name: "bot-check", headSha: sha, externalId: "long", view: { status: "in_progress", title: "t", summary: long }, now: new Date() });
    expect(gh.state.checkRuns.find((c) => c.id === id)?.output.summary).toHaveLength(MAX_CHECK_SUMMARY);
    await expect(client.request("POST /repos/{owner}/{repo}/check-runs", { owner: repo.owner, repo: repo.name, name: "raw", head_sha: sha, output: { title: "t", summary: long } })).rejects.toMatchObject({ status: 422 });
    await expect(client.request("POST /repos/{owner}/{repo}/check-runs", { owner: repo.owner, repo: repo.name, name: "raw", head_sha: sha, status: "completed" })).rejects.toMatchObject({ status: 422 });
    gh.clearLogs();
  });
});
