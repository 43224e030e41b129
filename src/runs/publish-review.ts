import type { ClaudeRunOutput } from "../agent/run-claude.ts";
import type { RunOutcome } from "./outcome.ts";
import { PhaseError } from "./phases.ts";
import { isOwnPull, parseReviewOutput, planReview, postReviewOrComment } from "./review.ts";
import type { RunContext } from "./run-context.ts";
import type { Workspace } from "./workspace-step.ts";

/** Review mode's publisher: Claude's structured verdict becomes a pull request review (a COMMENT on the app's own PR). */
export async function publishReview(ctx: RunContext, ws: Workspace, claude: ClaudeRunOutput): Promise<RunOutcome> {
  const parsed = parseReviewOutput(claude.result ?? {});
  if (!parsed.ok) throw new PhaseError("publish", parsed.problem, { category: "model_api" });
  const pull = ws.context.pull;
  const reviewFor = (ownPull: boolean) => {
    const planned = planReview(parsed.review, pull?.files ?? [], `<sub>Review by claude-sandbox-bot (run ${ctx.run.id}).</sub>`, { ownPull });
    return { ...planned, body: ctx.redact(planned.body), comments: planned.comments.map((c) => ({ ...c, body: ctx.redact(c.body) })) };
  };
  const commitId = pull?.headSha ?? ws.checkout.startSha;
  const posted = await postReviewOrComment(ctx.client, ctx.where, ctx.trigger.thread.number, commitId, reviewFor(isOwnPull(pull, ctx.deps.appLogin)), () => reviewFor(true)).catch((error: unknown) => {
    throw new PhaseError("publish", `The review could not be posted: ${(error as Error).message}`, { cause: error, category: "github" });
  });
  const review = posted.plan;
  return { outcome: "done", files: [], review: { htmlUrl: posted.htmlUrl, event: review.event, inline: review.comments.length, moved: review.moved } };
}
