import { z } from "zod";
import { botOwnReason, botSettingNames, ENV_NAME, notPassedReason } from "./sandbox-passthrough.ts";
import { formatLoaderProblem, formatProblems, friendlyMessage, loaderProblem, toProblems } from "./repo-config-problems.ts";

/**
 * The per-repository configuration file, `.github/claude-sandbox-bot.yml`. This schema is the
 * single source of truth: the bot validates with it, and `node scripts/generate-config-docs.ts`
 * derives the editor JSON Schema and the README's reference table from it, so every field carries
 * a `.describe()`. Fields whose default is not a constant carry `defaultText` metadata instead.
 */

export const CONFIG_FILE_NAME = "claude-sandbox-bot.yml";
export const CONFIG_FILE_PATH = `.github/${CONFIG_FILE_NAME}`;

// Objects reject unknown keys so a typo (`lables:`) is an error instead of a silently ignored setting.
const nonEmpty = z.string().min(1, { error: "must not be empty" });
const label = z.string().min(1, { error: "must not be empty" }).max(50, { error: "GitHub label names are at most 50 characters" });

// Lenient on purpose (old accounts break today's rules); a leading "@" is tolerated and removed
// (overwrite, unlike transform, keeps the type so the JSON Schema still shows the defaults).
const LOGIN = /^@?[A-Za-z0-9][A-Za-z0-9-]*(\[bot\])?$/;
const TEAM = /^@?[A-Za-z0-9][A-Za-z0-9-]*\/[A-Za-z0-9][A-Za-z0-9_.-]*$/;
const stripAt = (s: string) => s.replace(/^@/, "");
const login = z.string().regex(LOGIN, { error: "must be a GitHub login such as `octocat` or `dependabot[bot]`" }).overwrite(stripAt);
const loginOrTeam = z
  .string()
  .regex(new RegExp(`${LOGIN.source}|${TEAM.source}`), { error: "must be a GitHub login such as `octocat`, or a team as `org/team-slug`" })
  .overwrite(stripAt);

// As a pattern (not a refine) so editors flag these names too: GitHub/git variables, the model
// credentials and every one of the bot's own settings (src/config/sandbox-passthrough.ts).
const NOT_RESERVED_ENV = new RegExp(`^(?!(?:GITHUB|GH|GIT)_|(?:${botSettingNames().join("|")})$)`);

/** Why a name may never be passed into the sandbox, or undefined when the operator may allow it. */
export function reservedEnvReason(name: string): string | undefined {
  return botOwnReason(name);
}

const envName = z
  .string()
  .regex(ENV_NAME, { error: "must be an environment variable name: upper-case letters, digits and `_`, not starting with a digit" })
  .regex(NOT_RESERVED_ENV, { error: (issue) => reservedEnvReason(String(issue.input)) });

// Claude Code's own .mcp.json shapes: a command it starts, or a remote server.
const stdioServer = z
  .strictObject({
    type: z.literal("stdio").optional().describe("`stdio` or absent: a command Claude Code starts inside the sandbox."),
    command: nonEmpty.describe("The executable, e.g. `npx`."),
    args: z.array(z.string()).optional().describe("Its arguments."),
    env: z.record(z.string(), z.string()).optional().describe("Environment variables for the server process (visible in this file: no secrets)."),
  })
  .describe("An MCP server Claude Code starts as a process in the sandbox.")
  .meta({ title: "command server" });

const remoteServer = z
  .strictObject({
    type: z.enum(["http", "sse"]).describe("`http` or `sse`: a remote server Claude Code connects to."),
    url: z.url({ protocol: /^https?$/, error: "must be an http:// or https:// URL, e.g. `https://mcp.example.com/mcp`" }).describe("The server's URL."),
    headers: z.record(z.string(), z.string()).optional().describe("HTTP headers sent with each request (visible in this file: no secrets)."),
  })
  .describe("A remote MCP server, over HTTP or server-sent events.")
  .meta({ title: "remote server" });

export const repoConfigSchema = z
  .strictObject({
    _extends: z
      .string()
      .optional()
      .describe("Probot's inheritance: `repo`, `owner/repo` or `owner/repo:path/file.yml` whose settings this file extends; keys here win."),
    triggerPhrase: nonEmpty
      .optional()
      .describe("What a comment must mention to start a run.")
      .meta({ defaultText: "the deployment's `TRIGGER_PHRASE`, else `@` + the app's slug" }),
    labels: z
      .strictObject({
        fix: label.default("claude-fix").describe("Adding this label to an issue starts a run that changes code and opens a pull request."),
        review: label.default("claude-review").describe("Adding this label to a pull request starts a review."),
        removeFixLabelWhenDone: z.boolean().default(true).describe("Remove the fix label when the run ends, so adding it again starts a new run."),
      })
      .prefault({})
      .describe("Labels that start runs."),
    branchPrefix: z
      .string()
      .regex(/^(?!.*(?:\.\.|\/\/|@\{))[A-Za-z0-9_][A-Za-z0-9._/-]*$/, {
        error: "must be usable in a git branch name: letters, digits, `.`, `_`, `-` and `/`, without `..` or `//`",
      })
      .default("claude/")
      .describe("Branches the bot creates are `<branchPrefix>issue-<n>`."),
    draftPullRequests: z.boolean().default(true).describe("Open pull requests as drafts."),
    baseBranch: nonEmpty
      .optional()
      .describe("The branch work starts from and pull requests target.")
      .meta({ defaultText: "the repository's default branch" }),
    model: nonEmpty
      .optional()
      .describe("Claude Code's `--model`, e.g. `sonnet`, `opus` or a full model name.")
      .meta({ defaultText: "the deployment's `CLAUDE_MODEL`, else the CLI's default" }),
    maxTurns: z
      .int()
      .min(1)
      .max(500)
      .optional()
      .describe("Claude Code's `--max-turns`: how many agent turns one run may take.")
      .meta({ defaultText: "the deployment's `CLAUDE_MAX_TURNS`, else the CLI's default" }),
    timeoutMinutes: z.int().min(1).max(360).default(30).describe("A run's time limit, sandbox included."),
    maxCostUsd: z
      .number()
      .positive()
      .optional()
      .describe("Stop a run once Claude has spent this many US dollars (Claude Code's `--max-budget-usd`).")
      .meta({ defaultText: "no limit" }),
    allowedTools: z
      .array(nonEmpty)
      .optional()
      .describe("Claude Code's `--allowedTools`, e.g. `Bash(npm test:*)`.")
      .meta({ defaultText: "the CLI's default" }),
    disallowedTools: z
      .array(nonEmpty)
      .optional()
      .describe("Claude Code's `--disallowedTools`: tools Claude may never use, e.g. `WebFetch`.")
      .meta({ defaultText: "none" }),
    instructions: z
      .string()
      .max(20_000, { error: "must be at most 20000 characters" })
      .optional()
      .describe("Extra instructions appended to Claude's system prompt (conventions, how to run the tests, …).")
      .meta({ defaultText: "none" }),
    mcpServers: z
      .record(z.string().regex(/^[A-Za-z0-9_-]+$/, { error: "MCP server names may use letters, digits, `_` and `-`" }), z.discriminatedUnion("type", [stdioServer, remoteServer]))
      .optional()
      .describe("MCP servers Claude Code may use, by name, in the shape of Claude Code's `.mcp.json`.")
      .meta({ defaultText: "none" }),
    env: z
      .array(envName)
      .default([])
      .describe(
        "Names of environment variables to pass into the sandbox (names only: no values in this file). Only names the deployment lists in `SANDBOX_PASSTHROUGH_ENV` pass; any other name refuses the run, saying so. The bot's own settings, GitHub/git variables (`GITHUB_*`, `GH_*`, `GIT_*`) and the model credentials are never passed.",
      ),
    setup: z
      .array(nonEmpty)
      .max(20, { error: "at most 20 setup commands" })
      .default([])
      .describe("Shell commands run in the checkout before Claude starts, e.g. `npm ci`; a failing command fails the run."),
    reviewers: z
      .array(loginOrTeam)
      .default([])
      .describe("Logins or `org/team` slugs: requesting a review from one of them starts a review run."),
    assignees: z.array(login).default([]).describe("Logins: assigning an issue to one of them starts a run."),
    access: z
      .strictObject({
        minimumPermission: z
          .enum(["read", "triage", "write", "maintain", "admin"])
          .default("write")
          .describe("The repository permission a user needs to start runs."),
        allowUsers: z.array(login).default([]).describe("Logins that may start runs whatever their permission, bots included."),
        denyUsers: z.array(login).default([]).describe("Logins that may never start runs."),
      })
      .prefault({})
      .describe("Who may start runs."),
    budget: z
      .strictObject({
        dailyUsd: z
          .number()
          .positive()
          .optional()
          .describe("Spending limit per repository per UTC day, in US dollars; runs are refused once it is reached.")
          .meta({ defaultText: "no limit" }),
      })
      .prefault({})
      .describe("Spending limits."),
  })
  .describe("Per-repository settings for claude-sandbox-bot, read from .github/claude-sandbox-bot.yml on the default branch.")
  .meta({ title: "claude-sandbox-bot repository configuration" });

export type RepoConfig = z.output<typeof repoConfigSchema>;
export type RepoConfigInput = z.input<typeof repoConfigSchema>;

export interface RepoConfigProblem {
  /** The key, e.g. `labels.fix`, `mcpServers.db.url`, `env[2]`; "" for the file as a whole. */
  path: string;
  message: string;
}

export type RepoConfigResult = { ok: true; config: RepoConfig } | { ok: false; problems: RepoConfigProblem[]; message: string };

// Shared by every delivery that has no file: frozen so no consumer can change it for the others.
export const DEFAULT_REPO_CONFIG: RepoConfig = deepFreeze(repoConfigSchema.parse({}));

function deepFreeze<T>(value: T): T {
  if (value && typeof value === "object") {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

export interface RepoConfigOptions {
  /** SANDBOX_PASSTHROUGH_ENV's names: the only ones `env:` may list. */
  passthrough?: readonly string[];
}

/** Validates what was read (already YAML-parsed, `_extends` merged). Absent file → defaults. */
export function parseRepoConfig(raw: unknown, file: string = CONFIG_FILE_PATH, options: RepoConfigOptions = {}): RepoConfigResult {
  if (raw === null || raw === undefined) return { ok: true, config: DEFAULT_REPO_CONFIG };
  const parsed = repoConfigSchema.safeParse(raw, { error: friendlyMessage });
  if (!parsed.success) {
    const problems = parsed.error.issues.flatMap((issue) => toProblems(issue, repoConfigSchema));
    return { ok: false, problems, message: formatProblems(file, problems) };
  }
  // Only what the deployment allows: a name it does not pass refuses the run, so nobody is surprised by a missing variable.
  const allowList = options.passthrough ?? [];
  const refused = parsed.data.env.flatMap((name, i) => {
    const reason = notPassedReason(name, allowList);
    return reason ? [{ path: `env[${i}]`, message: reason }] : [];
  });
  if (refused.length > 0) return { ok: false, problems: refused, message: formatProblems(file, refused) };
  return { ok: true, config: parsed.data };
}

export interface ConfigSourceLike {
  config(name: string): Promise<unknown>;
}

/**
 * Reads the file through Probot's `context.config`. Probot's loader (@probot/octokit-plugin-config)
 * throws `Error("[@probot/octokit-plugin-config] Configuration could not be parsed from <url> (invalid
 * YAML)")` with the `yaml` package's YAMLParseError (message with line, column and excerpt;
 * `linePos`) as `cause`; it throws the same prefix for a scalar document, a bad `_extends` and an
 * `_extends` loop. Those are the repository's to fix, so they become a reply; anything else (API
 * outage, missing permission) is rethrown for the caller's error handling.
 */
export async function loadRepoConfig(context: ConfigSourceLike, file: string = CONFIG_FILE_PATH, options: RepoConfigOptions = {}): Promise<RepoConfigResult> {
  let raw: unknown;
  try {
    raw = await context.config(CONFIG_FILE_NAME);
  } catch (error) {
    const problem = loaderProblem(error);
    if (!problem) throw error;
    return { ok: false, problems: [problem.problem], message: formatLoaderProblem(file, problem) };
  }
  return parseRepoConfig(raw, file, options);
}
