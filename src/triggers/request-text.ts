import { extractRequest } from "./mention.ts";
import type { Trigger } from "./types.ts";

/**
 * What the user asked for, as the prompt's request. `asked` is the text with the mention taken
 * out, when the caller has it already (decide.ts); otherwise it is taken out here. Pure.
 */
export function requestText(trigger: Pick<Trigger, "kind" | "mode" | "text" | "thread" | "approvesPlan">, triggerPhrase: string, asked?: string): string {
  switch (trigger.kind) {
    case "issue_comment":
    case "review_comment":
    case "review":
    case "issue_opened": {
      const request = asked ?? extractRequest(trigger.text, triggerPhrase);
      const withoutVerb = trigger.mode === "review" ? request.replace(/^review\b[\s:,.-]*/i, "") : request;
      return withoutVerb || (trigger.mode === "review" ? "Review this pull request." : trigger.approvesPlan ? "Go ahead." : "Resolve this issue.");
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

/** What a mention's request asks besides its task: a model, and a verb (plan first, or approve the plan). */
export interface RequestOptions {
  model?: string;
  verb?: "plan" | "approve";
  /** The request with the option and the verb taken out (the remarks, for approve). */
  rest: string;
}

// `/model opus`, `--model opus`, `--model=opus`: a model name is letters, digits and `.`, `_`, `-`, `:`, `[`, `]`.
const MODEL_OPTION = /^(?:\/model|--model)(?:\s+|=)([A-Za-z0-9][A-Za-z0-9._:[\]-]{0,99})(?=\s|$)\s*/i;
// Punctuation after the verb goes with it, but not the dashes of a `--model` that follows.
const PLAN_VERB = /^plan\b(?:\s*[:,.]|\s+[-—–](?=\s))?\s*/i;
// `go` alone or before punctuation (not "go through the tests"); `approve` before anything.
const APPROVE_VERB = /^(?:approved?\b|go(?:\s+ahead)?(?=$|\s*[.!,:;\n—–-]))[\s.!,:;—–-]*/i;

/**
 * A mention's request (the mention already taken out) read for its options, which go only at its
 * start: `/model <name>` or `--model <name>`, then `plan <task>` or `go`/`approve [remarks]`
 * (the model option may follow `plan` too). Pure.
 */
export function requestOptions(request: string): RequestOptions {
  let rest = request.trim();
  let model: string | undefined;
  const takeModel = () => {
    const m = model === undefined ? MODEL_OPTION.exec(rest) : null;
    if (m) [model, rest] = [m[1], rest.slice(m[0].length)];
  };
  takeModel();
  let verb: RequestOptions["verb"];
  for (const [name, pattern] of [["plan", PLAN_VERB], ["approve", APPROVE_VERB]] as const) {
    const m = verb === undefined ? pattern.exec(rest) : null;
    if (m) [verb, rest] = [name, rest.slice(m[0].length)];
  }
  if (verb === "plan") takeModel();
  return { ...(model !== undefined ? { model } : {}), ...(verb ? { verb } : {}), rest: rest.trim() };
}
