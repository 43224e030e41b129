import { randomUUID } from "node:crypto";
import { cp, lstat, mkdir, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { SNAPSHOT_NAME_PREFIX, type CreateSandboxOptions, type Sandbox, type SandboxSnapshots, type SnapshotLabels, type SnapshotSummary } from "./types.ts";

/**
 * The local provider's snapshots: a copy of the sandbox's directory (its home and its checkout,
 * not its tmp), and a sandbox from one a new sandbox with the copy put back. What E2B keeps in
 * memory the local provider has nothing of: nothing runs between commands.
 */

const DIRS = ["home", "repo"] as const;
const ID = /^snap-[0-9a-f-]{36}$/;

export function createLocalSnapshots(root: string, create: (options: CreateSandboxOptions) => Promise<Sandbox>): SandboxSnapshots {
  // Beside the sandboxes, in a directory the provider's list() does not take for one.
  const dirOf = (id: string) => join(root, ".snapshots", id);
  const checked = (id: string) => {
    if (!ID.test(id)) throw new Error(`not a local snapshot id: ${id}`);
    return dirOf(id);
  };
  return {
    async create(sandbox: Sandbox, labels: SnapshotLabels): Promise<SnapshotSummary> {
      const id = `snap-${randomUUID()}`;
      const target = dirOf(id);
      const source = dirname(sandbox.workdir);
      await mkdir(target, { recursive: true });
      try {
        for (const dir of DIRS) await cp(join(source, dir), join(target, dir), { recursive: true, verbatimSymlinks: true });
        const name = `${SNAPSHOT_NAME_PREFIX}${labels.installationId}-${id.slice(5, 13)}`;
        await writeFile(join(target, "snapshot.json"), JSON.stringify({ name, labels, createdAt: new Date().toISOString() }));
        return { id, name, sizeBytes: await sizeOf(target) };
      } catch (error) {
        await rm(target, { recursive: true, force: true });
        throw error;
      }
    },
    async start(snapshotId, options) {
      const from = checked(snapshotId);
      await lstat(join(from, "snapshot.json")).catch(() => {
        throw new Error(`the local snapshot ${snapshotId} is gone`);
      });
      const sandbox = await create(options);
      const base = dirname(sandbox.workdir);
      try {
        for (const dir of DIRS) {
          await rm(join(base, dir), { recursive: true, force: true });
          await cp(join(from, dir), join(base, dir), { recursive: true, verbatimSymlinks: true });
        }
      } catch (error) {
        await sandbox.kill();
        throw error;
      }
      return sandbox;
    },
    async list() {
      const ids = (await readdir(join(root, ".snapshots")).catch(() => [] as string[])).filter((id) => ID.test(id));
      const out: SnapshotSummary[] = [];
      for (const id of ids) {
        const meta = await readFile(join(dirOf(id), "snapshot.json"), "utf8").then((text) => JSON.parse(text) as { name: string }, () => null);
        if (meta) out.push({ id, name: meta.name, sizeBytes: await sizeOf(dirOf(id)) });
      }
      return out;
    },
    async delete(snapshotId) {
      await rm(checked(snapshotId), { recursive: true, force: true });
    },
  };
}

/** Bytes on disk below path (files only; symlinks as links). */
async function sizeOf(path: string): Promise<number> {
  const info = await lstat(path);
  if (!info.isDirectory()) return info.size;
  let total = 0;
  for (const entry of await readdir(path)) total += await sizeOf(join(path, entry));
  return total;
}
