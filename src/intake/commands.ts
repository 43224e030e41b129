import type { Logger } from "pino";
import { postComment, targetFor } from "../github/comment-target.ts";
import type { GitHubClient } from "../github/octokit-types.ts";
import type { RunRecord, Store } from "../store/types.ts";
import type { Command } from "../triggers/decide.ts";
import { threadKey, type Trigger } from "../triggers/types.ts";

/** `@bot stop`, `@bot status`, `@bot reset`: answered at once, in the thread they were asked in. */

export interface CommandInput {
  store: Store;
  cancelLocal: (runId: number) => void;
  client: GitHubClient;
  trigger: Trigger;
  command: Command;
  log: Logger;
}

const PENDING = ["received", "queued", "running"] as const;

function describe(run: RunRecord): string {
  const what = run.state === "running" ? `running${run.phase ? ` (${run.phase})` : ""}` : "queued";
  return `- run ${run.id}: ${what}, asked by @${run.trigger.actor.login} at ${run.createdAt.slice(0, 16).replace("T", " ")} UTC`;
}

export async function handleCommand(input: CommandInput): Promise<void> {
  const { store, trigger } = input;
  const key = threadKey(trigger.repo.fullName, trigger.thread.number);
  const pending = (await store.listRuns({ threadKey: key, states: PENDING })).reverse();
  let body: string;
  switch (input.command) {
    case "stop": {
      for (const run of pending) {
        await store.updateRun(run.id, { cancelRequested: true });
        input.cancelLocal(run.id);
      }
      body = pending.length
        ? `Stopping ${pending.length === 1 ? "the run" : `${pending.length} runs`} in this thread: ${pending.map((r) => r.id).join(", ")}. Each one's comment will say "Canceled".`
        : "Nothing is running or queued in this thread.";
      break;
    }
    case "status":
      body = pending.length ? `In this thread:\n${pending.map(describe).join("\n")}` : "Nothing is running or queued in this thread.";
      break;
    case "reset": {
      const thread = await store.getThread(key);
      if (thread) await store.saveThread({ ...thread, sessionId: null, transcript: null, sandboxId: null });
      body = `Done: the next request in this thread starts a new Claude session${thread?.branch ? ` (still on \`${thread.branch}\`)` : ""}.`;
      if (pending.some((r) => r.state === "running")) body += " A run in progress keeps its session until it ends; reset again afterwards if needed.";
      break;
    }
  }
  input.log.info({ command: input.command, pending: pending.length }, "command answered");
  await postComment(input.client, { owner: trigger.repo.owner, repo: trigger.repo.name }, targetFor(trigger), `@${trigger.actor.login} ${body}`);
}
