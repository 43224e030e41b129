import pino from "pino";
import { afterAll, describe, expect, it } from "vitest";
import { DEFAULT_SETUP_INPUTS } from "../../src/config/repo-config.ts";
import { inspectUse } from "../../src/runs/snapshots.ts";
import { setupInputsChanged } from "../../src/runs/snapshot-policy.ts";
import { createLocalProvider } from "../../src/sandbox/local.ts";
import type { SnapshotRecord } from "../../src/store/snapshot-ledger.ts";
import { removeDirs, tempDir } from "../support/fake-anthropic/index.ts";
import { commitFiles, initRepo } from "../support/git-repo.ts";

/**
 * What changed since the snapshot decides whether the setup runs again: a list the sandbox's
 * output could not hold whole (over the 64 KiB a command's result keeps) must not read as a
 * shorter list — a lockfile among the lost names would be skipped, and the run set up stale.
 */

const made: string[] = [];
afterAll(() => removeDirs(...made));

describe("inspectUse", () => {
  it("says it cannot list what changed when the list is too long to hold, rather than dropping names", async () => {
    const root = tempDir("snapshot-inspect-");
    made.push(root);
    const box = await createLocalProvider({ root, log: pino({ level: "silent" }) }).create({ metadata: {}, timeoutMs: 120_000 });
    const repo = box.workdir;
    initRepo(repo);
    const baseSha = commitFiles(repo, { "package-lock.json": "{}\n" }, "base");
    // The lockfile sorts first; 3,000 long names after it are ~150 KiB of output.
    const many = Object.fromEntries(Array.from({ length: 3_000 }, (_, i) => [`z/generated-file-with-a-long-name-${String(i).padStart(5, "0")}.txt`, `${i}\n`]));
    const head = commitFiles(repo, { "package-lock.json": '{"changed":true}\n', ...many }, "many files");
    const record = { baseSha, baseBranch: "main" } as SnapshotRecord;

    // A glob every changed file matches: either the whole list (with the lockfile in it) or "could not say" (null: the setup runs again).
    const all = await inspectUse(box, record, head, ["**"]);
    if (all.changedInputs !== null) expect(all.changedInputs).toContain("package-lock.json");
    expect(setupInputsChanged(all.changedInputs)).toBe(true);
    // The defaults: git names only the lockfile, a short list.
    expect((await inspectUse(box, record, head, DEFAULT_SETUP_INPUTS)).changedInputs).toEqual(["package-lock.json"]);
  }, 60_000);
});
