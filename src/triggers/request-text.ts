import { extractRequest } from "./mention.ts";
import type { Trigger } from "./types.ts";

/**
 * What the user asked for, as the prompt's request. `asked` is the text with the mention taken
 * out, when the caller has it already (decide.ts); otherwise it is taken out here. Pure.
 */
export function requestText(trigger: Pick<Trigger, "kind" | "mode" | "text" | "thread">, triggerPhrase: string, asked?: string): string {
  switch (trigger.kind) {
    case "issue_comment":
    case "review_comment":
    case "review":
    case "issue_opened": {
      const request = asked ?? extractRequest(trigger.text, triggerPhrase);
      const withoutVerb = trigger.mode === "review" ? request.replace(/^review\b[\s:,.-]*/i, "") : request;
      return withoutVerb || (trigger.mode === "review" ? "Review this pull request." : "Resolve this issue.");
    }
    case "issue_labeled":
    case "issue_assigned":
    case "pull_labeled":
      return trigger.mode === "review" ? "Review this pull request." : `Resolve ${trigger.thread.isPullRequest ? "what this pull request asks for" : "this issue"}.`;
    case "review_requested":
      return "Review this pull request.";
    case "api":
    case "ci_failure":
      return trigger.text;
  }
}

/**
 * The request of a stored run: the one decided at intake, or (a run stored before triggers
 * carried it, or one without it) taken out of the text now, with the phrase the repository's
 * config snapshot or the deployment names. This is what the run's prompt uses.
 */
export function runRequest(trigger: Trigger, triggerPhrase: string): string {
  return trigger.request ?? requestText(trigger, triggerPhrase);
}
