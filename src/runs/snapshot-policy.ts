import { createHash } from "node:crypto";
import type { SnapshotRecord } from "../store/snapshot-ledger.ts";

/**
 * When a run uses, re-sets-up and takes a repository snapshot (snapshots.ts carries it out). Pure.
 *
 * A snapshot is keyed by installation, repository and this hash of what the setup is: the
 * commands and the environment they get (names, and values hashed: they may be secrets). Another
 * setup, another snapshot.
 */
export function setupHash(commands: readonly string[], env: Record<string, string>): string {
  const h = createHash("sha256");
  h.update(JSON.stringify(commands));
  for (const name of Object.keys(env).sort()) h.update(`\0${name}=${createHash("sha256").update(env[name] ?? "").digest("hex")}`);
  return h.digest("hex");
}

/** A snapshot older than this is replaced by the next run that can take one (it still serves until then). */
export const SNAPSHOT_MAX_AGE_MS = 24 * 3600_000;
/** … and so is one whose default branch has moved on by more than this many commits (each run fetches them). */
export const SNAPSHOT_MAX_COMMITS_BEHIND = 50;

/** What the run found out about the snapshot it started from. */
export interface SnapshotUse {
  record: SnapshotRecord;
  /** The setup's inputs (snapshots.setupInputs) that differ between the snapshot's commit and the run's start; null when git could not tell. */
  changedInputs: string[] | null;
  /** Commits the default branch has on top of the snapshot's; null when unknown. */
  commitsBehind: number | null;
}

/** The setup must run again when a file it depends on changed since the snapshot (or git could not say). */
export function setupInputsChanged(changedInputs: readonly string[] | null): boolean {
  return changedInputs === null || changedInputs.length > 0;
}

export interface TakeInput {
  enabled: boolean;
  /** The provider has snapshots. */
  supported: boolean;
  hasSetup: boolean;
  /**
   * The sandbox is new (cloned by the bot) or from a snapshot, never the thread's live one (the
   * agent's territory), and its checkout is the default branch's head, before the agent ran.
   */
  cleanAtDefaultHead: boolean;
  /** The snapshot the run started from, if any; the key's current record otherwise (or null). */
  existing: SnapshotRecord | null;
  use: SnapshotUse | null;
  setupRan: boolean;
  now: number;
}

/** Take a (new) snapshot after the setup? Only of a clean checkout; when there is none yet, or the one there is is stale or set up for older inputs. */
export function shouldTakeSnapshot(input: TakeInput): boolean {
  if (!input.enabled || !input.supported || !input.hasSetup || !input.cleanAtDefaultHead) return false;
  if (!input.existing) return true;
  if (input.use && input.setupRan) return true;
  const age = input.now - Date.parse(input.existing.createdAt);
  if (!(age < SNAPSHOT_MAX_AGE_MS)) return true;
  return (input.use?.commitsBehind ?? 0) > SNAPSHOT_MAX_COMMITS_BEHIND;
}
