import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import pino from "pino";
import { afterAll, describe, expect, it } from "vitest";
import { DEFAULT_SETUP_INPUTS } from "../../src/config/repo-config.ts";
import { inspectUse } from "../../src/runs/snapshots.ts";
import { setupInputsChanged } from "../../src/runs/snapshot-policy.ts";
import { createLocalProvider } from "../../src/sandbox/local.ts";
import type { SnapshotRecord } from "../../src/store/snapshot-ledger.ts";
import { removeDirs, tempDir } from "../support/fake-anthropic/index.ts";

/**
 * What changed since the snapshot decides whether the setup runs again: a list the sandbox's
 * output could not hold whole (over the 64 KiB a command's result keeps) must not read as a
 * shorter list — a lockfile among the lost names would be skipped, and the run set up stale.
 */

const made: string[] = [];
afterAll(() => removeDirs(...made));
const git = (cwd: string, ...args: string[]) => execFileSync("git", args, { cwd, encoding: "utf8" }).trim();

describe("inspectUse", () => {
  it("says it cannot list what changed when the list is too long to hold, rather than dropping names", async () => {
    const root = tempDir("snapshot-inspect-");
    made.push(root);
    const box = await createLocalProvider({ root, log: pino({ level: "silent" }) }).create({ metadata: {}, timeoutMs: 120_000 });
    const repo = box.workdir;
    git(repo, "init", "-q", "-b", "main");
    git(repo, "config", "user.email", "t@example.com");
    git(repo, "config", "user.name", "t");
    writeFileSync(join(repo, "package-lock.json"), "{}\n");
    git(repo, "add", "-A");
    git(repo, "commit", "-qm", "base");
    const baseSha = git(repo, "rev-parse", "HEAD");
    // The lockfile sorts first; 3,000 long names after it are ~150 KiB of output.
    writeFileSync(join(repo, "package-lock.json"), '{"changed":true}\n');
    mkdirSync(join(repo, "z"), { recursive: true });
    for (let i = 0; i < 3_000; i++) writeFileSync(join(repo, "z", `generated-file-with-a-long-name-${String(i).padStart(5, "0")}.txt`), `${i}\n`);
    git(repo, "add", "-A");
    git(repo, "commit", "-qm", "many files");
    const record = { baseSha, baseBranch: "main" } as SnapshotRecord;

    const head = git(repo, "rev-parse", "HEAD");
    // A glob every changed file matches: either the whole list (with the lockfile in it) or "could not say" (null: the setup runs again).
    const all = await inspectUse(box, record, head, ["**"]);
    if (all.changedInputs !== null) expect(all.changedInputs).toContain("package-lock.json");
    expect(setupInputsChanged(all.changedInputs)).toBe(true);
    // The defaults: git names only the lockfile, a short list.
    expect((await inspectUse(box, record, head, DEFAULT_SETUP_INPUTS)).changedInputs).toEqual(["package-lock.json"]);
  }, 60_000);
});
