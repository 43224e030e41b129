import type { Logger } from "pino";
import { DEFAULT_REPO_CONFIG } from "../config/repo-config.ts";
import { postComment, react, targetFor } from "../github/comment-target.ts";
import type { GitHubClient } from "../github/octokit-types.ts";
import { initialProgress } from "../runs/report/progress-state.ts";
import { renderProgress } from "../runs/report/render-progress.ts";
import type { RunQueue } from "../jobs/types.ts";
import { checkBudget } from "../runs/budget.ts";
import type { RunRecord, Store } from "../store/types.ts";
import { authorize } from "./authorize.ts";
import { reply, replyCouldNotTake } from "./replies.ts";
import type { ReplyLimiter } from "./reply-limiter.ts";

/**
 * The acknowledgement of a "received" run, right after GitHub has its 2xx (or, after a crash, by
 * recovery): may the requester start runs, is there budget left, then 👀 + the progress comment,
 * and the run is queued. A refused run is deleted: it never existed for the dashboard or budgets.
 */

export interface AcknowledgeDeps {
  store: Store;
  queue: RunQueue;
  replyLimiter: ReplyLimiter;
  /** DAILY_BUDGET_USD_PER_INSTALLATION. */
  installationDailyUsd?: number | undefined;
}

export type AckOutcome = "queued" | "not-allowed" | "over-budget" | "failed";

export async function acknowledgeRun(deps: AcknowledgeDeps, run: RunRecord, client: GitHubClient, log: Logger): Promise<AckOutcome> {
  const trigger = run.trigger;
  const config = trigger.config ?? DEFAULT_REPO_CONFIG;
  const where = { owner: trigger.repo.owner, repo: trigger.repo.name };
  const target = targetFor(trigger);
  try {
    if (!(await authorize(client, trigger, config.access, deps.replyLimiter, log))) {
      await deps.store.discardRun(run.id);
      return "not-allowed";
    }
    const budget = await checkBudget(deps.store, { repoFullName: trigger.repo.fullName, installationId: trigger.installationId }, { repoDailyUsd: config.budget.dailyUsd, installationDailyUsd: deps.installationDailyUsd });
    if (!budget.allowed) {
      await deps.store.discardRun(run.id);
      await reply(client, trigger, budget.message, log);
      log.info({ reason: budget.message, intake: "over-budget" }, "over the daily budget: no run");
      return "over-budget";
    }
  } catch (error) {
    await deps.store.discardRun(run.id).catch(() => undefined);
    await replyCouldNotTake(client, trigger, error, log);
    return "failed";
  }

  // The 👀 and the progress comment go out together; neither failing stops the run.
  const now = Date.now();
  const [reaction, comment] = await Promise.allSettled([
    react(client, where, trigger.source, trigger.thread.number, "eyes"),
    postComment(client, where, target, renderProgress(run.id, initialProgress(now), now)),
  ]);
  if (reaction.status === "rejected") log.warn({ err: reaction.reason }, "could not add the 👀 reaction");
  if (comment.status === "rejected") log.warn({ err: comment.reason }, "could not post the progress comment; the worker will post it");
  const progressCommentId = comment.status === "fulfilled" ? comment.value : null;
  await deps.store.updateRun(run.id, { state: "queued", progressCommentId });
  await deps.queue.enqueue({ ...run, state: "queued", progressCommentId });
  log.info({ mode: trigger.mode, kind: trigger.kind, intake: "queued" }, "run queued");
  return "queued";
}
