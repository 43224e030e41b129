import { buildClaudeArgs, buildClaudeEnv, transcriptPath } from "../agent/claude-args.ts";
import { buildPrompt } from "../agent/prompt.ts";
import { runClaude, type ClaudeRunOutput } from "../agent/run-claude.ts";
import type { ClaudeInbox } from "../agent/stdin-feed.ts";
import type { StreamEvent } from "../agent/stream-events.ts";
import type { RepoConfig } from "../config/repo-config.ts";
import type { ThreadContext } from "../github/thread-context.ts";
import type { Sandbox } from "../sandbox/types.ts";
import type { Trigger } from "../triggers/types.ts";
import { REVIEW_JSON_SCHEMA } from "./review.ts";
import type { Session } from "./session.ts";
import { warmMarkEnv } from "./warm-claude.ts";
import { keptProcessFor, type WarmUse } from "./warm-step.ts";

/** Restores the thread's session into the sandbox and runs Claude Code on the request. */

export interface AgentSettings {
  claudeCommand: string;
  model?: string | undefined;
  maxTurns?: number | undefined;
  anthropicApiKey?: string | undefined;
  claudeOauthToken?: string | undefined;
  anthropicBaseUrl?: string | undefined;
}

export interface AgentPhaseInput {
  sandbox: Sandbox;
  /** New, live (the paused sandbox holds the transcript) or restored (its transcript is written here first). */
  session: Session;
  trigger: Trigger;
  config: RepoConfig;
  request: string;
  branch: string;
  context: ThreadContext;
  readOnly: boolean;
  /** The run's model (run-model.ts): undefined leaves it to the CLI. */
  model: string | undefined;
  settings: AgentSettings;
  /** --max-budget-usd: the run's cap, lowered to what is left of the day's budget. */
  maxBudgetUsd: number | undefined;
  /** The repository's pass-through variables (names from its config, values from the bot's env). */
  extraEnv: Record<string, string>;
  timeoutMs: number;
  signal: AbortSignal;
  onEvent: (event: StreamEvent) => void;
  /** Messages for Claude while it works (steering): streaming input on an open stdin. */
  inbox?: ClaudeInbox | undefined;
  /** WARM_CLAUDE=on, with the inbox: the thread's kept Claude serves the run when it can, and this run's is kept. */
  warm?: WarmUse | undefined;
}

export type AgentPhaseOutput = ClaudeRunOutput & { /** The kept process served the run (no new CLI). */ warm: boolean };

export async function runAgentPhase(input: AgentPhaseInput): Promise<AgentPhaseOutput> {
  const { sandbox: box, session, config } = input;
  const resumed = session.path !== "new";
  // The transcript at the path the CLI expects is all --resume needs, even in a fresh sandbox.
  if (session.path === "restored") await box.writeFile(transcriptPath(box.homeDir, box.workdir, session.id), session.transcript);
  let mcpConfigPath: string | undefined;
  const mcpConfig = Object.keys(config.mcpServers ?? {}).length > 0 ? JSON.stringify({ mcpServers: config.mcpServers }) : "";
  if (mcpConfig) {
    mcpConfigPath = `${box.homeDir}/.claude-sandbox-bot/mcp.json`;
    await box.writeFile(mcpConfigPath, mcpConfig);
  }
  const warm = input.inbox ? input.warm : undefined;
  const argv = claudeArgv(input, mcpConfigPath, warm !== undefined);
  const env = buildClaudeEnv({
    homeDir: box.homeDir,
    anthropicApiKey: input.settings.anthropicApiKey,
    oauthToken: input.settings.claudeOauthToken,
    anthropicBaseUrl: input.settings.anthropicBaseUrl,
    extra: { ...input.extraEnv, ...(warm ? warmMarkEnv(box.id) : {}) },
  });
  // The MCP config's content is in the key: a kept CLI is connected to the servers it read at start.
  const kept = warm ? await keptProcessFor(warm, { sandbox: box, session, argv, env, startFiles: mcpConfig }) : null;
  const out = await runClaude({
    sandbox: box,
    argv,
    env,
    prompt: buildPrompt({ trigger: input.trigger, request: input.request, branch: input.branch, context: input.context, resumed, readOnly: input.readOnly }),
    cwd: box.workdir,
    timeoutMs: input.timeoutMs,
    maxCostUsd: input.maxBudgetUsd,
    signal: input.signal,
    onEvent: input.onEvent,
    inbox: input.inbox,
    kept: kept?.kept,
  });
  kept?.settle(out.sessionId);
  return { ...out, warm: kept?.kept.reuse != null };
}

/**
 * The CLI's command line. A process that may be kept gets no --max-budget-usd: the CLI checks it
 * against its running total over all the runs it serves, fixed at start, so it would cut a later
 * run short; the gateway's hard cap (per run, rebound with the token) limits each run instead.
 */
function claudeArgv(input: AgentPhaseInput, mcpConfigPath: string | undefined, warmable: boolean): string[] {
  const { session, config, settings } = input;
  return buildClaudeArgs({
    command: settings.claudeCommand,
    resumeSessionId: session.path === "new" ? null : session.id,
    model: input.model,
    maxTurns: config.maxTurns ?? settings.maxTurns,
    maxBudgetUsd: warmable ? undefined : input.maxBudgetUsd,
    allowedTools: config.allowedTools,
    disallowedTools: config.disallowedTools,
    appendSystemPrompt: config.instructions,
    mcpConfigPath,
    jsonSchema: input.trigger.mode === "review" ? REVIEW_JSON_SCHEMA : undefined,
    permissionMode: input.trigger.mode === "plan" ? "plan" : undefined,
    streamInput: input.inbox !== undefined,
  });
}
