/**
 * What the rest of the bot needs from a sandbox. Two providers implement it: e2b (isolated,
 * the default) and local (a directory on the host, for development and tests).
 */

export interface RunOptions {
  /** Working directory inside the sandbox; defaults to the sandbox's work directory. */
  cwd?: string;
  /** Extra environment for this one command only (tokens live here, never in files). */
  env?: Record<string, string>;
  /** A file inside the sandbox whose contents become the command's stdin. */
  stdinFile?: string;
  /**
   * Keeps the command's stdin open instead (not with stdinFile): called once the command started,
   * with what writes to it. Claude's streaming input (agent/stream-input.ts) needs it.
   */
  onStdin?: (stdin: StdinWriter) => void;
  /** Called with raw stdout chunks as they arrive. */
  onStdout?: (chunk: string) => void;
  onStderr?: (chunk: string) => void;
  /** 0 = no limit. */
  timeoutMs?: number;
  /** Aborting kills the command. */
  signal?: AbortSignal;
  /**
   * The command may outlive this connection to the sandbox (a warm Claude): called once it started
   * with its reference. A pause() then lets go of it instead of losing it — the result says
   * `detached`, delivered before pause() resolves; the process runs on (E2B: frozen with the VM) —
   * and a later connection takes it up
   * again with Sandbox.follow. Providers whose processes never leave their connection (local)
   * never detach.
   */
  onDetachable?: (ref: string) => void;
}

/** A command followed again from another connection (Sandbox.follow). */
export interface FollowedCommand {
  result: Promise<CommandResult>;
}

/** An open stdin. Writes after the command ended, or after end(), are dropped. */
export interface StdinWriter {
  write(data: string): Promise<void>;
  /** EOF. */
  end(): Promise<void>;
}

export interface CommandResult {
  exitCode: number;
  /** The last 64 KiB of the stream at most (output-tail.ts); the rest is counted, not kept. */
  stdout: string;
  stderr: string;
  /** Characters of output the result does not hold (streamed to onStdout/onStderr, then dropped). */
  droppedChars?: { stdout: number; stderr: number };
  /** The command did not end: this connection let go of it at pause() (RunOptions.onDetachable); exitCode means nothing. */
  detached?: true;
}

export interface Sandbox {
  readonly id: string;
  readonly provider: "e2b" | "local";
  /** Absolute path of the directory the repository is checked out in. */
  readonly workdir: string;
  /** Absolute path of the sandbox user's HOME (Claude keeps its transcripts below it). */
  readonly homeDir: string;
  /**
   * Runs argv (no shell interpretation of the arguments: providers that need a shell quote them).
   * Resolves with the exit code; never throws for a non-zero exit.
   */
  run(argv: string[], options?: RunOptions): Promise<CommandResult>;
  /**
   * Takes up a command an earlier connection let go of at pause (its RunOptions.onDetachable
   * reference), with these options' stdin, output, signal and detachability; null when it is gone.
   * Absent where commands never detach.
   */
  follow?(ref: string, options: RunOptions): Promise<FollowedCommand | null>;
  writeFile(path: string, content: string | Uint8Array): Promise<void>;
  /** null when the file does not exist. */
  readFile(path: string): Promise<string | null>;
  /** The file's bytes (a git bundle); null when it does not exist. */
  readBytes(path: string): Promise<Uint8Array | null>;
  /** Keeps the sandbox, checkout and session for the thread's next run (the fast resume path). */
  pause(): Promise<void>;
  kill(): Promise<void>;
}

/** One of our sandboxes, as the reaper sees it. */
export interface SandboxSummary {
  id: string;
  state: "running" | "paused";
  startedAt: Date;
  metadata: Record<string, string>;
}

export interface CreateSandboxOptions {
  /** Labels the provider stores with the sandbox (E2B metadata), used by the reaper. */
  metadata: Record<string, string>;
  /** Environment every command in the sandbox sees. Keep secrets out: pass them per command. */
  envs?: Record<string, string>;
  timeoutMs: number;
}

export interface SandboxProvider {
  readonly name: "e2b" | "local";
  create(options: CreateSandboxOptions): Promise<Sandbox>;
  /** Reattaches to a paused (or running) sandbox; null when it is gone. */
  connect(id: string, timeoutMs: number): Promise<Sandbox | null>;
  /** The sandboxes this bot made (by metadata), for the reaper. */
  list(): Promise<SandboxSummary[]>;
  killById(id: string): Promise<void>;
  /** Snapshots of sandboxes, to start new ones from (runs/snapshots.ts); absent: the provider has none. */
  readonly snapshots?: SandboxSnapshots;
}

/** What a snapshot is for; the provider keeps them with it where it can (the Store always does). */
export interface SnapshotLabels {
  installationId: number;
  repoFullName: string;
  setupHash: string;
}

export interface SnapshotSummary {
  id: string;
  /** null when the provider does not say (E2B). */
  sizeBytes: number | null;
  /** What the provider knows of its labels (E2B: only its name, which has the installation in it). */
  name: string;
}

export interface SandboxSnapshots {
  /**
   * Saves the sandbox as it is now (its disk; on E2B its memory too) and keeps it running (E2B
   * pauses it for the moment it takes). The snapshot outlives the sandbox.
   */
  create(sandbox: Sandbox, labels: SnapshotLabels): Promise<SnapshotSummary>;
  /** A new sandbox holding what the snapshot holds, with a fresh lifetime; throws when the snapshot is gone. */
  start(snapshotId: string, options: CreateSandboxOptions): Promise<Sandbox>;
  /** This bot's snapshots (by name), for the reaper's sweep of ones the Store forgot. */
  list(): Promise<SnapshotSummary[]>;
  /** Never throws for one that is already gone. */
  delete(snapshotId: string): Promise<void>;
}

/** Every snapshot of ours has a name starting with this (E2B names: lowercase letters, digits, dashes). */
export const SNAPSHOT_NAME_PREFIX = "csb-snap-";

/** The metadata every sandbox of ours carries; the reaper finds them by it. */
export const SANDBOX_APP_LABEL = { app: "claude-sandbox-bot" } as const;
