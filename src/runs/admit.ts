import type { Logger } from "pino";
import { postComment, react, targetFor } from "../github/comment-target.ts";
import type { GitHubClient } from "../github/octokit-types.ts";
import type { RunQueue } from "../jobs/types.ts";
import type { RunRecord, Store } from "../store/types.ts";
import { checkRunBudget } from "./budget.ts";
import { initialProgress } from "./report/progress-state.ts";
import { renderProgress } from "./report/render-progress.ts";

/**
 * The one way a "received" run gets into the queue, whoever asked (a mention's acknowledgement,
 * the run API, recovery of either): may the requester start it, is there budget left, then 👀 +
 * the progress comment, state "queued", enqueue. A refused run is deleted: it never existed for
 * the dashboard or budgets. Answering a refusal is the caller's (a reply, or an HTTP status).
 */

export interface AdmitDeps {
  store: Pick<Store, "discardRun" | "updateRun" | "costSince">;
  queue: Pick<RunQueue, "enqueue">;
  /** DAILY_BUDGET_USD_PER_INSTALLATION. */
  installationDailyUsd?: number | undefined;
  /**
   * Offers the allowed run's message to its thread's running run (runs/steering.ts): the id of the
   * run that took it, or null to queue it. Absent: every run queues.
   */
  steer?: (run: RunRecord) => Promise<number | null>;
}

export interface AdmitOptions {
  client: GitHubClient;
  /** May the requester start this run? A refusal is answered by the authorizer itself. */
  authorize: () => Promise<boolean>;
  log: Logger;
}

export type Admission =
  | { admitted: true; run: RunRecord }
  | { admitted: false; reason: "not-allowed" }
  | { admitted: false; reason: "over-budget"; message: string }
  /** Its message went into the thread's running run (steering): 👀 on it, the run itself deleted. */
  | { admitted: false; reason: "steered"; into: number }
  /** Deciding failed (GitHub or the store): the run is deleted, the caller says so. */
  | { admitted: false; reason: "failed"; error: unknown };

export async function admitRun(deps: AdmitDeps, run: RunRecord, options: AdmitOptions): Promise<Admission> {
  const refusal = await decide(deps, run, options.authorize).catch((error: unknown) => ({ admitted: false as const, reason: "failed" as const, error }));
  if (refusal) {
    await deps.store.discardRun(run.id).catch((error: unknown) => options.log.warn({ err: error }, "could not delete a refused run"));
    return refusal;
  }
  const into = deps.steer ? await deps.steer(run).catch((error: unknown) => (options.log.warn({ err: error }, "could not offer the message to the running run; it queues"), null)) : null;
  if (into !== null) return steered(deps, run, into, options);
  const progressCommentId = await announce(options.client, run, options.log);
  await deps.store.updateRun(run.id, { state: "queued", progressCommentId });
  const queued: RunRecord = { ...run, state: "queued", progressCommentId };
  await deps.queue.enqueue(queued);
  return { admitted: true, run: queued };
}

/** The message is in the running run's inbox: the mention gets its 👀, and is no run of its own. */
async function steered(deps: AdmitDeps, run: RunRecord, into: number, options: AdmitOptions): Promise<Admission> {
  const t = run.trigger;
  await react(options.client, { owner: t.repo.owner, repo: t.repo.name }, t.source, t.thread.number, "eyes").catch((error: unknown) => options.log.warn({ err: error }, "could not add the 👀 reaction"));
  await deps.store.discardRun(run.id).catch((error: unknown) => options.log.warn({ err: error }, "could not delete the steered run's row"));
  return { admitted: false, reason: "steered", into };
}

/** The refusal, or null when the run may start. */
async function decide(deps: AdmitDeps, run: RunRecord, authorize: () => Promise<boolean>): Promise<Exclude<Admission, { admitted: true }> | null> {
  if (!(await authorize())) return { admitted: false, reason: "not-allowed" };
  const budget = await checkRunBudget(deps.store, run.trigger, deps.installationDailyUsd);
  return budget.allowed ? null : { admitted: false, reason: "over-budget", message: budget.message };
}

/** The 👀 and the progress comment go out together; neither failing stops the run (the worker posts the comment then). */
async function announce(client: GitHubClient, run: RunRecord, log: Logger): Promise<number | null> {
  const trigger = run.trigger;
  const where = { owner: trigger.repo.owner, repo: trigger.repo.name };
  const now = Date.now();
  const [reaction, comment] = await Promise.allSettled([
    react(client, where, trigger.source, trigger.thread.number, "eyes"),
    postComment(client, where, targetFor(trigger), renderProgress(run.id, initialProgress(now), now)),
  ]);
  if (reaction.status === "rejected") log.warn({ err: reaction.reason }, "could not add the 👀 reaction");
  if (comment.status === "rejected") log.warn({ err: comment.reason }, "could not post the progress comment; the worker will post it");
  // 0: a run without a thread has no comment.
  return comment.status === "fulfilled" && comment.value ? comment.value : null;
}
