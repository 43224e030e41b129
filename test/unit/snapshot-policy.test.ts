import { describe, expect, it } from "vitest";
import { DEFAULT_SETUP_INPUTS } from "../../src/config/repo-config.ts";
import { setupHash, setupInputsChanged, shouldTakeSnapshot, SNAPSHOT_MAX_AGE_MS, SNAPSHOT_MAX_COMMITS_BEHIND, type TakeInput } from "../../src/runs/snapshot-policy.ts";
import type { SnapshotRecord } from "../../src/store/snapshot-ledger.ts";

const now = Date.parse("2026-12-03T12:00:00Z");
const record = (ageMs = 0): SnapshotRecord => ({
  installationId: 1, repoFullName: "o/r", setupHash: "h", provider: "local", snapshotId: "s", baseBranch: "main", baseSha: "a".repeat(40),
  sizeBytes: null, tookMs: 1, createdAt: new Date(now - ageMs).toISOString(), lastUsedAt: new Date(now).toISOString(), uses: 0,
});
const take = (over: Partial<TakeInput>) => shouldTakeSnapshot({ enabled: true, supported: true, hasSetup: true, cleanAtDefaultHead: true, existing: null, use: null, setupRan: true, now, ...over });

describe("snapshot policy", () => {
  it("hashes the setup commands and their environment (values hashed), order of names aside", () => {
    expect(setupHash(["npm ci"], { A: "1", B: "2" })).toBe(setupHash(["npm ci"], { B: "2", A: "1" }));
    expect(setupHash(["npm ci"], {})).not.toBe(setupHash(["npm ci", "npm run build"], {}));
    expect(setupHash(["npm ci"], { TOKEN: "x" })).not.toBe(setupHash(["npm ci"], { TOKEN: "y" }));
    expect(setupHash(["npm ci"], { TOKEN: "secret-value" })).not.toContain("secret-value");
  });

  it("re-runs the setup when a setup input changed, or when git could not tell (which ones: setup-inputs.test.ts)", () => {
    expect(setupInputsChanged([])).toBe(false);
    expect(setupInputsChanged(["package-lock.json"])).toBe(true);
    expect(setupInputsChanged(null)).toBe(true);
  });

  it("takes a snapshot only of a clean checkout of the default branch's head, with setup commands and a provider that has snapshots", () => {
    expect(take({})).toBe(true);
    expect(take({ enabled: false })).toBe(false);
    expect(take({ supported: false })).toBe(false);
    expect(take({ hasSetup: false })).toBe(false);
    expect(take({ cleanAtDefaultHead: false })).toBe(false);
  });

  it("keeps a fresh snapshot, and replaces one that is old, far behind, or whose setup inputs changed", () => {
    const use = (commitsBehind: number | null, ageMs = 0) => ({ record: record(ageMs), changedInputs: [], commitsBehind });
    expect(take({ existing: record(), use: use(3), setupRan: false })).toBe(false);
    expect(take({ existing: record() })).toBe(false); // another run took one meanwhile
    expect(take({ existing: record(), use: use(3), setupRan: true })).toBe(true);
    expect(take({ existing: record(SNAPSHOT_MAX_AGE_MS + 1), use: use(0, SNAPSHOT_MAX_AGE_MS + 1), setupRan: false })).toBe(true);
    expect(take({ existing: record(), use: use(SNAPSHOT_MAX_COMMITS_BEHIND + 1), setupRan: false })).toBe(true);
    expect(take({ existing: record(), use: use(null), setupRan: false })).toBe(false);
    expect(take({ existing: { ...record(), createdAt: "garbage" } })).toBe(true);
  });
});
