import { STREAM_INPUT_ARGS } from "./stream-input.ts";

/** The Claude Code command line. Pure; the prompt never appears here (it goes in on stdin). */

export interface ClaudeArgsInput {
  command: string;
  resumeSessionId?: string | null | undefined;
  model?: string | undefined;
  maxTurns?: number | undefined;
  maxBudgetUsd?: number | undefined;
  allowedTools?: readonly string[] | undefined;
  disallowedTools?: readonly string[] | undefined;
  appendSystemPrompt?: string | undefined;
  /** A JSON file in the sandbox with {"mcpServers": …}. */
  mcpConfigPath?: string | undefined;
  /** Constrains the final answer (review mode). */
  jsonSchema?: object | undefined;
  /** "plan": the CLI's plan mode (reads, never writes) instead of skipping permission checks. */
  permissionMode?: "plan" | undefined;
  /** Streaming input (stream-input.ts): the prompt and later messages as JSON lines on an open stdin. */
  streamInput?: boolean | undefined;
}

const SESSION_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function buildClaudeArgs(input: ClaudeArgsInput): string[] {
  // Plan mode is a permission mode of its own: with the checks skipped it would not hold.
  const permissions = input.permissionMode === "plan" ? ["--permission-mode", "plan"] : ["--dangerously-skip-permissions"];
  const args = [input.command, "-p", "--output-format", "stream-json", "--verbose", ...permissions];
  if (input.streamInput) args.push(...STREAM_INPUT_ARGS);
  if (input.resumeSessionId) {
    // --session-id only names a NEW session; continuing one is --resume.
    if (!SESSION_ID.test(input.resumeSessionId)) throw new Error(`Refusing to resume: "${input.resumeSessionId}" is not a Claude session id`);
    args.push("--resume", input.resumeSessionId);
  }
  if (input.model) args.push("--model", input.model);
  if (input.maxTurns) args.push("--max-turns", String(input.maxTurns));
  if (input.maxBudgetUsd) args.push("--max-budget-usd", String(input.maxBudgetUsd));
  // Variadic flags would swallow a trailing prompt; ours comes on stdin, and each list is one
  // comma-separated argument so the next flag is never taken for a tool name.
  if (input.allowedTools?.length) args.push("--allowedTools", input.allowedTools.join(","));
  if (input.disallowedTools?.length) args.push("--disallowedTools", input.disallowedTools.join(","));
  if (input.appendSystemPrompt) args.push("--append-system-prompt", input.appendSystemPrompt);
  if (input.mcpConfigPath) args.push("--mcp-config", input.mcpConfigPath);
  if (input.jsonSchema) args.push("--json-schema", JSON.stringify(input.jsonSchema));
  return args;
}

/** Where the CLI keeps a session's transcript: ~/.claude/projects/<cwd, non-alphanumerics → '-'>/<id>.jsonl */
export function transcriptPath(homeDir: string, cwd: string, sessionId: string): string {
  return `${homeDir}/.claude/projects/${cwd.replace(/[^a-zA-Z0-9]/g, "-")}/${sessionId}.jsonl`;
}

export interface ClaudeEnvInput {
  anthropicApiKey?: string | undefined;
  oauthToken?: string | undefined;
  anthropicBaseUrl?: string | undefined;
  homeDir: string;
  /** Variables a repository's config asked to pass through (names checked by the config schema). */
  extra?: Record<string, string>;
}

/**
 * The Claude process's environment: model credentials, quiet-mode switches and the variables the
 * repository asked for — and nothing else. In particular no GitHub token: the agent cannot push
 * or call the API; the bot does that after it exits.
 */
export function buildClaudeEnv(input: ClaudeEnvInput): Record<string, string> {
  const env: Record<string, string> = { ...input.extra };
  Object.assign(env, {
    HOME: input.homeDir,
    // Bypassing permissions as root is refused unless the CLI knows it is sandboxed.
    IS_SANDBOX: "1",
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
    DISABLE_AUTOUPDATER: "1",
    CI: "true",
    // Claude keeps a visible task list (TaskCreate/TaskUpdate), which the progress comment shows.
    CLAUDE_CODE_ENABLE_TODO_TOOLS: "1",
    // Its scratch files stay inside the sandbox's HOME instead of the machine's /tmp.
    CLAUDE_CODE_TMPDIR: `${input.homeDir}/tmp`,
  });
  if (input.anthropicApiKey) env.ANTHROPIC_API_KEY = input.anthropicApiKey;
  if (input.oauthToken) env.CLAUDE_CODE_OAUTH_TOKEN = input.oauthToken;
  if (input.anthropicBaseUrl) env.ANTHROPIC_BASE_URL = input.anthropicBaseUrl;
  return env;
}
