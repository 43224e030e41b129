import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readdirSync, readlinkSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { waitFor } from "./wait-for.ts";

/** Starts the bot as `npm start` does (node src/main.ts) in a child process, configured by env only. */

export const PROJECT_ROOT = resolve(import.meta.dirname, "../..");
export const CLAUDE_BIN = join(PROJECT_ROOT, "node_modules/.bin/claude");

export interface BotProcess {
  url: string;
  webhookUrl: string;
  secret: string;
  dataDir: string;
  logs: string[];
  process: ChildProcess;
  /** Parsed JSON log lines (LOG_FORMAT=json). */
  logRecords(): Array<Record<string, unknown>>;
  stop(): Promise<void>;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

export interface StartBotOptions {
  env: Record<string, string>;
  dataDir?: string;
  /** Wait for /healthz (default true). */
  waitReady?: boolean;
}

export async function startBot(options: StartBotOptions): Promise<BotProcess> {
  const port = await freePort();
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), "csb-bot-"));
  const secret = options.env.WEBHOOK_SECRET ?? "webhook-secret-for-tests";
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    HOME: dataDir,
    PORT: String(port),
    HOST: "127.0.0.1",
    WEBHOOK_SECRET: secret,
    SANDBOX_PROVIDER: "local",
    LOCAL_SANDBOX_ROOT: join(dataDir, "sandboxes"),
    DATABASE_URL: `sqlite:${join(dataDir, "bot.db")}`,
    CLAUDE_COMMAND: CLAUDE_BIN,
    LOG_LEVEL: "debug",
    LOG_FORMAT: "json",
    ...options.env,
  };
  // cwd is the data directory, so a developer's .env in the project is never picked up.
  const child = spawn(process.execPath, [join(PROJECT_ROOT, "src/main.ts")], { cwd: dataDir, env, stdio: ["ignore", "pipe", "pipe"] });
  const logs: string[] = [];
  const collect = (chunk: Buffer) => logs.push(...chunk.toString("utf8").split("\n").filter(Boolean));
  child.stdout?.on("data", collect);
  child.stderr?.on("data", collect);
  const exited = new Promise<void>((r) => child.once("exit", () => r()));

  const url = `http://127.0.0.1:${port}`;
  const bot: BotProcess = {
    url,
    webhookUrl: `${url}/api/github/webhooks`,
    secret,
    dataDir,
    logs,
    process: child,
    logRecords: () =>
      logs.flatMap((line) => {
        try {
          return [JSON.parse(line) as Record<string, unknown>];
        } catch {
          return [];
        }
      }),
    async stop() {
      if (child.exitCode !== null) return;
      child.kill("SIGTERM");
      await Promise.race([exited, new Promise((r) => setTimeout(r, 15_000))]);
      if (child.exitCode === null) child.kill("SIGKILL");
      await exited;
    },
    async kill(signal = "SIGKILL") {
      if (child.exitCode !== null) return;
      child.kill(signal);
      await exited;
    },
  };
  if (options.waitReady ?? true) {
    await waitFor(
      "the bot's /healthz",
      async () => {
        if (child.exitCode !== null) throw new Error(`the bot exited with ${child.exitCode}:\n${logs.slice(-20).join("\n")}`);
        const res = await fetch(`${url}/healthz`).catch(() => null);
        return res?.status === 200;
      },
      30_000,
      100,
    ).catch((error: unknown) => {
      child.kill("SIGKILL");
      throw error;
    });
  }
  return bot;
}

/**
 * Kills processes still working inside a bot's data directory: the Claude processes of a bot that
 * was killed with SIGKILL (its children outlive it, as they would on a real host) would otherwise
 * keep running after the test.
 */
export function killStrays(dataDir: string): void {
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    let cwd: string;
    try {
      cwd = readlinkSync(`/proc/${entry}/cwd`);
    } catch {
      continue;
    }
    if (cwd === dataDir || cwd.startsWith(`${dataDir}/`)) {
      try {
        process.kill(Number(entry), "SIGKILL");
      } catch {
        // already gone
      }
    }
  }
}
