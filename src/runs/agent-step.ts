import { transcriptPath } from "../agent/claude-args.ts";
import type { ClaudeRunOutput } from "../agent/run-claude.ts";
import type { InboxMessage } from "../agent/stdin-feed.ts";
import { reduceProgress } from "./report/progress-state.ts";
import { runRequest } from "../triggers/request-text.ts";
import { pinAgentConfigToBase } from "../workspace/agent-config.ts";
import { describeAgentFailure } from "./agent-failure.ts";
import { runAgentPhase, type AgentSettings } from "./agent-phase.ts";
import { PhaseError } from "./phases.ts";
import type { RunContext } from "./run-context.ts";
import { chooseRunModel } from "./run-model.ts";
import { releasePin } from "./run-scope.ts";
import { createRunInbox } from "./steering-inbox.ts";
import type { Allowance } from "./run-allowance.ts";
import type { Workspace } from "./workspace-step.ts";
import type { WarmUse } from "./warm-step.ts";
import type { RunGrant } from "../store/gateway-ledger.ts";

/**
 * Claude on the request, in the workspace: on a pull request with the base branch's agent config
 * (pinned in the scope, so it is put back whatever happens), with the run's caps. The session is
 * kept in the thread even when the run fails, so the next mention continues the conversation.
 */
export async function runAgent(ctx: RunContext, ws: Workspace, allowance: Allowance): Promise<ClaudeRunOutput> {
  const { sandbox: box, context, plan } = ws;
  const t = ctx.trigger;
  await ctx.progress.enter("agent");
  if (context.pull) ctx.scope.pinned = { sandbox: box, paths: await pinAgentConfigToBase(box, `origin/${context.pull.baseRef}`) };
  // Only a code run's Claude takes messages while it works; review and plan runs queue them.
  const steering = t.mode === "code" ? createRunInbox(ctx) : null;
  await steering?.open();
  let undelivered: InboxMessage[] = [];
  const claude = await runAgentPhase({
    sandbox: box,
    session: ws.session,
    trigger: t,
    config: ctx.config,
    request: runRequest(t, ctx.config.triggerPhrase ?? ctx.deps.triggerPhrase),
    branch: plan.branch,
    context,
    readOnly: !plan.push && t.mode === "code",
    model: chooseRunModel(ctx),
    settings: await agentSettings(ctx, allowance),
    maxBudgetUsd: allowance.maxBudgetUsd,
    extraEnv: ctx.extraEnv,
    timeoutMs: Math.max(1_000, ctx.runTimeoutMs - (ctx.now() - ctx.startedAt)),
    signal: ctx.cancel.signal,
    onEvent: (event) => ctx.progress.show(reduceProgress(ctx.progress.state, event)),
    inbox: steering?.inbox,
    warm: warmUse(ctx, allowance),
  })
    .then((out) => ((undelivered = out.undelivered), out))
    .finally(() => steering?.close(undelivered));
  await releasePin(ctx);
  if (claude.warm && ws.session.path === "live") ctx.trail.session = { path: "warm", id: ws.session.id };
  if (claude.rejectedResult || claude.extraResults) {
    ctx.log.warn({ rejectedResult: claude.rejectedResult, extraResults: claude.extraResults }, "Claude's result line was not believed (forged or absurd figures); the run's cost is not taken from it");
  }
  ctx.trail.result = claude.result;
  // The session has moved past a pending plan: only a plan run leaves one (publish-plan.ts).
  ctx.trail.thread.plan = null;
  if (claude.sessionId) {
    ctx.trail.thread.sessionId = claude.sessionId;
    ctx.trail.thread.transcript = await box.readFile(transcriptPath(box.homeDir, box.workdir, claude.sessionId));
  }
  ctx.cancel.throwIfCanceled();
  await throwIfCapped(ctx);
  const failure = describeAgentFailure(claude);
  if (failure) throw new PhaseError("agent", ctx.redact(failure.message), { category: failure.category });
  return claude;
}

/** The agent's settings for this run: with the gateway, its URL and the run's token (bound to the run's cap) instead of the model key. */
async function agentSettings(ctx: RunContext, allowance: Allowance): Promise<AgentSettings> {
  const { deps } = ctx;
  if (!deps.modelGateway) return deps.settings;
  const { env } = await deps.modelGateway.openRun(runGrant(ctx, allowance));
  ctx.redact.add(env.ANTHROPIC_API_KEY);
  return { ...deps.settings, anthropicApiKey: env.ANTHROPIC_API_KEY, claudeOauthToken: undefined, anthropicBaseUrl: env.ANTHROPIC_BASE_URL };
}

function runGrant(ctx: RunContext, allowance: Allowance): RunGrant {
  const t = ctx.trigger;
  return { runId: String(ctx.run.id), installationId: t.installationId, repoFullName: t.repo.fullName, capUsd: allowance.cap.capUsd, capReason: allowance.cap.reason };
}

/**
 * WARM_CLAUDE=on, code runs, with the model gateway (its per-run cap, rebound with the token, is
 * what limits a kept process's later runs): the thread's Claude may be kept and reused.
 */
function warmUse(ctx: RunContext, allowance: Allowance): WarmUse | undefined {
  const { deps } = ctx;
  const gateway = deps.modelGateway;
  if (!deps.warm || !gateway || ctx.trigger.mode !== "code") {
    // A review or plan run moves the session on in a process of its own: a kept one would be behind it.
    deps.warm?.drop(ctx.run.threadKey);
    return undefined;
  }
  const rebind = (token: string) => (ctx.redact.add(token), gateway.rebindRun(token, runGrant(ctx, allowance)));
  return { registry: deps.warm, threadKey: ctx.run.threadKey, rebind, log: ctx.log };
}

/** The model gateway refused the run a request at its cap: the run ends there, saying which cap. */
async function throwIfCapped(ctx: RunContext): Promise<void> {
  const refused = ctx.deps.modelGateway ? (await ctx.deps.modelGateway.runReport(String(ctx.run.id))).refused : null;
  if (!refused) return;
  throw new PhaseError("agent", `The bot's model gateway stopped Claude: this run reached ${refused}. Nothing more was asked of the model; raise that limit to let runs like this one finish.`, { category: "budget" });
}
