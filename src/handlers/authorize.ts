import type { Logger } from "pino";
import type { RepoConfig } from "../config/repo-config.ts";
import type { GitHubClient, RepoCoords } from "../github/octokit-types.ts";
import { decideAccess } from "../triggers/decide.ts";
import type { Trigger } from "../triggers/types.ts";
import { replyNotAllowed } from "./replies.ts";
import type { ReplyLimiter } from "./reply-limiter.ts";

/**
 * May this user start runs or give commands here? One permission lookup, then the pure decision
 * (minimum permission, allow and deny lists). A refusal gets one short reply per user per thread
 * per hour.
 */
export async function authorize(
  client: GitHubClient,
  trigger: Trigger,
  access: RepoConfig["access"],
  replyLimiter: ReplyLimiter,
  log: Logger,
): Promise<boolean> {
  const where = { owner: trigger.repo.owner, repo: trigger.repo.name };
  const permission = await collaboratorPermission(client, where, trigger.actor.login);
  const decision = decideAccess({ login: trigger.actor.login, permission, access });
  if (decision.allowed) return true;
  await replyNotAllowed(client, trigger, access.minimumPermission, replyLimiter, log);
  log.info({ user: trigger.actor.login, permission, reason: decision.reason, intake: "not-allowed" }, "request by a user who may not trigger runs: no run");
  return false;
}

async function collaboratorPermission(client: GitHubClient, where: RepoCoords, login: string): Promise<string> {
  try {
    const { data } = await client.rest.repos.getCollaboratorPermissionLevel({ ...where, username: login });
    // role_name carries maintain and triage, which `permission` folds into write and read.
    return data.role_name || data.permission;
  } catch (error) {
    // 404: not a collaborator at all.
    if ((error as { status?: number }).status === 404) return "none";
    throw error;
  }
}
