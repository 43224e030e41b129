import { extractRequest } from "./mention.ts";
import type { Trigger } from "./types.ts";

/** What the user asked for, as the prompt's request. Pure. */
export function requestText(trigger: Trigger, triggerPhrase: string): string {
  switch (trigger.kind) {
    case "issue_comment":
    case "review_comment":
    case "review":
    case "issue_opened": {
      const request = extractRequest(trigger.text, triggerPhrase);
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
      return trigger.text;
  }
}
