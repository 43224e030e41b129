import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdir, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import type { Writable } from "node:stream";
import type { Logger } from "pino";
import { createHostEnvLookup } from "../config/env.ts";
import { createLocalSnapshots } from "./local-snapshots.ts";
import { commandResult, createOutputTail } from "./output-tail.ts";
import { newProcessMark, PROCESS_MARK_VAR, sweepLocal } from "./process-sweep.ts";
import { SANDBOX_APP_LABEL, type CommandResult, type CreateSandboxOptions, type RunOptions, type Sandbox, type SandboxProvider, type SandboxSummary, type StdinWriter } from "./types.ts";

/**
 * A "sandbox" that is a directory on the host with its own HOME. For development and tests only:
 * commands run as the bot's own user with full access to the machine. Nothing is isolated.
 */

const KILL_GRACE_MS = 2000;
/**
 * After the command exits, how long its pipes may stay open: a background process it left
 * (`sleep 600 &`, `setsid`) holds them for as long as it lives, and the run must not wait for it.
 */
export const PIPE_GRACE_MS = 1000;

export interface LocalProviderOptions {
  root: string;
  log: Logger;
  /** Host variables passed through to every command (PATH at least, so git and claude resolve). */
  passEnv?: string[];
  /** Where those values come from (default: config/env.ts's createHostEnvLookup, the bot's own environment). */
  hostEnv?: (name: string) => string | undefined;
}

export function createLocalProvider(options: LocalProviderOptions): SandboxProvider {
  const root = resolve(options.root);
  const passEnv = options.passEnv ?? ["PATH", "LANG", "TZ"];
  const hostEnv = options.hostEnv ?? createHostEnvLookup();
  options.log.warn(
    { root },
    "SANDBOX_PROVIDER=local: Claude Code runs directly on this machine with your user's rights. NOTHING IS ISOLATED. Use it only for development and tests; use e2b for anything else.",
  );

  const metadataFile = (id: string) => join(root, id, "metadata.json");
  const readMeta = async (id: string): Promise<LocalMeta | null> => {
    try {
      return JSON.parse(await readFile(metadataFile(id), "utf8")) as LocalMeta;
    } catch {
      return null;
    }
  };
  const writeMeta = (id: string, meta: LocalMeta) => writeFile(metadataFile(id), JSON.stringify(meta));

  /**
   * The sandbox's lifetime, enforced as E2B enforces it (lifecycle onTimeout: "pause"): it runs for
   * timeoutMs from create or connect; then its commands are killed, it is marked paused, and
   * anything more asked of it fails until it is connected again. One per sandbox id, so a
   * reconnect gives a fresh lifetime.
   */
  const lives = new Map<string, Life>();
  const startLife = (id: string, timeoutMs: number) => {
    const old = lives.get(id);
    if (old) clearTimeout(old.timer);
    const life: Life = { expired: new AbortController(), timeoutMs };
    if (timeoutMs > 0) {
      life.timer = setTimeout(() => {
        life.expired.abort();
        void readMeta(id).then((meta) => (meta ? writeMeta(id, { ...meta, state: "paused" }) : undefined)).catch(() => undefined);
      }, timeoutMs);
      life.timer.unref();
    }
    lives.set(id, life);
  };
  const endLife = (id: string) => {
    clearTimeout(lives.get(id)?.timer);
    lives.delete(id);
  };
  const alive = <T>(id: string, work: () => Promise<T>): Promise<T> => {
    const life = lives.get(id);
    if (life?.expired.signal.aborted) {
      return Promise.reject(new Error(`The local sandbox ${id} is paused: its lifetime of ${life.timeoutMs} ms from create/connect ran out. Connect to it again to resume it.`));
    }
    return work();
  };

  /** The sandbox object for an existing directory. */
  const open = (id: string, envs: Record<string, string>): Sandbox => {
    const base = join(root, id);
    const homeDir = join(base, "home");
    const workdir = join(base, "repo");
    const baseEnv: Record<string, string> = { HOME: homeDir, TMPDIR: join(base, "tmp") };
    for (const name of passEnv) {
      const value = hostEnv(name);
      if (value !== undefined) baseEnv[name] = value;
    }
    Object.assign(baseEnv, envs);
    // Git (the bot's scripts and the agent's commands alike) never looks for a repository above
    // the sandboxes' root: a root inside a git work tree (the default ./data/sandboxes in a clone
    // of this project) must not hand that repository to a sandbox. Git does not go up into a
    // ceiling, so the ceiling is the root's parent (a command run in the root itself stops there
    // too). Set last so the sandbox's envs cannot undo it.
    baseEnv.GIT_CEILING_DIRECTORIES = dirname(root);
    const lifetime = () => lives.get(id)?.expired.signal;
    return {
      id,
      provider: "local",
      workdir,
      homeDir,
      run: (argv, runOptions) => alive(id, () => runLocal(argv, { ...runOptions, cwd: runOptions?.cwd ?? workdir }, baseEnv, lifetime())),
      writeFile: (path, content) =>
        alive(id, async () => {
          await mkdir(dirname(path), { recursive: true });
          await writeFile(path, content);
        }),
      readFile: (path) => alive(id, () => orNull(readFile(path, "utf8"))),
      readBytes: (path) => alive(id, () => orNull(readFile(path))),
      async pause() {
        // Nothing runs between commands; the directory is the paused state.
        endLife(id);
        const meta = await readMeta(id);
        if (meta) await writeMeta(id, { ...meta, state: "paused" });
      },
      async kill() {
        endLife(id);
        await rm(base, { recursive: true, force: true }).catch((error: unknown) => options.log.warn({ err: error, id }, "could not remove the local sandbox directory"));
      },
    };
  };

  const provider: SandboxProvider = {
    name: "local",
    async create(createOptions: CreateSandboxOptions): Promise<Sandbox> {
      // The git ceiling (below) is the root's parent, so a repository at the root itself would be
      // every sandbox's enclosing repository.
      if (await exists(join(root, ".git"))) {
        throw new Error(`LOCAL_SANDBOX_ROOT=${root} holds a .git, so every sandbox in it would see that repository; choose a directory that is not a repository's top level (a subdirectory of one is fine)`);
      }
      const id = `local-${randomUUID()}`;
      const base = join(root, id);
      for (const dir of ["home", "repo", "tmp"]) await mkdir(join(base, dir), { recursive: true });
      const envs = createOptions.envs ?? {};
      await writeMeta(id, { metadata: { ...createOptions.metadata, ...SANDBOX_APP_LABEL }, envs, state: "running", startedAt: new Date().toISOString() });
      startLife(id, createOptions.timeoutMs);
      return open(id, envs);
    },
    async connect(id, timeoutMs) {
      const meta = /^local-[0-9a-f-]{36}$/.test(id) ? await readMeta(id) : null;
      if (!meta) return null;
      await writeMeta(id, { ...meta, state: "running" });
      startLife(id, timeoutMs);
      return open(id, meta.envs);
    },
    async list() {
      const entries = await readdir(root).catch(() => [] as string[]);
      const out: SandboxSummary[] = [];
      for (const id of entries) {
        const meta = await readMeta(id);
        if (meta) out.push({ id, state: meta.state, startedAt: new Date(meta.startedAt), metadata: meta.metadata });
      }
      return out;
    },
    async killById(id) {
      endLife(id);
      if (/^local-[0-9a-f-]{36}$/.test(id)) await rm(join(root, id), { recursive: true, force: true });
    },
  };
  return { ...provider, snapshots: createLocalSnapshots(root, (createOptions) => provider.create(createOptions)) };
}

interface Life {
  /** Aborted when the lifetime runs out. */
  expired: AbortController;
  timeoutMs: number;
  timer?: NodeJS.Timeout;
}

interface LocalMeta {
  metadata: Record<string, string>;
  envs: Record<string, string>;
  state: "running" | "paused";
  startedAt: string;
}

function runLocal(argv: string[], options: RunOptions & { cwd: string }, baseEnv: Record<string, string>, lifetime?: AbortSignal): Promise<CommandResult> {
  const [command, ...args] = argv;
  if (!command) return Promise.reject(new Error("runLocal needs a command"));
  // What the command starts in sessions of its own (Claude's Bash tool does) leaves the group; the mark finds it.
  const mark = newProcessMark();
  return new Promise((resolvePromise) => {
    // detached: the command gets its own process group, so a kill reaches its children too.
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: { ...baseEnv, ...options.env, [PROCESS_MARK_VAR]: mark },
      stdio: [options.stdinFile || options.onStdin ? "pipe" : "ignore", "pipe", "pipe"],
      detached: true,
    });
    const stdout = createOutputTail();
    const stderr = createOutputTail();
    let settled = false;
    let pipeGrace: NodeJS.Timeout | undefined;
    const finish = (exitCode: number, extraStderr = "") => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearTimeout(pipeGrace);
      options.signal?.removeEventListener("abort", onAbort);
      lifetime?.removeEventListener("abort", onExpired);
      stderr.push(extraStderr);
      resolvePromise(commandResult(exitCode, stdout, stderr));
    };
    const killGroup = (why: string) => {
      stderr.push(`\n[sandbox] ${why}\n`);
      try {
        sweepLocal(mark, "SIGTERM");
        setTimeout(() => {
          sweepLocal(mark, "SIGKILL");
          try {
            if (child.pid) process.kill(-child.pid, "SIGKILL");
          } catch {
            // already gone
          }
        }, KILL_GRACE_MS).unref();
        if (child.pid) process.kill(-child.pid, "SIGTERM");
      } catch {
        // already gone
      }
    };
    const onAbort = () => killGroup("canceled");
    const onExpired = () => killGroup("the sandbox's lifetime ran out; it was paused and its commands killed");
    const timer = options.timeoutMs ? setTimeout(() => killGroup(`timed out after ${options.timeoutMs} ms`), options.timeoutMs) : undefined;
    options.signal?.addEventListener("abort", onAbort, { once: true });
    if (options.signal?.aborted) onAbort();
    lifetime?.addEventListener("abort", onExpired, { once: true });

    child.stdout?.setEncoding("utf8");
    child.stderr?.setEncoding("utf8");
    child.stdout?.on("data", (chunk: string) => {
      stdout.push(chunk);
      options.onStdout?.(chunk);
    });
    child.stderr?.on("data", (chunk: string) => {
      stderr.push(chunk);
      options.onStderr?.(chunk);
    });
    if (options.stdinFile && child.stdin) {
      const input = createReadStream(options.stdinFile);
      input.on("error", (error) => {
        stderr.push(`\n[sandbox] cannot read stdin file: ${error.message}\n`);
        child.stdin?.end();
      });
      child.stdin.on("error", () => {
        // the command may exit without reading its input
      });
      input.pipe(child.stdin);
    }
    if (options.onStdin && child.stdin) options.onStdin(localStdin(child.stdin));
    child.on("error", (error) => finish(127, `\n[sandbox] cannot start ${command}: ${error.message}\n`));
    child.on("close", (code, signal) => finish(code ?? (signal ? 128 + 9 : 1)));
    // The command is over when its process exits, not when its pipes close: whatever it left
    // running in the background gets a short grace to flush, then its group is killed and the
    // pipes are let go.
    child.on("exit", (code, signal) => {
      pipeGrace = setTimeout(() => {
        stderr.push(`\n[sandbox] ${command} exited but left a process holding its output; it was killed\n`);
        try {
          if (child.pid) process.kill(-child.pid, "SIGKILL");
        } catch {
          // already gone
        }
        child.stdout?.destroy();
        child.stderr?.destroy();
        finish(code ?? (signal ? 128 + 9 : 1));
      }, PIPE_GRACE_MS);
      pipeGrace.unref();
    });
  });
}

/** The child's stdin pipe as a StdinWriter: a write to a pipe the command closed is dropped, not thrown. */
function localStdin(pipe: Writable): StdinWriter {
  pipe.on("error", () => {
    // the command exited; what was still to be written has no reader
  });
  const open = () => !pipe.destroyed && !pipe.writableEnded;
  return {
    write: (data: string) => new Promise<void>((done) => (open() ? pipe.write(data, () => done()) : done())),
    end: () => new Promise<void>((done) => (open() ? pipe.end(() => done()) : done())),
  };
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/** A missing file is null; any other failure is an error. */
async function orNull<T>(read: Promise<T>): Promise<T | null> {
  try {
    return await read;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw error;
  }
}
