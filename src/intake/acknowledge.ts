import type { Logger } from "pino";
import { DEFAULT_REPO_CONFIG } from "../config/repo-config.ts";
import type { GitHubClient } from "../github/octokit-types.ts";
import { admitRun, type AdmitDeps } from "../runs/admit.ts";
import type { RunRecord } from "../store/types.ts";
import type { Trigger } from "../triggers/types.ts";
import { authorize } from "./authorize.ts";
import { reply, replyCouldNotTake } from "./replies.ts";
import type { ReplyLimiter } from "./reply-limiter.ts";

/**
 * The acknowledgement of a "received" run, right after GitHub has its 2xx (or, after a crash, by
 * recovery): runs/admit.ts with the requester's permission checked, and a refusal answered in
 * the thread.
 */

export interface AcknowledgeDeps extends AdmitDeps {
  replyLimiter: ReplyLimiter;
}

/**
 * A run API run was authorised by the admin token when it was created (its actor "api" is no
 * GitHub user to ask about); so was an automatic CI follow-up (ci-trigger.ts: a branch of the
 * repository itself, never a fork's, that the bot last pushed). Anyone else's permission is
 * checked now. Pure.
 */
export function authorizedAtCreation(trigger: Pick<Trigger, "kind">): boolean {
  return trigger.kind === "api" || trigger.kind === "ci_failure";
}

export async function acknowledgeRun(deps: AcknowledgeDeps, run: RunRecord, client: GitHubClient, log: Logger): Promise<void> {
  const trigger = run.trigger;
  const access = (trigger.config ?? DEFAULT_REPO_CONFIG).access;
  const viaApi = authorizedAtCreation(trigger);
  const admission = await admitRun(deps, run, {
    client,
    authorize: viaApi ? async () => true : () => authorize(client, trigger, access, deps.replyLimiter, log),
    log,
  });
  if (admission.admitted) {
    log.info({ mode: trigger.mode, kind: trigger.kind, intake: "queued" }, "run queued");
    return;
  }
  if (admission.reason === "steered") {
    log.info({ into: admission.into, intake: "steered" }, "the message went into the thread's running run");
  } else if (admission.reason === "failed") {
    // Not to "@api": the run API's caller has no GitHub login to mention.
    if (viaApi) log.error({ err: admission.error, intake: "failed" }, "could not take the run API's request");
    else await replyCouldNotTake(client, trigger, admission.error, log);
  } else if (admission.reason === "over-budget") {
    if (!viaApi) await reply(client, trigger, admission.message, log);
    log.info({ reason: admission.message, intake: "over-budget" }, "over the daily budget: no run");
  }
}
