import type { Logger } from "pino";
import type { RepoConfig } from "../config/repo-config.ts";
import type { GitHubClient } from "../github/octokit-types.ts";
import type { Store } from "../store/types.ts";
import type { Decision } from "../triggers/decide.ts";
import { checkModel, modelRefusal } from "../triggers/model-choice.ts";
import type { Trigger } from "../triggers/types.ts";
import { authorize } from "./authorize.ts";
import { reply } from "./replies.ts";
import type { ReplyLimiter } from "./reply-limiter.ts";

/**
 * A run request intake answers instead of starting: a model the repository does not allow, or a
 * `go` with no plan to approve. Otherwise the checked model, as the config spells it.
 */
export type RunCheck = { ok: true; model?: string } | { ok: false; reason: "model" | "no-plan"; message: string };

export interface RunCheckFacts {
  store: Pick<Store, "getThread" | "listRuns">;
  threadKey: string;
  config: RepoConfig;
  deploymentModel: string | undefined;
}

export async function checkRunRequest(f: RunCheckFacts, decision: Decision): Promise<RunCheck> {
  let model: string | undefined;
  if (decision.model !== undefined) {
    const check = checkModel(decision.model, f.config, f.deploymentModel);
    if (!check.ok) return { ok: false, reason: "model", message: modelRefusal(decision.model, check.allowed) };
    model = check.model;
  }
  if (decision.approvesPlan && !(await hasPendingPlan(f))) {
    return { ok: false, reason: "no-plan", message: "there is no plan waiting for approval in this thread, so there is nothing to carry out. Ask for one with `plan <task>`." };
  }
  return model === undefined ? { ok: true } : { ok: true, model };
}

/** A plan posted and not yet replaced, or a plan run still on its way (a `go` may come before it ends). */
async function hasPendingPlan(f: RunCheckFacts): Promise<boolean> {
  if ((await f.store.getThread(f.threadKey))?.plan) return true;
  const unfinished = await f.store.listRuns({ threadKey: f.threadKey, states: ["received", "queued", "running"], limit: 20 });
  return unfinished.some((run) => run.trigger.mode === "plan");
}

export interface RefusalDeps {
  store: Pick<Store, "recordDelivery">;
  replyLimiter: ReplyLimiter;
}

/** The refusal is answered before the 2xx, like a command: to people allowed to run only; the delivery is recorded first. */
export async function answerRefusal(deps: RefusalDeps, client: GitHubClient, deliveryId: string, event: string, trigger: Trigger, access: RepoConfig["access"], refusal: Extract<RunCheck, { ok: false }>, log: Logger): Promise<void> {
  if (!(await deps.store.recordDelivery(deliveryId, event))) {
    log.info({ intake: "duplicate" }, "delivery already handled (GitHub redelivered it): no second answer");
    return;
  }
  if (!(await authorize(client, trigger, access, deps.replyLimiter, log))) return;
  await reply(client, trigger, refusal.message, log);
  log.info({ reason: refusal.reason, intake: "refused" }, "run request refused: no run");
}
