import type { Logger } from "pino";
import { postComment, targetFor } from "../github/comment-target.ts";
import type { GitHubClient } from "../github/octokit-types.ts";
import { threadKey, type Trigger } from "../triggers/types.ts";
import type { ReplyLimiter } from "./reply-limiter.ts";

/** The short answers intake gives when it starts nothing. Posting them never throws. */

export async function replyNotAllowed(client: GitHubClient, trigger: Trigger, minimum: string, replyLimiter: ReplyLimiter, log: Logger): Promise<void> {
  const key = `${threadKey(trigger.repo.fullName, trigger.thread.number)}@${trigger.actor.login.toLowerCase()}`;
  if (!(await replyLimiter.allow(key))) return;
  // Short on purpose: nothing here helps someone probe the configuration.
  await reply(client, trigger, `I only take requests from people with ${minimum} access or higher to this repository, so I did not start anything.`, log);
}

/** The delivery is recorded, so a redelivery would be ignored: tell the user rather than lose the request. */
export async function replyCouldNotTake(client: GitHubClient, trigger: Trigger, error: unknown, log: Logger): Promise<void> {
  await reply(client, trigger, `I could not take this request (${(error as Error).message.slice(0, 200)}). Please mention me again in a minute.`, log);
  log.error({ err: error, intake: "failed" }, "could not take the request");
}

/** `@requester <text>` in the thread the request came from. */
export async function reply(client: GitHubClient, trigger: Trigger, text: string, log: Logger): Promise<void> {
  await postComment(client, { owner: trigger.repo.owner, repo: trigger.repo.name }, targetFor(trigger), `@${trigger.actor.login} ${text}`).catch((error: unknown) =>
    log.warn({ err: error }, "could not post the reply"),
  );
}
