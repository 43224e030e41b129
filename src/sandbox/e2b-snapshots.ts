import { createHash, randomBytes } from "node:crypto";
import type { Sandbox as E2bSandbox } from "e2b";
import { SNAPSHOT_NAME_PREFIX, type CreateSandboxOptions, type Sandbox, type SandboxSnapshots, type SnapshotLabels, type SnapshotSummary } from "./types.ts";

/**
 * E2B snapshots (SDK: Sandbox.createSnapshot / listSnapshots / deleteSnapshot; a sandbox from one
 * is Sandbox.create(snapshotId)). A snapshot is the sandbox's disk and memory at that moment; the
 * sandbox is paused while it is taken and then runs on, and the snapshot outlives it. E2B keeps
 * no metadata on a snapshot, only a name: ours have the prefix, the installation and short hashes
 * of the repository and setup, and a random tail (a name that exists already would get a new
 * build of the same snapshot instead of a second one). The Store holds the full labels.
 */

type LogFn = (obj: object, msg: string) => void;

export interface E2bSnapshotsOptions {
  apiKey: string;
  SandboxClass: typeof E2bSandbox;
  log: { info: LogFn; warn: LogFn };
  /** The provider's own create, from a template or snapshot id. */
  start: (source: string, options: CreateSandboxOptions) => Promise<Sandbox>;
}

const short = (text: string) => createHash("sha256").update(text).digest("hex").slice(0, 10);

/** E2B names: lowercase letters, digits and dashes. */
export function e2bSnapshotName(labels: SnapshotLabels): string {
  return `${SNAPSHOT_NAME_PREFIX}${labels.installationId}-${short(labels.repoFullName)}-${labels.setupHash.slice(0, 10)}-${randomBytes(4).toString("hex")}`;
}

/** "team/csb-snap-…:default" → "csb-snap-…". */
const bareName = (full: string) => (full.split("/").pop() ?? full).split(":")[0] ?? full;

export function createE2bSnapshots(options: E2bSnapshotsOptions): SandboxSnapshots {
  const { apiKey, SandboxClass, log } = options;
  return {
    async create(sandbox: Sandbox, labels: SnapshotLabels): Promise<SnapshotSummary> {
      const name = e2bSnapshotName(labels);
      const info = await SandboxClass.createSnapshot(sandbox.id, { apiKey, name });
      log.info({ sandboxId: sandbox.id, snapshotId: info.snapshotId, name }, "e2b snapshot created");
      return { id: info.snapshotId, name, sizeBytes: null };
    },
    start: (snapshotId, create) => options.start(snapshotId, create),
    async list() {
      const paginator = SandboxClass.listSnapshots({ apiKey });
      const out: SnapshotSummary[] = [];
      while (paginator.hasNext) {
        for (const info of await paginator.nextItems()) {
          const name = info.names.map(bareName).find((n) => n.startsWith(SNAPSHOT_NAME_PREFIX));
          if (name) out.push({ id: info.snapshotId, name, sizeBytes: null });
        }
      }
      return out;
    },
    async delete(snapshotId) {
      try {
        await SandboxClass.deleteSnapshot(snapshotId, { apiKey });
      } catch (err) {
        log.warn({ snapshotId, err: err instanceof Error ? err.message : String(err) }, "e2b could not delete a snapshot; the reaper will retry");
      }
    },
  };
}
