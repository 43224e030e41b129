import type { Context } from "probot";
import { createIssueComment, reactToIssueComment } from "../github/comments.ts";
import { initialProgress } from "../github/progress-state.ts";
import { renderProgress } from "../github/render-progress.ts";
import type { RunQueue } from "../jobs/types.ts";
import type { Store } from "../store/types.ts";
import { decideMention, decidePermission } from "../triggers/decide.ts";
import { parseIssueComment } from "../triggers/parse-trigger.ts";
import { threadKey } from "../triggers/types.ts";

/**
 * issue_comment: parse → decide → acknowledge (👀 + progress comment) → enqueue. Nothing slow:
 * GitHub gets its 2xx as soon as the run is durable and acknowledged.
 */

export interface HandlerDeps {
  store: Store;
  triggerPhrase: () => string;
  appLogin: () => string;
  queue: RunQueue;
}

export function handleIssueComment(deps: HandlerDeps) {
  return async (context: Context<"issue_comment">): Promise<void> => {
    const log = context.log.child({ delivery: context.id, event: `issue_comment.${context.payload.action}` });
    const parsed = parseIssueComment(context.id, context.payload);
    if (!parsed.ok) {
      log.warn({ problem: parsed.reason }, "ignored an issue_comment delivery whose payload we could not read");
      return;
    }
    const trigger = parsed.trigger;
    const payloadDecision = decideMention({
      action: context.payload.action,
      body: trigger.comment.body,
      author: trigger.comment.author,
      triggerPhrase: deps.triggerPhrase(),
      appLogin: deps.appLogin(),
    });
    if (!payloadDecision.run) {
      log.debug({ reason: payloadDecision.reason }, "no run");
      return;
    }
    if (!(await deps.store.recordDelivery(context.id, "issue_comment"))) {
      log.info("delivery already handled (GitHub redelivered it): no second run");
      return;
    }
    const where = { owner: trigger.repo.owner, repo: trigger.repo.name };
    const { data: perm } = await context.octokit.rest.repos.getCollaboratorPermissionLevel({ ...where, username: trigger.comment.author.login });
    // role_name carries maintain/triage, which `permission` folds into write/read.
    const permissionDecision = decidePermission(perm.role_name || perm.permission);
    if (!permissionDecision.run) {
      log.info({ user: trigger.comment.author.login, reason: permissionDecision.reason }, "mention by a user without permission: no run");
      return;
    }

    const key = threadKey(trigger.repo.fullName, trigger.issue.number);
    const run = await deps.store.createRun({ threadKey: key, deliveryId: context.id, trigger });
    const runLog = log.child({ run: run.id, thread: key });
    // The 👀 and the progress comment go out together; neither failing stops the run.
    const [reaction, comment] = await Promise.allSettled([
      reactToIssueComment(context.octokit, where, trigger.comment.id, "eyes"),
      createIssueComment(context.octokit, where, trigger.issue.number, renderProgress(run.id, initialProgress(Date.now()), Date.now())),
    ]);
    if (reaction.status === "rejected") runLog.warn({ err: reaction.reason }, "could not add the 👀 reaction");
    if (comment.status === "rejected") runLog.warn({ err: comment.reason }, "could not post the progress comment; the worker will post it");
    const progressCommentId = comment.status === "fulfilled" ? comment.value : null;
    await deps.store.updateRun(run.id, { state: "queued", progressCommentId });
    await deps.queue.enqueue({ ...run, state: "queued", progressCommentId });
    runLog.info("run queued");
  };
}
