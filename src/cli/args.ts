import { parseArgs } from "node:util";

/** The command line → what to do. Pure: argv and the environment in, a Command or a UsageError out. */

export interface Connection {
  url: string;
  token: string;
}

export type Command =
  | { kind: "help" }
  | { kind: "run"; connection: Connection; repo: string; prompt: string; issue?: number; branch?: string; wait: boolean; intervalMs: number }
  | { kind: "resume"; connection: Connection; runId: number; prompt: string; wait: boolean; intervalMs: number }
  | { kind: "runs"; connection: Connection; repo?: string; state?: string; limit?: number };

export class UsageError extends Error {
  override name = "UsageError";
}

export const USAGE = `Usage:
  claude-sandbox-bot run --repo owner/name [--issue N] [--branch name] "prompt"
  claude-sandbox-bot resume <run id> "prompt"
  claude-sandbox-bot runs [--repo owner/name] [--state state] [--limit N]

Starts Claude Code runs on a claude-sandbox-bot and follows them. "run" starts a run (on an
issue with --issue: the report is posted there; else in a conversation of its own that opens a
pull request); "resume" continues a run's conversation (the same Claude session); both wait and
show the run's phases unless --no-wait. "runs" lists recent runs.

Options:
  --url URL        the bot's address (default: $CLAUDE_SANDBOX_BOT_URL)
  --token TOKEN    its ADMIN_TOKEN (default: $CLAUDE_SANDBOX_BOT_TOKEN)
  --no-wait        print the new run's id and exit
  --interval MS    how often to ask for progress while waiting (default 1000)
  -h, --help       this text

Exit codes: 0 done (or no changes), 1 failed, 130 canceled, 2 usage error, 3 the bot could not be reached or refused the request.`;

const STATES = ["received", "queued", "running", "succeeded", "failed", "canceled"];

export function parseCommand(argv: readonly string[], env: Readonly<Record<string, string | undefined>>): Command {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      allowNegative: true,
      strict: true,
      options: {
        url: { type: "string" },
        token: { type: "string" },
        repo: { type: "string" },
        issue: { type: "string" },
        branch: { type: "string" },
        state: { type: "string" },
        limit: { type: "string" },
        interval: { type: "string" },
        wait: { type: "boolean", default: true },
        help: { type: "boolean", short: "h", default: false },
      },
    });
  } catch (error) {
    throw new UsageError(`${(error as Error).message}\n\n${USAGE}`);
  }
  const { values, positionals } = parsed;
  const [name, ...rest] = positionals;
  if (values.help || name === undefined || name === "help") return { kind: "help" };

  const connection = (): Connection => {
    const url = (values.url ?? env.CLAUDE_SANDBOX_BOT_URL ?? "").trim().replace(/\/+$/, "");
    const token = (values.token ?? env.CLAUDE_SANDBOX_BOT_TOKEN ?? "").trim();
    if (!url) throw new UsageError("Which bot? Set CLAUDE_SANDBOX_BOT_URL (e.g. http://localhost:3000) or pass --url.");
    if (!/^https?:\/\/[^\s/]+/.test(url)) throw new UsageError(`--url / CLAUDE_SANDBOX_BOT_URL must be an http(s) URL, not "${url}".`);
    if (!token) throw new UsageError("Set CLAUDE_SANDBOX_BOT_TOKEN to the bot's ADMIN_TOKEN, or pass --token.");
    return { url, token };
  };
  const prompt = (words: string[], what: string) => {
    const text = words.join(" ").trim();
    if (!text) throw new UsageError(`${what} needs a prompt: claude-sandbox-bot ${what} … "what to do".`);
    return text;
  };
  const positiveInt = (value: string | undefined, flag: string): number | undefined => {
    if (value === undefined) return undefined;
    if (!/^\d+$/.test(value) || Number(value) < 1) throw new UsageError(`${flag} must be a positive whole number, not "${value}".`);
    return Number(value);
  };
  const intervalMs = positiveInt(values.interval, "--interval") ?? 1000;

  switch (name) {
    case "run": {
      const repo = values.repo?.trim();
      if (!repo) throw new UsageError(`run needs --repo owner/name.\n\n${USAGE}`);
      if (!/^[\w.-]+\/[\w.-]+$/.test(repo)) throw new UsageError(`--repo must be owner/name, not "${repo}".`);
      const issue = positiveInt(values.issue, "--issue");
      const branch = values.branch?.trim();
      return { kind: "run", connection: connection(), repo, prompt: prompt(rest, "run"), wait: values.wait, intervalMs, ...(issue ? { issue } : {}), ...(branch ? { branch } : {}) };
    }
    case "resume": {
      const [id, ...words] = rest;
      const runId = positiveInt(id, "The run id");
      if (runId === undefined) throw new UsageError(`resume needs a run id: claude-sandbox-bot resume <run id> "prompt".`);
      return { kind: "resume", connection: connection(), runId, prompt: prompt(words, "resume"), wait: values.wait, intervalMs };
    }
    case "runs": {
      if (rest.length > 0) throw new UsageError(`runs takes no arguments (got "${rest.join(" ")}"); filter with --repo and --state.`);
      if (values.state && !STATES.includes(values.state)) throw new UsageError(`--state must be one of ${STATES.join(", ")}.`);
      const limit = positiveInt(values.limit, "--limit");
      return { kind: "runs", connection: connection(), ...(values.repo ? { repo: values.repo } : {}), ...(values.state ? { state: values.state } : {}), ...(limit ? { limit } : {}) };
    }
    default:
      throw new UsageError(`Unknown command "${name}".\n\n${USAGE}`);
  }
}
