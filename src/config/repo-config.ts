import { MAX_GLOB_CHARS, setupInputProblem } from "./setup-inputs.ts";
import { z } from "zod";
import { botOwnReason, botSettingNames, ENV_NAME, notPassedReason } from "./sandbox-passthrough.ts";
import { fileName, resolveExtends, sameFile } from "./repo-config-extends.ts";
import { MAX_CONFIG_BYTES, MAX_PROBLEMS } from "./repo-config-limits.ts";
import { collectProblems, formatForeignProblem, formatLoaderProblem, formatProblems, friendlyMessage } from "./repo-config-problems.ts";
import { fetchConfigFile, parseConfigText, type ConfigClient, type ConfigFileRef, type FetchedFile } from "./repo-config-read.ts";
import type { RepoConfigProblem } from "./config-problem.ts";

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
/** A check-name glob (`*`, `?`; matched in the bot's process, triggers/ci-trigger.ts): bounded. */
const checkGlob = nonEmpty.max(200, { error: "must be at most 200 characters" });
/** A setupInputs glob: bounded, and its braces expand to a bounded list (config/setup-inputs.ts). */
const setupInput = nonEmpty.max(MAX_GLOB_CHARS, { error: `must be at most ${MAX_GLOB_CHARS} characters` }).superRefine((glob, ctx) => {
  const problem = setupInputProblem(glob);
  if (problem) ctx.addIssue({ code: "custom", message: problem });
});
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

/** What setup commands usually depend on (snapshots.setupInputs): package managers' manifests, lockfiles and settings. */
export const DEFAULT_SETUP_INPUTS = [
  "**/package.json",
  "**/package-lock.json",
  "**/npm-shrinkwrap.json",
  "**/pnpm-lock.yaml",
  "**/pnpm-workspace.yaml",
  "**/yarn.lock",
  "**/.yarnrc.yml",
  "**/.npmrc",
  "**/.nvmrc",
  "**/.node-version",
  "**/requirements*.txt",
  "**/pyproject.toml",
  "**/setup.py",
  "**/setup.cfg",
  "**/Pipfile.lock",
  "**/poetry.lock",
  "**/uv.lock",
  "**/.python-version",
  "**/Cargo.toml",
  "**/Cargo.lock",
  "**/rust-toolchain.toml",
  "**/go.mod",
  "**/go.sum",
  "**/.tool-versions",
] as const;

export const repoConfigSchema = z
  .strictObject({
    _extends: z
      .string()
      .optional()
      .describe(
        "Inherit settings from this owner's `.github` repository: `.github` (its `.github/claude-sandbox-bot.yml`) or `.github:path/file.yml`; top-level keys here win. No other repository, and only one level.",
      ),
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
      .optional()
      .describe("Branches the bot creates are `<branchPrefix>issue-<n>`.")
      .meta({ defaultText: "the deployment's `BRANCH_PREFIX` (`claude/` unless set)" }),
    draftPullRequests: z.boolean().default(true).describe("Open pull requests as drafts."),
    signedCommits: z
      .boolean()
      .default(true)
      .describe(
        "Make the bot's commits through GitHub's API, which signs them for the app (shown as Verified). A change the API cannot express (a symbolic link, a submodule, another file mode, a file over 39 MB, a merge) is pushed unsigned instead, and the report says why. `false`: push every commit from the bot's machine, unsigned.",
      ),
    baseBranch: nonEmpty
      .optional()
      .describe("The branch work starts from and pull requests target.")
      .meta({ defaultText: "the repository's default branch" }),
    model: nonEmpty
      .optional()
      .describe("Claude Code's `--model`, e.g. `sonnet`, `opus` or a full model name.")
      .meta({ defaultText: "the deployment's `CLAUDE_MODEL`, else the CLI's default" }),
    models: z
      .strictObject({
        allowed: z
          .array(nonEmpty)
          .max(20, { error: "at most 20 models" })
          .optional()
          .describe("Models a request may pick with `@bot /model <name> <task>` (or `--model <name>`); the default model is always allowed. A thread's follow-ups keep the model its last request picked.")
          .meta({ defaultText: "only the default model" }),
        default: nonEmpty
          .optional()
          .describe("The model of a run whose request names none. Wins over `model` when both are set.")
          .meta({ defaultText: "`model`, else the deployment's `CLAUDE_MODEL`, else the CLI's default" }),
      })
      .optional()
      .describe("Which models requests may pick.")
      .meta({ defaultText: "the default model only" }),
    planFirst: z
      .boolean()
      .optional()
      .meta({ defaultText: "`false`" })
      .describe("In issue threads, every request first gets a plan (Claude in plan mode: nothing written or pushed), posted as a checklist; `@bot go` carries it out. `@bot plan <task>` asks for one anywhere."),
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
      .describe("Shell commands run in the checkout before Claude starts, e.g. `npm ci`; a failing command fails the run, and each may take at most 10 minutes (and never more than the run has left)."),
    snapshots: z
      .strictObject({
        enabled: z
          .boolean()
          .default(true)
          .describe("Keep a snapshot of a sandbox with the default branch checked out and the setup commands run, and start new threads' sandboxes from it (only with setup commands, and a sandbox provider that has snapshots)."),
        setupInputs: z
          .array(setupInput)
          .max(100, { error: "at most 100 globs" })
          .default([...DEFAULT_SETUP_INPUTS])
          .describe("Globs of the files the setup commands depend on: when one changed since the snapshot, a sandbox started from it runs the setup commands again. Matched by git in the sandbox (`*` within a directory, `**` across directories, `?`, `[...]`; `{a,b}` braces expand to at most 64 alternatives), at most 200 characters each.")
          .meta({ defaultText: "the lockfiles and manifests of npm, pnpm, yarn, pip, poetry, uv, cargo and go" }),
      })
      .prefault({})
      .describe("Repository snapshots: a new thread starts from a set-up checkout instead of cloning and running the setup commands."),
    reviewers: z
      .array(loginOrTeam)
      .default([])
      .describe("Logins or `org/team` slugs: requesting a review from one of them starts a review run."),
    assignees: z.array(login).default([]).describe("Logins: assigning an issue to one of them starts a run."),
    access: z
      .strictObject({
        minimumPermission: z
          .enum(["read", "triage", "write", "maintain", "admin"])
          // Every GitHub user has read access to a public repository: `read` would let anyone start runs.
          .refine((p): boolean => p !== "read", { error: "`read` is not accepted (every GitHub user can read a public repository); the lowest is `triage`" })
          .default("write")
          .describe("The repository permission a user needs to start runs: `triage` or higher (`read` is refused)."),
        allowUsers: z
          .array(login)
          .default([])
          .describe("Logins that may start runs whatever `minimumPermission` says: bot accounts (`name[bot]`), or people with at least triage access."),
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
    checkRun: z
      .strictObject({
        enabled: z
          .boolean()
          .default(true)
          .describe("Show each run as a check run on the head commit (a pull request's, or the issue branch's once it exists), and give each commit a run pushes a completed one; the app needs the `checks: write` permission."),
        name: nonEmpty.max(100, { error: "must be at most 100 characters" }).default("claude-sandbox-bot").describe("The check run's name, as the checks list shows it."),
      })
      .prefault({})
      .describe("The run's check run, where the pull request's checks, branch protection and notifications see it."),
    ciFix: z
      .strictObject({
        enabled: z.boolean().default(true).describe("When checks fail on a branch the bot owns (`<branchPrefix>issue-<n>`), start a follow-up run in the pull request's session with the failed checks, their annotations and the tail of each failed job's log; the app needs `actions: read` and `checks: read`."),
        allPullRequests: z.boolean().default(false).describe("Do the same on every pull request from a branch of this repository (never a fork's), not only the bot's own."),
        maxAttempts: z.int().min(0).max(10).default(2).describe("Automatic attempts per pull request until a person starts a run there again; `@bot fix-ci` is not counted."),
        onlyChecks: z.array(checkGlob).max(100, { error: "at most 100 globs" }).default([]).describe("Globs (`*`, `?`) of check names that count; empty means all.").meta({ defaultText: "all checks" }),
        ignoreChecks: z.array(checkGlob).max(100, { error: "at most 100 globs" }).default([]).describe("Globs (`*`, `?`) of check names that never count, e.g. `codecov/*`."),
      })
      .prefault({})
      .describe("Fixing failing CI on the bot's pull requests in the same Claude session."),
  })
  .describe("Per-repository settings for claude-sandbox-bot, read from .github/claude-sandbox-bot.yml on the default branch.")
  .meta({ title: "claude-sandbox-bot repository configuration" });

export type RepoConfig = z.output<typeof repoConfigSchema>;
export type RepoConfigInput = z.input<typeof repoConfigSchema>;

export type RepoConfigResult =
  | { ok: true; config: RepoConfig }
  | {
      ok: false;
      /** At most MAX_PROBLEMS, worked out in detail; `message` counts the rest. */
      problems: RepoConfigProblem[];
      message: string;
      /** The file's `access:` when it is valid on its own: who may see this reply. */
      access?: RepoConfig["access"];
    };

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

/**
 * Validates what was read (already YAML-parsed, `_extends` merged). Absent file → defaults. The
 * work is bounded by the value's size (the reader's shape check) and MAX_PROBLEMS.
 */
export function parseRepoConfig(raw: unknown, file: string = CONFIG_FILE_PATH, options: RepoConfigOptions = {}): RepoConfigResult {
  if (raw === null || raw === undefined) return { ok: true, config: DEFAULT_REPO_CONFIG };
  const parsed = repoConfigSchema.safeParse(raw, { error: friendlyMessage });
  if (!parsed.success) {
    const { problems, total } = collectProblems(parsed.error.issues, repoConfigSchema, MAX_PROBLEMS);
    return withAccess({ ok: false, problems, message: formatProblems(file, problems, total) }, raw);
  }
  // Only what the deployment allows: a name it does not pass refuses the run, so nobody is surprised by a missing variable.
  const allowList = options.passthrough ?? [];
  const refused = parsed.data.env.flatMap((name, i) => {
    const reason = notPassedReason(name, allowList);
    return reason ? [{ path: `env[${i}]`, message: reason }] : [];
  });
  if (refused.length > 0) {
    const problems = refused.slice(0, MAX_PROBLEMS);
    return { ok: false, problems, message: formatProblems(file, problems, refused.length), access: parsed.data.access };
  }
  return { ok: true, config: parsed.data };
}

function withAccess(result: Extract<RepoConfigResult, { ok: false }>, raw: unknown): RepoConfigResult {
  const access = repoConfigSchema.shape.access.safeParse((raw as { access?: unknown }).access);
  return access.success ? { ...result, access: access.data } : result;
}

/**
 * Reads `.github/claude-sandbox-bot.yml` of the repository (or, when it has none, of the owner's
 * `.github` repository, as Probot does) and the file its `_extends` names, each bounded by
 * repo-config-limits.ts. Problems in the repository's own file are listed in detail; a problem in
 * any other file (the owner's `.github` repository) is named by file only: the reply is posted
 * in this repository's thread, which may be public while that repository is not. A file the
 * repository cannot fix is the repository's to fix too, so it becomes a reply; anything else
 * (API outage, missing permission) is rethrown for the caller's error handling.
 */
export async function loadRepoConfig(client: ConfigClient, where: { owner: string; repo: string }, options: RepoConfigOptions = {}): Promise<RepoConfigResult> {
  const own: ConfigFileRef = { owner: where.owner, repo: where.repo, path: CONFIG_FILE_PATH };
  let primary = own;
  let fetched = await fetchConfigFile(client, own);
  if (fetched.kind === "absent" && where.repo.toLowerCase() !== ".github") {
    primary = { owner: where.owner, repo: ".github", path: CONFIG_FILE_PATH };
    fetched = await fetchConfigFile(client, primary);
  }
  const foreign = primary !== own;
  const first = readFetched(primary, fetched, foreign);
  if (!first.ok) return first.result;
  if (first.value === null) return { ok: true, config: DEFAULT_REPO_CONFIG };
  const { _extends: extendsValue, ...rest } = first.value;
  const validate = (raw: unknown) => {
    const result = parseRepoConfig(raw, CONFIG_FILE_PATH, options);
    return foreign && !result.ok ? foreignFailure(primary, hasProblems(result), result.access) : result;
  };
  if (extendsValue === undefined) return validate(rest);

  const target = resolveExtends(extendsValue, where.owner, CONFIG_FILE_PATH);
  if (!target.ok) return foreign ? foreignFailure(primary, "has an `_extends` that is not allowed") : problemsOf([target.problem]);
  if (sameFile(target.ref, primary)) return foreign ? foreignFailure(primary, "extends itself") : problemsOf([{ path: "_extends", message: "names this file itself" }]);
  const extended = await fetchConfigFile(client, target.ref);
  if (extended.kind === "absent") {
    const problem = { path: "_extends", message: `names \`${fileName(target.ref)}\`, which does not exist or which this app may not read (is it installed on \`${target.ref.owner}/.github\`?)` };
    return foreign ? foreignFailure(primary, "extends a file that does not exist") : problemsOf([problem]);
  }
  const second = readFetched(target.ref, extended, true);
  if (!second.ok) return second.result;
  if (second.value?.["_extends"] !== undefined) return foreignFailure(target.ref, "has `_extends` of its own; only one level is followed");
  // Validated alone first: then every problem of the merged file is in this repository's own keys.
  const base = parseRepoConfig(second.value, fileName(target.ref), options);
  if (!base.ok) return foreignFailure(target.ref, hasProblems(base));
  // Probot's merge: top-level keys of the extending file replace the extended file's.
  return validate({ ...second.value, ...rest });
}

type Read = { ok: true; value: Record<string, unknown> | null } | { ok: false; result: RepoConfigResult };

function readFetched(ref: ConfigFileRef, fetched: FetchedFile, foreign: boolean): Read {
  if (fetched.kind === "absent") return { ok: true, value: null };
  const fail = (problem: RepoConfigProblem, yamlExcerpt?: string): Read => ({
    ok: false,
    result: foreign
      ? foreignFailure(ref, problem.message.startsWith("not valid YAML") ? "is not valid YAML" : "could not be used")
      : { ok: false, problems: [problem], message: formatLoaderProblem(CONFIG_FILE_PATH, { problem, source: fileName(ref), ...(yamlExcerpt ? { yamlExcerpt } : {}) }) },
  });
  if (fetched.kind === "too-large") return fail({ path: "", message: `is larger than ${MAX_CONFIG_BYTES_TEXT}; a config needs a few hundred bytes (nothing beyond that was read)` });
  if (fetched.kind === "not-a-file") return fail({ path: "", message: "is a directory or a submodule, not a file" });
  const parsed = parseConfigText(fetched.text);
  if (!parsed.ok) return fail(parsed.problem, parsed.yamlExcerpt);
  return { ok: true, value: parsed.value };
}

const MAX_CONFIG_BYTES_TEXT = `${MAX_CONFIG_BYTES / 1024} KB`;

function problemsOf(problems: RepoConfigProblem[]): RepoConfigResult {
  return { ok: false, problems, message: formatProblems(CONFIG_FILE_PATH, problems, problems.length) };
}

const hasProblems = (result: Extract<RepoConfigResult, { ok: false }>) => (result.problems.length > 1 ? "has problems" : "has a problem");

/** Another repository's file: named, never quoted (no keys, values or excerpts). */
function foreignFailure(ref: ConfigFileRef, what: string, access?: RepoConfig["access"]): RepoConfigResult {
  const problem = { path: "", message: `\`${fileName(ref)}\` ${what}` };
  return { ok: false, problems: [problem], message: formatForeignProblem(fileName(ref), what), ...(access ? { access } : {}) };
}
