import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { createLocalProvider } from "../../src/sandbox/local.ts";

const roots: string[] = [];
function provider() {
  const root = mkdtempSync(join(tmpdir(), "csb-snap-"));
  roots.push(root);
  return createLocalProvider({ root, log: pino({ level: "silent" }) });
}
afterEach(() => {
  for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
});

describe("local provider snapshots: a copy of the sandbox's directory", () => {
  it("starts a new sandbox holding the snapshot's checkout and home, which outlive the source sandbox", async () => {
    const p = provider();
    const source = await p.create({ metadata: { thread: "o/r#1" }, timeoutMs: 0 });
    await source.writeFile(join(source.workdir, "node_modules/dep/index.js"), "module.exports = 1;\n");
    await source.writeFile(join(source.homeDir, ".cache/x"), "cached");
    await source.run(["ln", "-s", "dep/index.js", "node_modules/link.js"]);
    const snap = await p.snapshots!.create(source, { installationId: 1, repoFullName: "o/r", setupHash: "h" });
    expect(snap.sizeBytes).toBeGreaterThan(20);
    // Later changes to the source are not in the snapshot.
    await source.writeFile(join(source.workdir, "later.txt"), "after the snapshot");
    await source.kill();

    const copy = await p.snapshots!.start(snap.id, { metadata: { thread: "o/r#2" }, timeoutMs: 0 });
    expect(copy.id).not.toBe(source.id);
    expect(await copy.readFile(join(copy.workdir, "node_modules/dep/index.js"))).toBe("module.exports = 1;\n");
    expect(await copy.readFile(join(copy.workdir, "node_modules/link.js"))).toBe("module.exports = 1;\n");
    expect(await copy.readFile(join(copy.homeDir, ".cache/x"))).toBe("cached");
    expect(await copy.readFile(join(copy.workdir, "later.txt"))).toBeNull();
    // Its commands run in its own directory.
    expect((await copy.run(["pwd"])).stdout.trim()).toBe(copy.workdir);
    // A snapshot is not a sandbox: the reaper's list has only the new sandbox.
    expect((await p.list()).map((s) => s.id)).toEqual([copy.id]);
    // Two sandboxes from one snapshot do not share files.
    const other = await p.snapshots!.start(snap.id, { metadata: {}, timeoutMs: 0 });
    await copy.writeFile(join(copy.workdir, "mine.txt"), "only in copy");
    expect(await other.readFile(join(other.workdir, "mine.txt"))).toBeNull();
  });

  it("lists and deletes snapshots; a deleted one cannot be started from", async () => {
    const p = provider();
    const source = await p.create({ metadata: {}, timeoutMs: 0 });
    const snap = await p.snapshots!.create(source, { installationId: 9, repoFullName: "o/r", setupHash: "h" });
    expect((await p.snapshots!.list()).map((s) => [s.id, s.name.startsWith("csb-snap-9-")])).toEqual([[snap.id, true]]);
    await p.snapshots!.delete(snap.id);
    expect(await p.snapshots!.list()).toEqual([]);
    await expect(p.snapshots!.start(snap.id, { metadata: {}, timeoutMs: 0 })).rejects.toThrow(/gone/);
    await expect(p.snapshots!.start("../escape", { metadata: {}, timeoutMs: 0 })).rejects.toThrow(/not a local snapshot id/);
  });
});
