import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import type { Logger } from "pino";
import type { CommandResult, CreateSandboxOptions, RunOptions, Sandbox, SandboxProvider } from "./types.ts";

/**
 * A "sandbox" that is a directory on the host with its own HOME. For development and tests only:
 * commands run as the bot's own user with full access to the machine. Nothing is isolated.
 */

const KILL_GRACE_MS = 2000;

export interface LocalProviderOptions {
  root: string;
  log: Logger;
  /** Host variables passed through to every command (PATH at least, so git and claude resolve). */
  passEnv?: string[];
}

export function createLocalProvider(options: LocalProviderOptions): SandboxProvider {
  const root = resolve(options.root);
  const passEnv = options.passEnv ?? ["PATH", "LANG", "TZ"];
  options.log.warn(
    { root },
    "SANDBOX_PROVIDER=local: Claude Code runs directly on this machine with your user's rights. NOTHING IS ISOLATED. Use it only for development and tests; use e2b for anything else.",
  );
  return {
    name: "local",
    async create(createOptions: CreateSandboxOptions): Promise<Sandbox> {
      const id = `local-${randomUUID()}`;
      const base = join(root, id);
      const homeDir = join(base, "home");
      const workdir = join(base, "repo");
      await mkdir(homeDir, { recursive: true });
      await mkdir(workdir, { recursive: true });
      await writeFile(join(base, "metadata.json"), JSON.stringify({ ...createOptions.metadata, createdAt: new Date().toISOString() }));
      const baseEnv: Record<string, string> = { HOME: homeDir, TMPDIR: join(base, "tmp") };
      await mkdir(baseEnv.TMPDIR!, { recursive: true });
      for (const name of passEnv) {
        const value = process.env[name];
        if (value !== undefined) baseEnv[name] = value;
      }
      Object.assign(baseEnv, createOptions.envs);
      return {
        id,
        provider: "local",
        workdir,
        homeDir,
        run: (argv, runOptions) => runLocal(argv, { ...runOptions, cwd: runOptions?.cwd ?? workdir }, baseEnv),
        async writeFile(path, content) {
          await mkdir(dirname(path), { recursive: true });
          await writeFile(path, content);
        },
        async readFile(path) {
          try {
            return await readFile(path, "utf8");
          } catch (error) {
            if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
            throw error;
          }
        },
        async kill() {
          await rm(base, { recursive: true, force: true }).catch((error: unknown) =>
            options.log.warn({ err: error, id }, "could not remove the local sandbox directory"),
          );
        },
      };
    },
  };
}

function runLocal(argv: string[], options: RunOptions & { cwd: string }, baseEnv: Record<string, string>): Promise<CommandResult> {
  const [command, ...args] = argv;
  if (!command) return Promise.reject(new Error("runLocal needs a command"));
  return new Promise((resolvePromise) => {
    // detached: the command gets its own process group, so a kill reaches its children too.
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: { ...baseEnv, ...options.env },
      stdio: [options.stdinFile ? "pipe" : "ignore", "pipe", "pipe"],
      detached: true,
    });
    let stdout = "";
    let stderr = "";
    let settled = false;
    const finish = (exitCode: number, extraStderr = "") => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      options.signal?.removeEventListener("abort", onAbort);
      resolvePromise({ exitCode, stdout, stderr: stderr + extraStderr });
    };
    const killGroup = (why: string) => {
      stderr += `\n[sandbox] ${why}\n`;
      try {
        if (child.pid) process.kill(-child.pid, "SIGTERM");
        setTimeout(() => {
          try {
            if (child.pid) process.kill(-child.pid, "SIGKILL");
          } catch {
            // already gone
          }
        }, KILL_GRACE_MS).unref();
      } catch {
        // already gone
      }
    };
    const onAbort = () => killGroup("canceled");
    const timer = options.timeoutMs ? setTimeout(() => killGroup(`timed out after ${options.timeoutMs} ms`), options.timeoutMs) : undefined;
    options.signal?.addEventListener("abort", onAbort, { once: true });
    if (options.signal?.aborted) onAbort();

    child.stdout?.setEncoding("utf8");
    child.stderr?.setEncoding("utf8");
    child.stdout?.on("data", (chunk: string) => {
      stdout += chunk;
      options.onStdout?.(chunk);
    });
    child.stderr?.on("data", (chunk: string) => {
      stderr += chunk;
      options.onStderr?.(chunk);
    });
    if (options.stdinFile && child.stdin) {
      const input = createReadStream(options.stdinFile);
      input.on("error", (error) => {
        stderr += `\n[sandbox] cannot read stdin file: ${error.message}\n`;
        child.stdin?.end();
      });
      child.stdin.on("error", () => {
        // the command may exit without reading its input
      });
      input.pipe(child.stdin);
    }
    child.on("error", (error) => finish(127, `\n[sandbox] cannot start ${command}: ${error.message}\n`));
    child.on("close", (code, signal) => finish(code ?? (signal ? 128 + 9 : 1)));
  });
}
