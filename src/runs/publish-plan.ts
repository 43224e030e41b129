import type { ClaudeRunOutput } from "../agent/run-claude.ts";
import type { Sandbox } from "../sandbox/types.ts";
import { postComment, targetFor } from "../github/comment-target.ts";
import type { RunOutcome } from "./outcome.ts";
import { PhaseError } from "./phases.ts";
import { planChecklist, planComment, planOf } from "./plan-text.ts";
import type { RunContext } from "./run-context.ts";

/**
 * Plan mode's publisher: nothing is pushed; Claude's plan is posted as a checklist and kept as the
 * thread's pending plan, which `@bot go` carries out in the same session (any other run drops it).
 */
export async function publishPlan(ctx: RunContext, box: Sandbox, claude: ClaudeRunOutput): Promise<RunOutcome> {
  const { text, steps } = planChecklist(ctx.redact(planOf(await readPlanFile(box), claude.result)));
  const triggerPhrase = ctx.config.triggerPhrase ?? ctx.deps.triggerPhrase;
  const target = targetFor(ctx.trigger);
  const commentId = await postComment(ctx.client, ctx.where, target, planComment(text, triggerPhrase, ctx.run.id)).catch((error: unknown) => {
    throw new PhaseError("publish", `The plan could not be posted: ${(error as Error).message}`, { cause: error, category: "github" });
  });
  ctx.trail.thread.plan = text;
  const anchor = target.type === "review_thread" ? `#discussion_r${commentId}` : `#issuecomment-${commentId}`;
  const htmlUrl = commentId ? `${ctx.trigger.thread.htmlUrl}${anchor}` : "";
  return { outcome: "done", files: [], plan: { htmlUrl, steps, approveWith: `${triggerPhrase} go` } };
}

/**
 * The plan file this run wrote: the newest regular file in ~/.claude/plans newer than this run's
 * prompt file (the sandbox's own clock; an earlier run's plan is older). null when there is none.
 */
async function readPlanFile(box: Sandbox): Promise<string | null> {
  const script = 'find "$1" -maxdepth 1 -type f -name "*.md" -newer "$2" -printf "%T@ %p\\n" 2>/dev/null | sort -n | tail -n 1 | cut -d" " -f2-';
  const found = await box.run(["sh", "-c", script, "sh", `${box.homeDir}/.claude/plans`, `${box.homeDir}/.claude-sandbox-bot/prompt.md`], { timeoutMs: 30_000 });
  const path = found.exitCode === 0 ? found.stdout.trim() : "";
  return path ? box.readFile(path) : null;
}
