import { createHash } from "node:crypto";
import type { Logger } from "pino";
import { postComment, targetFor } from "../github/comment-target.ts";
import type { GitHubClient } from "../github/octokit-types.ts";
import { threadKey, type Trigger } from "../triggers/types.ts";
import type { ReplyLimiter } from "./reply-limiter.ts";

/** The short answers intake gives when it starts nothing. Posting them never throws. */

export async function replyNotAllowed(client: GitHubClient, trigger: Trigger, minimum: string, replyLimiter: ReplyLimiter, log: Logger): Promise<void> {
  if (!(await replyLimiter.allow(userInThread(trigger)))) return;
  // Short on purpose: nothing here helps someone probe the configuration.
  await reply(client, trigger, `I only take requests from people with ${minimum} access or higher to this repository, so I did not start anything.`, log);
}

/**
 * The config's problems, to someone allowed to run: the same answer at most once per user per
 * thread per window (a changed file gives a new answer at once).
 */
export async function replyConfigProblems(client: GitHubClient, trigger: Trigger, message: string, replyLimiter: ReplyLimiter, log: Logger): Promise<void> {
  const digest = createHash("sha256").update(message).digest("hex").slice(0, 16);
  if (!(await replyLimiter.allow(`config:${userInThread(trigger)}:${digest}`))) {
    log.debug("configuration problems already answered in this thread: not repeated");
    return;
  }
  await post(client, trigger, message, log);
}

/** The delivery is recorded, so a redelivery would be ignored: tell the user rather than lose the request. */
export async function replyCouldNotTake(client: GitHubClient, trigger: Trigger, error: unknown, log: Logger): Promise<void> {
  await reply(client, trigger, `I could not take this request (${(error as Error).message.slice(0, 200)}). Please mention me again in a minute.`, log);
  log.error({ err: error, intake: "failed" }, "could not take the request");
}

/** `@requester <text>` in the thread the request came from. */
export async function reply(client: GitHubClient, trigger: Trigger, text: string, log: Logger): Promise<void> {
  await post(client, trigger, `@${trigger.actor.login} ${text}`, log);
}

/** A comment in the request's thread; a failure is logged, never thrown. */
async function post(client: GitHubClient, trigger: Trigger, body: string, log: Logger): Promise<void> {
  await postComment(client, { owner: trigger.repo.owner, repo: trigger.repo.name }, targetFor(trigger), body).catch((error: unknown) =>
    log.warn({ err: error }, "could not post the reply"),
  );
}

/** The reply limiter's key for one user in one thread. */
function userInThread(trigger: Trigger): string {
  return `${threadKey(trigger.repo.fullName, trigger.thread.number)}@${trigger.actor.login.toLowerCase()}`;
}
