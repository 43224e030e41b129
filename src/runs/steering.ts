import { sanitizeUserText } from "../agent/sanitize.ts";
import type { RunRecord, Store } from "../store/types.ts";
import type { NewRunMessage } from "../store/steering-ledger.ts";
import type { Trigger } from "../triggers/types.ts";

/**
 * Steering: a mention in a thread whose run is in its agent phase goes into that run's Claude
 * (store.steering, then stdin: agent/stdin-feed.ts) instead of queueing behind it. Decided when
 * the mention is admitted (runs/admit.ts), after its author's permission and the budget were
 * checked as for any run; the store's inbox, open only while Claude can take messages, has the
 * last word, so a run that just left its agent phase refuses and the mention queues as before.
 */

export type SteeringChoice = { steer: true } | { steer: false; why: string };

/** The mention kinds that carry a message (label, assignment and review requests start runs of their own). */
const MESSAGE_KINDS: ReadonlySet<Trigger["kind"]> = new Set(["issue_comment", "review_comment", "review"]);

/** Steer the running run, or queue as a run of its own? Pure. */
export function chooseSteering(incoming: Trigger, running: Pick<RunRecord, "state" | "phase" | "trigger" | "threadKey"> | null, incomingThreadKey: string): SteeringChoice {
  if (!MESSAGE_KINDS.has(incoming.kind)) return { steer: false, why: "not a comment" };
  if (incoming.mode !== "code") return { steer: false, why: `a ${incoming.mode} request` };
  if (incoming.approvesPlan || incoming.model || incoming.ci) return { steer: false, why: "a request with options of its own" };
  if (!running || running.state !== "running" || running.threadKey !== incomingThreadKey) return { steer: false, why: "nothing running in the thread" };
  if (running.trigger.mode !== "code") return { steer: false, why: `the running run is a ${running.trigger.mode} run` };
  if (running.phase !== "agent") return { steer: false, why: `the running run is in its ${running.phase ?? "first"} phase` };
  return { steer: true };
}

const MAX_MESSAGE = 4_000;

/** What Claude reads: the message cleaned like every comment, fenced as data, its author named. */
export function steeringText(trigger: Pick<Trigger, "actor" | "text" | "request">): string {
  const raw = sanitizeUserText(trigger.request ?? trigger.text);
  const body = raw.length > MAX_MESSAGE ? `${raw.slice(0, MAX_MESSAGE)}\n[… ${raw.length - MAX_MESSAGE} more characters not shown]` : raw;
  return [
    `@${trigger.actor.login} added a message in the thread while you were working. It is a remark on the same task, from someone allowed to ask for it; fold it into your work:`,
    `<steering_message>\n${body || "(empty)"}\n</steering_message>`,
  ].join("\n");
}

export function runMessageFor(trigger: Trigger): NewRunMessage {
  const commentId = trigger.source.type === "issue_comment" || trigger.source.type === "review_comment" ? trigger.source.commentId : trigger.source.type === "review" ? trigger.source.reviewId : undefined;
  return { author: trigger.actor.login, authorId: trigger.actor.id, commentId, text: steeringText(trigger) };
}

export interface SteerDeps {
  store: Pick<Store, "listRuns" | "steering">;
  now?: () => Date;
}

/** Offers an admitted mention to its thread's running run: that run's id when it took it, else null (queue it). */
export async function offerToRunningRun(deps: SteerDeps, run: RunRecord): Promise<number | null> {
  const [running] = await deps.store.listRuns({ threadKey: run.threadKey, states: ["running"], limit: 1 });
  if (!chooseSteering(run.trigger, running ?? null, run.threadKey).steer || !running) return null;
  const at = (deps.now?.() ?? new Date()).toISOString();
  const id = await deps.store.steering.offer(running.id, runMessageFor(run.trigger), at);
  return id === null ? null : running.id;
}
