import type { Context } from "probot";
import type { Logger } from "pino";
import { DEFAULT_REPO_CONFIG, type RepoConfig, type RepoConfigResult } from "../config/repo-config.ts";
import { postComment, react, targetFor } from "../github/comment-target.ts";
import type { GitHubClient } from "../github/octokit-types.ts";
import { initialProgress } from "../github/progress-state.ts";
import { renderProgress } from "../github/render-progress.ts";
import type { RunQueue } from "../jobs/types.ts";
import type { Store } from "../store/types.ts";
import { decideAccess, decideIntent } from "../triggers/decide.ts";
import type { ParseResult } from "../triggers/parse-trigger.ts";
import { threadKey, type Trigger } from "../triggers/types.ts";
import { checkBudget } from "../runs/budget.ts";
import { handleCommand } from "./commands.ts";
import type { ConfigSource } from "./repo-config-cache.ts";
import type { ReplyLimiter } from "./reply-limiter.ts";

/**
 * Every entry point goes through here: parse → decide → dedupe → authorise → acknowledge →
 * enqueue. Nothing slow: GitHub gets its 2xx as soon as the run is durable and acknowledged.
 */

export interface IntakeDeps {
  store: Store;
  queue: RunQueue;
  /** The deployment's trigger phrase (TRIGGER_PHRASE or @slug); a repo's config may override it. */
  triggerPhrase: () => string;
  appLogin: () => string;
  repoConfig: (repoFullName: string, source: ConfigSource) => Promise<RepoConfigResult>;
  /** Cancels a run executing in this process (others notice the store's flag). */
  cancelLocal: (runId: number) => void;
  /** At most one "not allowed" reply per user per thread per hour. */
  replyLimiter: ReplyLimiter;
  /** DAILY_BUDGET_USD_PER_INSTALLATION. */
  installationDailyUsd?: number | undefined;
}

export async function intake(deps: IntakeDeps, context: Context, event: string, parsed: ParseResult): Promise<void> {
  const log = context.log.child({ delivery: context.id, event });
  if (!parsed.ok) {
    log.warn({ problem: parsed.reason }, "ignored a delivery whose payload we could not read");
    return;
  }
  const trigger = parsed.trigger;
  const action = (context.payload as { action?: string }).action ?? "";
  const octokit = context.octokit as unknown as GitHubClient;
  const where = { owner: trigger.repo.owner, repo: trigger.repo.name };

  // The app's own comments never need the config read (no loops, no API calls).
  if (trigger.actor.login.toLowerCase() === deps.appLogin().toLowerCase()) return;
  // An invalid file still lets us decide with the defaults whether the delivery was for us.
  const loaded = await deps.repoConfig(trigger.repo.fullName, context as unknown as ConfigSource);
  const config: RepoConfig = loaded.ok ? loaded.config : DEFAULT_REPO_CONFIG;
  const intent = decideIntent({ action, trigger, config, triggerPhrase: config.triggerPhrase ?? deps.triggerPhrase(), appLogin: deps.appLogin() });
  if (intent.type === "ignore") {
    log.debug({ reason: intent.reason }, "no run");
    return;
  }
  if (!(await deps.store.recordDelivery(context.id, event))) {
    log.info("delivery already handled (GitHub redelivered it): no second run");
    return;
  }
  const target = targetFor(trigger);
  try {
    await afterDedupe(deps, context, event, trigger, config, loaded, intent, target, log);
  } catch (error) {
    // The delivery is recorded, so a redelivery would be ignored: tell the user rather than lose the request.
    log.error({ err: error }, "could not take the request");
    await postComment(octokit, where, target, `@${trigger.actor.login} I could not take this request (${(error as Error).message.slice(0, 200)}). Please mention me again in a minute.`).catch(() => undefined);
  }
}

async function afterDedupe(
  deps: IntakeDeps,
  context: Context,
  event: string,
  trigger: Trigger,
  config: RepoConfig,
  loaded: RepoConfigResult,
  intent: Exclude<ReturnType<typeof decideIntent>, { type: "ignore" }>,
  target: ReturnType<typeof targetFor>,
  log: Logger,
): Promise<void> {
  const octokit = context.octokit as unknown as GitHubClient;
  const where = { owner: trigger.repo.owner, repo: trigger.repo.name };
  if (!loaded.ok) {
    log.info({ problems: loaded.problems }, "invalid repository configuration: no run");
    await postComment(octokit, where, target, loaded.message);
    return;
  }

  const permission = await collaboratorPermission(octokit, where, trigger.actor.login);
  const access = decideAccess({ login: trigger.actor.login, permission, access: config.access });
  if (!access.allowed) {
    log.info({ user: trigger.actor.login, permission, reason: access.reason }, "request by a user who may not trigger runs: no run");
    await replyNotAllowed(deps, octokit, trigger, config.access.minimumPermission, log);
    return;
  }

  if (intent.type === "command") {
    await handleCommand({ store: deps.store, cancelLocal: deps.cancelLocal, client: octokit, trigger, command: intent.command, log });
    return;
  }

  const budget = await checkBudget(deps.store, { repoFullName: trigger.repo.fullName, installationId: trigger.installationId }, { repoDailyUsd: config.budget.dailyUsd, installationDailyUsd: deps.installationDailyUsd });
  if (!budget.allowed) {
    log.info({ reason: budget.message }, "over the daily budget: no run");
    await postComment(octokit, where, target, `@${trigger.actor.login} ${budget.message}`);
    return;
  }

  const key = threadKey(trigger.repo.fullName, trigger.thread.number);
  const run = await deps.store.createRun({ threadKey: key, deliveryId: context.id, trigger: { ...trigger, mode: intent.mode, config } });
  const runLog = log.child({ run: run.id, thread: key });
  // The 👀 and the progress comment go out together; neither failing stops the run.
  const now = Date.now();
  const [reaction, comment] = await Promise.allSettled([
    react(octokit, where, trigger.source, trigger.thread.number, "eyes"),
    postComment(octokit, where, target, renderProgress(run.id, initialProgress(now), now)),
  ]);
  if (reaction.status === "rejected") runLog.warn({ err: reaction.reason }, "could not add the 👀 reaction");
  if (comment.status === "rejected") runLog.warn({ err: comment.reason }, "could not post the progress comment; the worker will post it");
  const progressCommentId = comment.status === "fulfilled" ? comment.value : null;
  await deps.store.updateRun(run.id, { state: "queued", progressCommentId });
  await deps.queue.enqueue({ ...run, state: "queued", progressCommentId });
  runLog.info({ mode: intent.mode, kind: trigger.kind, event }, "run queued");
}

async function collaboratorPermission(octokit: GitHubClient, where: { owner: string; repo: string }, login: string): Promise<string> {
  try {
    const { data } = await octokit.rest.repos.getCollaboratorPermissionLevel({ ...where, username: login });
    // role_name carries maintain and triage, which `permission` folds into write and read.
    return data.role_name || data.permission;
  } catch (error) {
    // 404: not a collaborator at all.
    if ((error as { status?: number }).status === 404) return "none";
    throw error;
  }
}

async function replyNotAllowed(deps: IntakeDeps, octokit: GitHubClient, trigger: Trigger, minimum: string, log: Logger): Promise<void> {
  const key = `${threadKey(trigger.repo.fullName, trigger.thread.number)}@${trigger.actor.login.toLowerCase()}`;
  if (!(await deps.replyLimiter.allow(key))) return;
  // Short on purpose: nothing here helps someone probe the configuration.
  const body = `@${trigger.actor.login} I only take requests from people with ${minimum} access or higher to this repository, so I did not start anything.`;
  await postComment(octokit, { owner: trigger.repo.owner, repo: trigger.repo.name }, targetFor(trigger), body).catch((error: unknown) =>
    log.warn({ err: error }, "could not post the 'not allowed' reply"),
  );
}
