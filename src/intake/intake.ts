import type { Context } from "probot";
import type { Logger } from "pino";
import { DEFAULT_REPO_CONFIG, type RepoConfig, type RepoConfigResult } from "../config/repo-config.ts";
import { postComment, targetFor } from "../github/comment-target.ts";
import type { GitHubClient } from "../github/octokit-types.ts";
import type { RunRecord, Store } from "../store/types.ts";
import { decideDelivery, triggerObjectKey, type Intent } from "../triggers/decide.ts";
import type { ParseResult } from "../triggers/parse-trigger.ts";
import { threadKey, type Trigger } from "../triggers/types.ts";
import type { ConfigClient } from "../config/repo-config-read.ts";
import { authorize, senderMayEverRun } from "./authorize.ts";
import { fixCiIntake } from "./ci-intake.ts";
import { handleCommand } from "./commands.ts";
import { answerRefusal, checkRunRequest } from "./run-refusal.ts";
import { replyConfigProblems, replyCouldNotTake, replyNotAllowed } from "./replies.ts";
import type { RepoConfigCache } from "./repo-config-cache.ts";
import type { ReplyLimiter } from "./reply-limiter.ts";

/**
 * Every entry point goes through here, before GitHub gets its 2xx: parse → decide → record. A run
 * is recorded ("received", with the delivery, in one transaction) and handed to the acknowledger,
 * which checks the permission and posts 👀 + the progress comment right after the 2xx: the webhook
 * never waits on GitHub's API, and the run's place in its thread is fixed on arrival.
 * Commands and configuration errors are rare and answered before the 2xx.
 *
 * The repository's config (outside input) is read only for a sender some config could let run
 * (authorize.ts's floor: triage or more, or a bot), unless a fresh copy is cached already; its
 * problems are answered only to people it lets run, once per problem per user per thread per hour.
 *
 * Every delivery that reaches here ends with one log line carrying `intake` (its outcome).
 */

export interface IntakeDeps {
  store: Store;
  /** The deployment's trigger phrase (TRIGGER_PHRASE or @slug); a repo's config may override it. */
  triggerPhrase: string;
  appLogin: string;
  repoConfig: RepoConfigCache;
  /** Cancels a run executing in this process (others notice the store's flag). */
  cancelLocal: (runId: number) => void;
  /** At most one "not allowed" reply per user per thread per hour. */
  replyLimiter: ReplyLimiter;
  /** Acknowledges the run after the 2xx (this process's acknowledgement queue). */
  acknowledge: (run: RunRecord, client: GitHubClient, log: Logger) => void;
  /** The deployment's BRANCH_PREFIX: which branches are the bot's, for CI follow-ups. */
  branchPrefix: string;
  /** The deployment's secrets, redacted from CI logs before they reach a prompt. */
  secrets?: readonly string[];
  /** The deployment's CLAUDE_MODEL: the default model when a repository names none. */
  deploymentModel?: () => string | undefined;
}

export async function intake(deps: IntakeDeps, context: Context, event: string, parsed: ParseResult): Promise<void> {
  const log = context.log.child({ delivery: context.id, event });
  if (!parsed.ok) {
    log.warn({ problem: parsed.reason, intake: "unreadable" }, "ignored a delivery whose payload we could not read");
    return;
  }
  const trigger = parsed.trigger;
  const action = (context.payload as { action?: string }).action ?? "";
  const octokit = context.octokit as unknown as GitHubClient;

  // The app's own comments never need the config read (no loops, no API calls).
  if (trigger.actor.login.toLowerCase() === deps.appLogin.toLowerCase()) {
    log.debug({ intake: "own" }, "the app's own action: no run");
    return;
  }
  let loaded = deps.repoConfig.peek?.(trigger.repo.fullName);
  let senderPermission = "";
  if (!loaded) {
    const sender = await senderMayEverRun(octokit, trigger);
    senderPermission = sender.permission;
    if (sender.allowed) loaded = await deps.repoConfig(trigger.repo, octokit as unknown as ConfigClient);
  }
  // An invalid file, or one not read for this sender, still lets us decide with the defaults whether the delivery was for us.
  const config: RepoConfig = loaded?.ok ? loaded.config : DEFAULT_REPO_CONFIG;
  const decision = decideDelivery({ action, trigger, config, triggerPhrase: config.triggerPhrase ?? deps.triggerPhrase, appLogin: deps.appLogin });
  const { intent, request } = decision;
  if (intent.type === "ignore") {
    log.debug({ reason: intent.reason, intake: "ignored" }, "no run");
    return;
  }
  if (!loaded) return refuseUnread(deps, octokit, context.id, event, trigger, senderPermission, log);

  if (!loaded.ok || intent.type === "command") {
    if (!(await deps.store.recordDelivery(context.id, event))) return duplicate(log);
    await answerNow(deps, octokit, trigger, loaded, intent, log);
    return;
  }

  // `@bot fix-ci` needs the head's checks and logs: gathered after the 2xx (intake/ci-intake.ts).
  if (intent.type === "run" && intent.fixCi) return fixCiIntake(deps, octokit, { deliveryId: context.id, event, trigger, config, objectKey: triggerObjectKey(trigger, action) }, log);
  const key = threadKey(trigger.repo.fullName, trigger.thread.number);
  const checked = await checkRunRequest({ store: deps.store, threadKey: key, config, deploymentModel: deps.deploymentModel?.() }, decision);
  if (!checked.ok) return answerRefusal(deps, octokit, context.id, event, trigger, config.access, checked, log);
  const asked = { ...(checked.model ? { model: checked.model } : {}), ...(decision.approvesPlan ? { approvesPlan: true } : {}) };
  // Deduplicated on the delivery id and on the triggering object (the same comment under two delivery ids).
  const run = await deps.store.acceptRun({ threadKey: key, deliveryId: context.id, trigger: { ...trigger, mode: intent.mode, request, config, ...asked } }, event, triggerObjectKey(trigger, action));
  if (!run) return duplicate(log);
  const runLog = log.child({ run: run.id, thread: key });
  runLog.debug("run received; acknowledging after the 2xx");
  deps.acknowledge(run, octokit, runLog);
}

/** A sender no configuration lets run (the config was not read), whose delivery was for us: the usual rate-limited refusal. */
async function refuseUnread(deps: IntakeDeps, octokit: GitHubClient, deliveryId: string, event: string, trigger: Trigger, permission: string, log: Logger): Promise<void> {
  if (!(await deps.store.recordDelivery(deliveryId, event))) return duplicate(log);
  await replyNotAllowed(octokit, trigger, DEFAULT_REPO_CONFIG.access.minimumPermission, deps.replyLimiter, log);
  log.info({ user: trigger.actor.login, permission, intake: "not-allowed" }, "request by a user no configuration lets run: config not read, no run");
}

function duplicate(log: Logger): void {
  log.info({ intake: "duplicate" }, "delivery already handled (GitHub redelivered it): no second run");
}

/** A configuration error or a command: answered before the 2xx, the delivery already recorded. */
async function answerNow(deps: IntakeDeps, octokit: GitHubClient, trigger: Trigger, loaded: RepoConfigResult, intent: Exclude<Intent, { type: "ignore" }>, log: Logger): Promise<void> {
  try {
    if (!loaded.ok) {
      // Only to people the file lets run (its own `access:` when that part is valid, else the defaults).
      if (!(await authorize(octokit, trigger, loaded.access ?? DEFAULT_REPO_CONFIG.access, deps.replyLimiter, log))) return;
      await replyConfigProblems(octokit, trigger, loaded.message, deps.replyLimiter, log);
      log.info({ problems: loaded.problems, intake: "invalid-config" }, "invalid repository configuration: no run");
      return;
    }
    if (intent.type !== "command" || !(await authorize(octokit, trigger, loaded.config.access, deps.replyLimiter, log))) return;
    await handleCommand({ store: deps.store, cancelLocal: deps.cancelLocal, client: octokit, trigger, command: intent.command, log });
    log.debug({ intake: "command" }, "command delivery handled");
  } catch (error) {
    await replyCouldNotTake(octokit, trigger, error, log);
  }
}
