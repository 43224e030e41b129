import { z } from "zod";

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

const ENV_NAME = /^[A-Z_][A-Z0-9_]*$/;
// As a pattern (not a refine) so editors flag these names too.
const NOT_RESERVED_ENV = /^(?!(?:GITHUB|GH|GIT)_|ANTHROPIC_API_KEY$|CLAUDE_CODE_OAUTH_TOKEN$)/;

/** Why a name may not be passed into the sandbox, or undefined when it may. */
export function reservedEnvReason(name: string): string | undefined {
  if (NOT_RESERVED_ENV.test(name)) return undefined;
  if (name === "ANTHROPIC_API_KEY" || name === "CLAUDE_CODE_OAUTH_TOKEN") {
    return `\`${name}\` is the model credential: the bot's operator sets it for every run, a repository cannot pass it in`;
  }
  return `\`${name}\` is reserved (names starting with GITHUB_, GH_ or GIT_): the bot manages git and the GitHub token itself, and a token or git setting passed in would reach Claude and anything an issue talks it into running`;
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
        "Names of environment variables to pass into the sandbox (names only: no values in this file). GitHub/git variables (`GITHUB_*`, `GH_*`, `GIT_*`) and the model credentials are refused.",
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

/** Validates what Probot read (already YAML-parsed, `_extends` merged). Absent file → defaults. */
export function parseRepoConfig(raw: unknown, file: string = CONFIG_FILE_PATH): RepoConfigResult {
  if (raw === null || raw === undefined) return { ok: true, config: DEFAULT_REPO_CONFIG };
  const parsed = repoConfigSchema.safeParse(raw, { error: friendlyMessage });
  if (parsed.success) return { ok: true, config: parsed.data };
  const problems = parsed.error.issues.flatMap((issue) => toProblems(issue));
  return { ok: false, problems, message: formatProblems(file, problems) };
}

export interface ConfigSourceLike {
  config(name: string): Promise<unknown>;
}

const PLUGIN_PREFIX = "[@probot/octokit-plugin-config]";

/**
 * Reads the file through Probot's `context.config`. Probot's loader (@probot/octokit-plugin-config)
 * throws `Error("[@probot/octokit-plugin-config] Configuration could not be parsed from <url> (invalid
 * YAML)")` with the `yaml` package's YAMLParseError (message with line, column and excerpt;
 * `linePos`) as `cause`; it throws the same prefix for a scalar document, a bad `_extends` and an
 * `_extends` loop. Those are the repository's to fix, so they become a reply; anything else (API
 * outage, missing permission) is rethrown for the caller's error handling.
 */
export async function loadRepoConfig(context: ConfigSourceLike, file: string = CONFIG_FILE_PATH): Promise<RepoConfigResult> {
  let raw: unknown;
  try {
    raw = await context.config(CONFIG_FILE_NAME);
  } catch (error) {
    const problem = loaderProblem(error);
    if (!problem) throw error;
    return { ok: false, problems: [problem.problem], message: formatLoaderProblem(file, problem) };
  }
  return parseRepoConfig(raw, file);
}

// ---------------------------------------------------------------------------------------------
// Loader errors

interface LoaderProblem {
  problem: RepoConfigProblem;
  /** `owner/repo:path` of the file that failed, when the loader names it (it may be an `_extends` target). */
  source?: string;
  yamlExcerpt?: string;
}

function loaderProblem(error: unknown): LoaderProblem | undefined {
  if (!(error instanceof Error) || !error.message.startsWith(PLUGIN_PREFIX)) return undefined;
  const source = sourceOf(error.message);
  const cause = (error as { cause?: unknown }).cause;
  if (/\(invalid YAML\)/.test(error.message) && cause instanceof Error) {
    const linePos = (cause as { linePos?: Array<{ line: number; col: number }> }).linePos;
    const at = linePos?.[0];
    // YAMLParseError's message is "<what> at line L, column C:\n\n<excerpt>"; split the two.
    const [headline = cause.message, ...rest] = cause.message.split(/\n/);
    const what = headline.replace(/ at line \d+, column \d+:?$/, "");
    const where = at ? `line ${at.line}, column ${at.col}: ` : "";
    const excerpt = rest.join("\n").replace(/^\n+|\s+$/g, "");
    return { problem: { path: "", message: `not valid YAML: ${where}${what}` }, source, yamlExcerpt: excerpt || undefined };
  }
  if (/\(invalid YAML\)/.test(error.message)) return { problem: { path: "", message: "not valid YAML" }, source };
  if (/\(YAML is not an object\)/.test(error.message)) {
    return { problem: { path: "", message: "must be a mapping of keys to values (`key: value` lines), not a single value" }, source };
  }
  const extendsMatch = /Invalid value (.+) for _extends in /.exec(error.message);
  if (extendsMatch) {
    return { problem: { path: "_extends", message: `${extendsMatch[1]} is not \`repo\`, \`owner/repo\` or \`owner/repo:path/file.yml\`` }, source };
  }
  if (/Recursion detected/.test(error.message)) {
    return { problem: { path: "_extends", message: "the files extend each other in a loop" }, source };
  }
  return { problem: { path: "", message: error.message.slice(PLUGIN_PREFIX.length).trim() }, source };
}

/** The loader names files by their API URL, `…/repos/{owner}/{repo}/contents/{path}`. */
function sourceOf(message: string): string | undefined {
  const match = /\/repos\/([^/\s]+)\/([^/\s]+)\/contents\/([^\s?]+)/.exec(message);
  if (!match) return undefined;
  return `${match[1]}/${match[2]}:${decodeURIComponent(match[3] ?? "")}`;
}

// ---------------------------------------------------------------------------------------------
// Messages

type Issue = z.core.$ZodIssue;
type RawIssue = z.core.$ZodRawIssue;

const KIND: Record<string, string> = {
  string: "text",
  number: "a number",
  int: "a whole number",
  boolean: "`true` or `false`",
  array: "a list",
  object: "a mapping (`key: value` lines)",
  record: "a mapping (`key: value` lines)",
};

function describeValue(value: unknown): string {
  if (value === null) return "nothing (`null`)";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a mapping";
  if (typeof value === "string") return `the text ${code(truncate(JSON.stringify(value), 60))}`;
  if (typeof value === "number") return `the number ${code(String(value))}`;
  if (typeof value === "boolean") return code(String(value));
  return typeof value;
}

/** Per-parse error map: schema-level messages win over it, zod's defaults lose to it. */
function friendlyMessage(issue: RawIssue): string | undefined {
  switch (issue.code) {
    case "invalid_type": {
      const expected = KIND[issue.expected] ?? issue.expected;
      if (issue.input === undefined) return `is required (${expected})`;
      if (issue.expected === "int" && typeof issue.input === "number") return `must be a whole number, not ${code(String(issue.input))}`;
      return `must be ${expected}, not ${describeValue(issue.input)}`;
    }
    case "invalid_value":
      return issue.values.length === 1
        ? `must be ${code(String(issue.values[0]))}`
        : `must be one of ${issue.values.map((v) => code(String(v))).join(", ")}, not ${describeValue(issue.input)}`;
    case "too_small":
      if (issue.origin === "number") return `must be ${issue.inclusive ? "at least" : "greater than"} ${issue.minimum}`;
      if (issue.origin === "array") return `must list at least ${issue.minimum} item${issue.minimum === 1 ? "" : "s"}`;
      return issue.minimum === 1 ? "must not be empty" : `must be at least ${issue.minimum} characters`;
    case "too_big":
      if (issue.origin === "number") return `must be ${issue.inclusive ? "at most" : "less than"} ${issue.maximum}`;
      if (issue.origin === "array") return `must list at most ${issue.maximum} items`;
      return `must be at most ${issue.maximum} characters`;
    case "invalid_union":
      if (issue.note === "No matching discriminator") {
        return "`type` must be `http` or `sse` (a remote server), or `stdio` or absent (a command Claude Code starts)";
      }
      return undefined;
    default:
      return undefined;
  }
}

function toProblems(issue: Issue): RepoConfigProblem[] {
  if (issue.code === "unrecognized_keys") {
    return issue.keys.map((key) => ({ path: formatPath([...issue.path, key]), message: unknownKeyMessage(issue.path, key) }));
  }
  if (issue.code === "invalid_key") {
    // A bad record key (an MCP server's name): the key's own check has the useful message.
    return [{ path: formatPath(issue.path), message: issue.issues[0]?.message ?? issue.message }];
  }
  return [{ path: formatPath(issue.path), message: issue.message }];
}

function unknownKeyMessage(parent: readonly PropertyKey[], key: string): string {
  // Without `type` a server is taken for a command server, so a remote one's keys look unknown.
  if (parent[0] === "mcpServers" && parent.length === 2 && (key === "url" || key === "headers")) {
    return "unknown key for a command server: a remote server needs `type: http` or `type: sse`";
  }
  const known = knownKeys(parent);
  const suggestion = closest(key, known);
  if (suggestion) return `unknown key (did you mean ${code(suggestion)}?)`;
  return known.length > 0 ? `unknown key; the keys here are ${known.map(code).join(", ")}` : "unknown key";
}

/** The keys the schema allows at an object path, for "did you mean". */
function knownKeys(path: readonly PropertyKey[]): string[] {
  let schemas: z.core.$ZodType[] = [repoConfigSchema];
  for (const segment of path) {
    schemas = schemas.flatMap((s) => childSchemas(unwrap(s), segment));
  }
  return [...new Set(schemas.map(unwrap).flatMap((s) => (s instanceof z.ZodObject ? Object.keys(s.shape) : [])))];
}

function unwrap(schema: z.core.$ZodType): z.core.$ZodType {
  let s = schema;
  for (;;) {
    if (s instanceof z.ZodOptional || s instanceof z.ZodDefault || s instanceof z.ZodPrefault || s instanceof z.ZodNullable) s = s.unwrap() as z.core.$ZodType;
    else if (s instanceof z.ZodPipe) s = s.in as z.core.$ZodType;
    else return s;
  }
}

function childSchemas(schema: z.core.$ZodType, segment: PropertyKey): z.core.$ZodType[] {
  if (schema instanceof z.ZodObject) {
    const child = (schema.shape as Record<string, z.core.$ZodType>)[String(segment)];
    return child ? [child] : [];
  }
  if (schema instanceof z.ZodRecord) return [schema.valueType as z.core.$ZodType];
  if (schema instanceof z.ZodArray) return [schema.element as z.core.$ZodType];
  if (schema instanceof z.ZodUnion) return (schema.options as z.core.$ZodType[]).flatMap((o) => childSchemas(unwrap(o), segment));
  return [];
}

function closest(key: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const d = editDistance(key.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [candidate, d];
  }
  // Close enough to be a typo or a different casing (max_turns → maxTurns).
  const normalise = (s: string) => s.toLowerCase().replace(/[-_]/g, "");
  if (best && normalise(best) === normalise(key)) return best;
  return bestDistance <= Math.max(1, Math.floor(key.length / 3)) ? best : undefined;
}

/** Edit distance counting a swap of neighbours as one edit (`lables` → `labels`). */
function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  const at = (i: number, j: number) => d[i]?.[j] ?? Infinity;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, at(i - 2, j - 2) + 1);
      d[i]![j] = best;
    }
  }
  return at(a.length, b.length);
}

/** `labels.fix`, `env[2]`, `mcpServers.db.url`; odd names quoted: `mcpServers["my server"]`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const segment of path) {
    if (typeof segment === "number") out += `[${segment}]`;
    else if (typeof segment === "string" && /^[A-Za-z_$][\w$-]*$/.test(segment)) out += out ? `.${segment}` : segment;
    else out += `[${JSON.stringify(String(segment))}]`;
  }
  return out;
}

const MAX_LISTED = 20;

function formatProblems(file: string, problems: readonly RepoConfigProblem[]): string {
  const listed = problems.slice(0, MAX_LISTED).map((p) => `- ${p.path ? code(p.path) : "the file"}: ${p.message}`);
  if (problems.length > MAX_LISTED) listed.push(`- … and ${problems.length - MAX_LISTED} more`);
  const count = problems.length === 1 ? "a problem" : `${problems.length} problems`;
  return [
    `**The run was not started:** ${code(file)} has ${count}.`,
    "",
    ...listed,
    "",
    `Fix ${problems.length === 1 ? "it" : "them"} in ${code(file)} on the repository's default branch (the only branch the bot reads it from), then trigger the run again. ` +
      "Every key is described in the bot's README under “Per-repository configuration”.",
  ].join("\n");
}

function formatLoaderProblem(file: string, p: LoaderProblem): string {
  // The loader's file may be another repository's (the org's .github repo, an `_extends` target).
  const what = p.source ? code(p.source) : code(file);
  const lines = [`**The run was not started:** ${what} could not be read.`, "", `- ${p.problem.path ? code(p.problem.path) : "the file"}: ${p.problem.message}`];
  if (p.yamlExcerpt) lines.push("", fence(p.yamlExcerpt));
  lines.push(
    "",
    `Fix the file on that repository's default branch (the only branch the bot reads it from), then trigger the run again. ` +
      "A YAML-aware editor or linter shows such mistakes as you type.",
  );
  return lines.join("\n");
}

/** Inline code that survives backticks in user-controlled text (and keeps @mentions inert). */
function code(text: string): string {
  const clean = text.replace(/\r?\n/g, " ");
  const longest = Math.max(0, ...[...clean.matchAll(/`+/g)].map((m) => m[0].length));
  const ticks = "`".repeat(longest + 1);
  const pad = longest > 0 || clean.startsWith("`") || clean.endsWith("`") ? " " : "";
  return `${ticks}${pad}${clean}${pad}${ticks}`;
}

function fence(text: string): string {
  const longest = Math.max(2, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  const ticks = "`".repeat(longest + 1);
  return `${ticks}text\n${text}\n${ticks}`;
}

function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
