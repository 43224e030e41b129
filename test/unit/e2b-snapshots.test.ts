import type { Sandbox as E2bSandbox } from "e2b";
import { afterEach, describe, expect, it, vi } from "vitest";
import { createE2bProvider, E2B_WORKDIR } from "../../src/sandbox/e2b.ts";
import { e2bSnapshotName } from "../../src/sandbox/e2b-snapshots.ts";
import { SNAPSHOT_NAME_PREFIX } from "../../src/sandbox/types.ts";

/** Stands in for the e2b Sandbox class at the SDK boundary (the snapshot statics and create) and records every call. */
class FakeSdk {
  static calls: Array<[string, ...unknown[]]> = [];
  static snapshots: Array<{ snapshotId: string; names: string[] }> = [];
  static deleteError: unknown;
  static async create(template: string, opts: unknown) {
    FakeSdk.calls.push(["create", template, opts]);
    return new FakeSdk(`sbx-from-${template}`);
  }
  static async createSnapshot(sandboxId: string, opts: { name?: string }) {
    FakeSdk.calls.push(["createSnapshot", sandboxId, opts]);
    return { snapshotId: `team/${opts.name}:default`, names: [`team/${opts.name}:default`] };
  }
  static listSnapshots(opts: unknown) {
    FakeSdk.calls.push(["listSnapshots", opts]);
    const pages = [FakeSdk.snapshots.slice(0, 1), FakeSdk.snapshots.slice(1)];
    return {
      get hasNext() {
        return pages.length > 0;
      },
      nextItems: async () => pages.shift() ?? [],
    };
  }
  static async deleteSnapshot(id: string, opts: unknown) {
    FakeSdk.calls.push(["deleteSnapshot", id, opts]);
    if (FakeSdk.deleteError) throw FakeSdk.deleteError;
    return true;
  }
  files = { makeDir: async () => true };
  kill = vi.fn(async () => true);
  readonly sandboxId: string;
  constructor(id: string) {
    this.sandboxId = id;
  }
}

const log = { info: vi.fn(), warn: vi.fn(), error: vi.fn(), debug: vi.fn() };
const provider = () => createE2bProvider({ apiKey: "e2b_test", template: "claude-sandbox-bot", allowOut: ["github.com"], SandboxClass: FakeSdk as unknown as typeof E2bSandbox, log });
const labels = { installationId: 42, repoFullName: "octo/app", setupHash: "0123456789abcdef" };

afterEach(() => {
  FakeSdk.calls = [];
  FakeSdk.snapshots = [];
  FakeSdk.deleteError = undefined;
});

describe("e2b snapshots", () => {
  it("snapshots a sandbox by id under a name of ours carrying the installation, and starts sandboxes from it like from the template", async () => {
    const p = provider();
    const sbx = await p.create({ metadata: { thread: "t" }, timeoutMs: 1000 });
    const snap = await p.snapshots!.create(sbx, labels);
    const [, sandboxId, opts] = FakeSdk.calls[1]!;
    expect(sandboxId).toBe(sbx.id);
    expect(opts).toMatchObject({ apiKey: "e2b_test" });
    const name = (opts as { name: string }).name;
    expect(name).toMatch(new RegExp(`^${SNAPSHOT_NAME_PREFIX}42-[0-9a-f]{10}-0123456789-[0-9a-f]{8}$`));
    expect(snap).toEqual({ id: `team/${name}:default`, name, sizeBytes: null });

    const from = await p.snapshots!.start(snap.id, { metadata: { thread: "u" }, envs: { CI: "1" }, timeoutMs: 5000 });
    // The same labels, lifetime and egress rules as a sandbox from the template.
    expect(FakeSdk.calls[2]).toEqual([
      "create",
      snap.id,
      { apiKey: "e2b_test", metadata: { thread: "u", app: "claude-sandbox-bot" }, envs: { CI: "1" }, timeoutMs: 5000, lifecycle: { onTimeout: "pause" }, network: { allowOut: ["github.com"], denyOut: ["0.0.0.0/0"] } },
    ]);
    expect(from).toMatchObject({ id: `sbx-from-${snap.id}`, provider: "e2b", workdir: E2B_WORKDIR });
  });

  it("names differ per snapshot, and per repository", () => {
    expect(e2bSnapshotName(labels)).not.toBe(e2bSnapshotName(labels));
    expect(e2bSnapshotName(labels).split("-")[3]).not.toBe(e2bSnapshotName({ ...labels, repoFullName: "octo/other" }).split("-")[3]);
  });

  it("lists only our snapshots across pages, and deletes by id without throwing", async () => {
    FakeSdk.snapshots = [
      { snapshotId: "a:default", names: [`team/${SNAPSHOT_NAME_PREFIX}1-x:default`] },
      { snapshotId: "b:default", names: ["team/someone-elses:default"] },
      { snapshotId: "c:default", names: [`${SNAPSHOT_NAME_PREFIX}2-y`] },
    ];
    const p = provider();
    expect(await p.snapshots!.list()).toEqual([
      { id: "a:default", name: `${SNAPSHOT_NAME_PREFIX}1-x`, sizeBytes: null },
      { id: "c:default", name: `${SNAPSHOT_NAME_PREFIX}2-y`, sizeBytes: null },
    ]);
    expect(FakeSdk.calls[0]).toEqual(["listSnapshots", { apiKey: "e2b_test" }]);
    FakeSdk.deleteError = new Error("boom");
    await expect(p.snapshots!.delete("a:default")).resolves.toBeUndefined();
    expect(FakeSdk.calls.at(-1)).toEqual(["deleteSnapshot", "a:default", { apiKey: "e2b_test" }]);
    expect(log.warn).toHaveBeenCalled();
  });
});
