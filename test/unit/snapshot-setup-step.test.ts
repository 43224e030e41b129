import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_REPO_CONFIG } from "../../src/config/repo-config.ts";
import { renderReport } from "../../src/runs/report/render-report.ts";
import type { RunContext } from "../../src/runs/run-context.ts";
import { setUp } from "../../src/runs/setup-step.ts";
import { createLocalProvider } from "../../src/sandbox/local.ts";
import type { Sandbox, SandboxProvider } from "../../src/sandbox/types.ts";
import type { SnapshotRecord } from "../../src/store/snapshot-ledger.ts";
import { openSqliteStore } from "../../src/store/sqlite-store.ts";
import type { Store } from "../../src/store/types.ts";
import { createRedactor } from "../../src/util/redact.ts";

/**
 * What the setup step notes of the repository snapshot for the report, with a real local sandbox,
 * real git and the SQLite store: the first run takes one, a run from a snapshot a day old skips
 * the setup and refreshes it, one after a lockfile change re-runs the setup and takes a new one.
 * The run's clock moves only while the provider takes a snapshot (40 s each), so the time the
 * report gives is exactly the time the run's sandbox spent on it, on the clock its cost is timed by.
 */

const SNAPSHOT_MS = 40_000;
const HOUR = 3_600_000;
const KEY = { installationId: 7, repoFullName: "acme/widgets" };
const git = async (sandbox: Sandbox, ...args: string[]) => {
  const r = await sandbox.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.com", ...args]);
  if (r.exitCode !== 0) throw new Error(`git ${args.join(" ")}: ${r.stderr}`);
  return r.stdout.trim();
};

let root: string;
let store: Store;
let local: SandboxProvider;
let clock = Date.parse("2026-12-01T09:00:00Z");
let failCreate = false;
const entered: string[] = [];

/** The local provider, its snapshots taking SNAPSHOT_MS of the run's clock (or failing). */
function provider(): SandboxProvider {
  const snapshots = local.snapshots!;
  return {
    ...local,
    snapshots: {
      ...snapshots,
      async create(sandbox, labels) {
        if (failCreate) throw new Error("no space left for the snapshot");
        clock += SNAPSHOT_MS;
        return snapshots.create(sandbox, labels);
      },
    },
  };
}

function context(): RunContext {
  const config = { ...DEFAULT_REPO_CONFIG, setup: ["mkdir -p node_modules && cp package-lock.json node_modules/lock-copy"] };
  return {
    config,
    trigger: { installationId: KEY.installationId, repo: { fullName: KEY.repoFullName, defaultBranch: "main" } },
    deps: { store, sandboxes: provider(), settings: { sandboxTimeoutMs: 600_000 } },
    log: pino({ level: "silent" }),
    now: () => clock,
    extraEnv: {},
    redact: createRedactor([]),
    runTimeoutMs: 600_000,
    cancel: { signal: new AbortController().signal },
    progress: { enter: async (phase: string) => void entered.push(phase) },
    trail: {},
  } as unknown as RunContext;
}

/** A run of setUp on a thread branch made from `sha` (as the clone step leaves it). */
async function setUpRun(sandbox: Sandbox, sha: string, issue: number, fromSnapshot: SnapshotRecord | null) {
  entered.length = 0;
  const ctx = context();
  const branch = `claude/issue-${issue}`;
  await git(sandbox, "checkout", "-q", "-B", branch, sha);
  await setUp(ctx, { sandbox, checkout: { branch, startSha: sha, branchExisted: false }, plan: { branch, base: "main", fetchRef: null, push: true, openPull: true }, fromSnapshot, cloned: fromSnapshot === null });
  return ctx.trail.snapshot;
}

const recordOf = async () => (await store.snapshots.list()).find((r) => r.repoFullName === KEY.repoFullName)!;

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), "csb-snap-setup-"));
  local = createLocalProvider({ root, log: pino({ level: "silent" }) });
  store = openSqliteStore(join(root, "bot.db"));
});
afterAll(async () => {
  await store.close();
  rmSync(root, { recursive: true, force: true });
});

describe("setUp notes the repository snapshot for the report", () => {
  let first = "";
  it("a new sandbox: the setup runs, a snapshot is taken, and the time it took is the run's", async () => {
    const sandbox = await local.create({ metadata: {}, timeoutMs: 0 });
    await git(sandbox, "init", "-q", "-b", "main");
    await sandbox.writeFile(join(sandbox.workdir, "package-lock.json"), '{"v":1}\n');
    await sandbox.writeFile(join(sandbox.workdir, ".gitignore"), "node_modules/\n");
    await git(sandbox, "add", "-A");
    await git(sandbox, "commit", "-q", "-m", "base");
    first = await git(sandbox, "rev-parse", "HEAD");
    await git(sandbox, "update-ref", "refs/remotes/origin/main", first);

    const note = await setUpRun(sandbox, first, 1, null);
    expect(note).toEqual({ used: null, setup: "ran", taken: true, takenMs: SNAPSHOT_MS });
    expect(entered).toEqual(["setup"]);
    expect((await recordOf()).baseSha).toBe(first);
    // The run's branch is back in its checkout.
    expect(await git(sandbox, "symbolic-ref", "--short", "HEAD")).toBe("claude/issue-1");
  });

  it("a snapshot a day old: the setup is skipped, and the run refreshes it", async () => {
    const record = await recordOf();
    const dayOld = new Date(clock - 25 * HOUR).toISOString();
    await store.snapshots.save({ ...record, createdAt: dayOld, lastUsedAt: dayOld });
    const sandbox = await local.snapshots!.start(record.snapshotId, { metadata: {}, timeoutMs: 0 });

    const note = await setUpRun(sandbox, first, 2, await recordOf());
    expect(note).toEqual({ used: first, setup: "skipped", taken: true, takenMs: SNAPSHOT_MS });
    expect(entered).toEqual([]);
    expect((await recordOf()).snapshotId).not.toBe(record.snapshotId);
    expect(renderReport({ runId: 2, outcome: "no_changes", branch: "b", branchUrl: "u", durationMs: 1, phaseMs: {}, sandboxCostUsd: 0, result: null, session: "new", files: [], snapshot: note })).toContain(
      `**Sandbox:** from the repository's snapshot of \`${first.slice(0, 7)}\` (setup skipped); snapshot taken for the next threads (40s, in the sandbox cost)`,
    );
  });

  it("a fresh snapshot with nothing changed: skipped, and none taken", async () => {
    const record = await recordOf();
    const sandbox = await local.snapshots!.start(record.snapshotId, { metadata: {}, timeoutMs: 0 });
    const before = clock;
    expect(await setUpRun(sandbox, first, 3, record)).toEqual({ used: first, setup: "skipped", taken: false });
    expect(clock).toBe(before);
  });

  it("the lockfile changed since: the setup re-runs, says why, and a new snapshot is taken", async () => {
    const record = await recordOf();
    const sandbox = await local.snapshots!.start(record.snapshotId, { metadata: {}, timeoutMs: 0 });
    await git(sandbox, "checkout", "-q", "main");
    await sandbox.writeFile(join(sandbox.workdir, "package-lock.json"), '{"v":2}\n');
    await sandbox.writeFile(join(sandbox.workdir, "README.md"), "# moved on\n");
    await git(sandbox, "commit", "-q", "-am", "bump");
    await git(sandbox, "add", "README.md");
    await git(sandbox, "commit", "-q", "-m", "docs");
    const head = await git(sandbox, "rev-parse", "HEAD");
    await git(sandbox, "update-ref", "refs/remotes/origin/main", head);

    const note = await setUpRun(sandbox, head, 4, record);
    expect(note).toEqual({ used: first, setup: "ran", changedInputs: ["package-lock.json"], taken: true, takenMs: SNAPSHOT_MS });
    expect(entered).toEqual(["setup"]);
    expect(await sandbox.readFile(join(sandbox.workdir, "node_modules/lock-copy"))).toBe('{"v":2}\n');
    expect((await recordOf()).baseSha).toBe(head);
  });

  it("a snapshot that could not be taken: the run goes on, and the report claims none", async () => {
    const record = await recordOf();
    const dayOld = new Date(clock - 25 * HOUR).toISOString();
    await store.snapshots.save({ ...record, createdAt: dayOld, lastUsedAt: dayOld });
    const sandbox = await local.snapshots!.start(record.snapshotId, { metadata: {}, timeoutMs: 0 });
    failCreate = true;
    try {
      expect(await setUpRun(sandbox, record.baseSha, 5, await recordOf())).toEqual({ used: record.baseSha, setup: "skipped", taken: false });
    } finally {
      failCreate = false;
    }
    expect((await recordOf()).snapshotId).toBe(record.snapshotId);
  });
});
