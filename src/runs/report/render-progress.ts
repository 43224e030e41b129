import { agentLine } from "../../util/markdown.ts";
import { PHASE_LABEL } from "../phases.ts";
import { formatDuration, runMarker } from "./format.ts";
import type { ProgressState } from "./progress-state.ts";

const MAX_TODOS_SHOWN = 50;
const MAX_TODO_CHARS = 200;

/** The progress comment while a run is under way. Pure: state in, markdown out. */
export function renderProgress(runId: number, state: ProgressState, now: number): string {
  const lines = [runMarker(runId), `### ⏳ Working on it — ${PHASE_LABEL[state.phase]}`, ""];
  const facts = [`**Elapsed:** ${formatDuration(now - state.startedAt)}`];
  if (state.turns > 0) facts.push(`**Turns:** ${state.turns}`);
  lines.push(facts.join(" · "));
  if (state.step) lines.push("", `**Now:** ${state.step}`);
  if (state.received?.length) lines.push("", `📨 received while working: ${state.received.map((a) => `@${a}`).join(", ")}`);
  if (state.todos.length > 0) {
    const shown = state.todos.slice(0, MAX_TODOS_SHOWN).map((t) => {
      const text = agentLine(t.content, MAX_TODO_CHARS);
      return `- [${t.status === "completed" ? "x" : " "}] ${t.status === "in_progress" ? `**${text}**` : text}`;
    });
    const more = state.todos.length - shown.length;
    lines.push("", ...shown, ...(more > 0 ? [`- … and ${more} more`] : []));
  }
  lines.push("", "<sub>This comment is updated as the run goes and becomes the report when it ends.</sub>");
  return lines.join("\n");
}
