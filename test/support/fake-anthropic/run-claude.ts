/**
 * Running the real Claude Code CLI against the fake, the way the bot runs it:
 * prompt on stdin, cwd = a git checkout, HOME = a temp dir.
 */
import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const CLAUDE_BIN = fileURLToPath(new URL("../../../node_modules/.bin/claude", import.meta.url));

export const FAKE_API_KEY = "sk-ant-api03-fake-key-for-tests";

/**
 * The environment that makes the CLI run quickly and offline against the fake.
 * Only PATH is taken from the parent environment, so a developer's own
 * ANTHROPIC_* / CLAUDE_* settings cannot leak in.
 */
export function claudeEnv(opts: {
  baseUrl: string;
  home: string;
  apiKey?: string;
  extra?: Record<string, string | undefined>;
}): Record<string, string> {
  const env: Record<string, string | undefined> = {
    PATH: process.env.PATH,
    HOME: opts.home,
    ANTHROPIC_API_KEY: opts.apiKey ?? FAKE_API_KEY,
    ANTHROPIC_BASE_URL: opts.baseUrl,
    // We run as root; --dangerously-skip-permissions refuses root unless IS_SANDBOX=1.
    IS_SANDBOX: "1",
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
    DISABLE_AUTOUPDATER: "1",
    // Errors should fail fast instead of backing off for minutes (default: 10 retries, ~3 min).
    CLAUDE_CODE_MAX_RETRIES: "0",
    // Keep the CLI's scratch files (/tmp/claude-<uid>/…, fswatch probes, cc-socks) inside the temp HOME.
    CLAUDE_CODE_TMPDIR: join(opts.home, "tmp"),
    ...opts.extra,
  };
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined) out[k] = v;
  return out;
}

export interface RunClaudeOptions {
  baseUrl: string;
  cwd: string;
  home: string;
  prompt: string;
  resume?: string;
  maxTurns?: number;
  model?: string;
  /** Extra CLI arguments, appended after the standard ones. */
  args?: string[];
  apiKey?: string;
  /** Extra / overriding environment variables (undefined removes one). */
  env?: Record<string, string | undefined>;
  /** Kill the CLI after this long (default 60 s). */
  timeoutMs?: number;
}

export interface RunClaudeResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Every stdout line that parsed as JSON. */
  events: any[];
  /** The final {"type":"result"} event, if any. */
  result: any;
  sessionId: string | undefined;
  durationMs: number;
  timedOut: boolean;
}

export function claudeArgs(opts: Pick<RunClaudeOptions, "resume" | "maxTurns" | "model" | "args">): string[] {
  const args = ["-p", "--output-format", "stream-json", "--verbose", "--dangerously-skip-permissions"];
  if (opts.resume !== undefined) args.push("--resume", opts.resume);
  if (opts.maxTurns !== undefined) args.push("--max-turns", String(opts.maxTurns));
  if (opts.model !== undefined) args.push("--model", opts.model);
  if (opts.args) args.push(...opts.args);
  return args;
}

export function parseStreamJson(stdout: string): any[] {
  const events: any[] = [];
  for (const line of stdout.split("\n")) {
    if (line.trim() === "") continue;
    try {
      events.push(JSON.parse(line));
    } catch {
      // not a JSON line; ignore
    }
  }
  return events;
}

export function runClaude(opts: RunClaudeOptions): Promise<RunClaudeResult> {
  const started = Date.now();
  const env = claudeEnv({ baseUrl: opts.baseUrl, home: opts.home, apiKey: opts.apiKey, extra: opts.env });
  return new Promise((resolve, reject) => {
    const child = spawn(CLAUDE_BIN, claudeArgs(opts), { cwd: opts.cwd, env, stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    let timedOut = false;
    child.stdout.setEncoding("utf8").on("data", (c: string) => (stdout += c));
    child.stderr.setEncoding("utf8").on("data", (c: string) => (stderr += c));
    child.stdin.on("error", () => {});
    child.stdin.end(opts.prompt);
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, opts.timeoutMs ?? 60_000);
    child.on("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      const events = parseStreamJson(stdout);
      const result = events.findLast((e) => e?.type === "result");
      const sessionId = result?.session_id ?? events.find((e) => typeof e?.session_id === "string")?.session_id;
      resolve({ code, signal, stdout, stderr, events, result, sessionId, durationMs: Date.now() - started, timedOut });
    });
  });
}

/** The directory name the CLI uses for a project: every non-alphanumeric character of cwd replaced by "-". */
export function projectDirName(cwd: string): string {
  return cwd.replace(/[^a-zA-Z0-9]/g, "-");
}

/** Where the CLI keeps a session's transcript. */
export function transcriptPath(home: string, cwd: string, sessionId: string): string {
  return join(home, ".claude", "projects", projectDirName(cwd), `${sessionId}.jsonl`);
}

/** A fresh temp directory, symlinks resolved (the CLI reports realpaths). */
export function tempDir(prefix: string): string {
  return realpathSync(mkdtempSync(join(tmpdir(), prefix)));
}

/** A temp git checkout with one commit, like the bot's working copies. */
export function makeCheckout(prefix = "fake-anthropic-repo-"): string {
  const dir = tempDir(prefix);
  const git = (...args: string[]) => execFileSync("git", args, { cwd: dir, stdio: "ignore" });
  git("init", "-q", "-b", "main");
  git("config", "user.email", "test@example.com");
  git("config", "user.name", "Test");
  writeFileSync(join(dir, "README.md"), "# test repo\n");
  git("add", ".");
  git("commit", "-q", "-m", "initial");
  return dir;
}

/** Remove temp dirs made by tempDir()/makeCheckout() (errors ignored). */
export function removeDirs(...dirs: string[]): void {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
}
