/** The Claude Code command line. Pure; the prompt never appears here (it goes in on stdin). */

export interface ClaudeArgsInput {
  command: string;
  resumeSessionId?: string | null;
  model?: string | undefined;
  maxTurns?: number | undefined;
}

const SESSION_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function buildClaudeArgs(input: ClaudeArgsInput): string[] {
  const args = [input.command, "-p", "--output-format", "stream-json", "--verbose", "--dangerously-skip-permissions"];
  if (input.resumeSessionId) {
    // --session-id only names a NEW session; continuing one is --resume.
    if (!SESSION_ID.test(input.resumeSessionId)) throw new Error(`Refusing to resume: "${input.resumeSessionId}" is not a Claude session id`);
    args.push("--resume", input.resumeSessionId);
  }
  if (input.model) args.push("--model", input.model);
  if (input.maxTurns) args.push("--max-turns", String(input.maxTurns));
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
}

/**
 * The Claude process's environment: model credentials and quiet-mode switches, and nothing else.
 * In particular no GitHub token: the agent cannot push or call the API; the bot does that after.
 */
export function buildClaudeEnv(input: ClaudeEnvInput): Record<string, string> {
  const env: Record<string, string> = {
    HOME: input.homeDir,
    // Bypassing permissions as root is refused unless the CLI knows it is sandboxed.
    IS_SANDBOX: "1",
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
    DISABLE_AUTOUPDATER: "1",
    CI: "true",
  };
  if (input.anthropicApiKey) env.ANTHROPIC_API_KEY = input.anthropicApiKey;
  if (input.oauthToken) env.CLAUDE_CODE_OAUTH_TOKEN = input.oauthToken;
  if (input.anthropicBaseUrl) env.ANTHROPIC_BASE_URL = input.anthropicBaseUrl;
  return env;
}
