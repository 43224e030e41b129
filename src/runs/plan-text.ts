import { inertMentions } from "../util/markdown.ts";
import type { ResultEvent } from "../agent/stream-events.ts";

/**
 * A plan run's plan: where it is in Claude's result, its steps as a markdown checklist, and the
 * comment that posts it. Pure.
 */

/**
 * In print mode the pinned CLI has no ExitPlanMode: plan mode has Claude write its plan to a plan
 * file (~/.claude/plans/<name>.md, the one file it may write) and end its turn. The plan is that
 * file when this run wrote one, else Claude's final text.
 */
export function planOf(planFile: string | null, result: ResultEvent | null): string {
  return planFile?.trim() || (result?.result ?? "").trim();
}

const LIST_ITEM = /^(\s*)(?:[-*+]\s+(?:\[[ xX]\]\s+)?|\d+[.)]\s+)(.*)$/;
const FENCE = /^\s*(```|~~~)/;

/** The plan with each list item (numbered or bulleted, outside code fences) as a `- [ ]` item. */
export function planChecklist(plan: string): { text: string; steps: number } {
  let steps = 0;
  let inFence = false;
  const lines = plan.split("\n").map((line) => {
    if (FENCE.test(line)) inFence = !inFence;
    const item = inFence ? null : LIST_ITEM.exec(line);
    if (!item) return line;
    steps += 1;
    return `${item[1]}- [ ] ${item[2]}`;
  });
  // A plan without a list is still one step to approve.
  if (steps === 0) return { text: `- [ ] ${plan.trim() || "(Claude left no plan text)"}`.replace(/\n/g, "\n  "), steps: 1 };
  return { text: lines.join("\n"), steps };
}

const MAX_PLAN = 50_000;

/** How to go on, in the plan comment and the report. */
export function proceedHint(triggerPhrase: string): string {
  return `Reply \`${triggerPhrase} go\` to carry it out (remarks may follow: \`${triggerPhrase} go, but keep the old API\`), or ask again for a new plan.`;
}

export function planComment(checklist: string, triggerPhrase: string, runId: number): string {
  // Shown with Claude's @mentions inert (a new comment notifies them); the thread keeps the plan as Claude wrote it.
  const shown = inertMentions(checklist);
  const body = shown.length > MAX_PLAN ? `${shown.slice(0, MAX_PLAN)}\n\n… (the plan is cut here: ${shown.length - MAX_PLAN} more characters)` : shown;
  return [`### 📝 Plan`, "", body, "", "---", proceedHint(triggerPhrase), "", `<sub>Plan by claude-sandbox-bot (run ${runId}); nothing was written or pushed.</sub>`].join("\n");
}
