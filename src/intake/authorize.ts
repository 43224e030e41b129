import type { Logger } from "pino";
import type { RepoConfig } from "../config/repo-config.ts";
import type { GitHubClient, RepoCoords } from "../github/octokit-types.ts";
import { decideAccess } from "../triggers/decide.ts";
import type { Actor, Trigger } from "../triggers/types.ts";
import { replyNotAllowed } from "./replies.ts";
import type { ReplyLimiter } from "./reply-limiter.ts";

/**
 * The least any repository configuration can let a person start runs with: triage. Every GitHub
 * user has read access to a public repository, so `read` would mean anyone; the config refuses
 * it, and `allowUsers` does not lift a person below this floor. Bot accounts pass: their app was
 * installed on the repository by its owner, and `allowUsers` may name them. Pure.
 */
export const PERMISSION_FLOOR = "triage";
const FLOOR_RANKS = new Set(["triage", "write", "maintain", "admin"]);

export function mayEverRun(actor: Actor, permission: string): boolean {
  return actor.type === "Bot" || /\[bot\]$/i.test(actor.login) || FLOOR_RANKS.has(permission);
}

/**
 * Intake's pre-filter, before the repository's config is read: could any config let this sender
 * run anything here? One permission lookup; bots need none.
 */
export async function senderMayEverRun(client: GitHubClient, trigger: Trigger): Promise<{ allowed: boolean; permission: string }> {
  if (mayEverRun(trigger.actor, "none")) return { allowed: true, permission: "none" };
  const permission = await collaboratorPermission(client, { owner: trigger.repo.owner, repo: trigger.repo.name }, trigger.actor.login);
  return { allowed: mayEverRun(trigger.actor, permission), permission };
}

/**
 * May this user start runs or give commands here? One permission lookup, the floor above, then
 * the pure decision (minimum permission, allow and deny lists). A refusal gets one short reply
 * per user per thread per hour.
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
  const decision = mayEverRun(trigger.actor, permission)
    ? decideAccess({ login: trigger.actor.login, permission, access })
    : { allowed: false as const, reason: `${PERMISSION_FLOOR} permission or higher is needed whatever the configuration says (the user has ${permission})` };
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
