import { PHASE_LABEL } from "../phases.ts";
import { formatDuration, runMarker } from "./format.ts";
import type { ProgressState } from "./progress-state.ts";

/** The progress comment while a run is under way. Pure: state in, markdown out. */
export function renderProgress(runId: number, state: ProgressState, now: number): string {
  const lines = [runMarker(runId), `### ⏳ Working on it — ${PHASE_LABEL[state.phase]}`, ""];
  const facts = [`**Elapsed:** ${formatDuration(now - state.startedAt)}`];
  if (state.turns > 0) facts.push(`**Turns:** ${state.turns}`);
  lines.push(facts.join(" · "));
  if (state.step) lines.push("", `**Now:** ${state.step}`);
  if (state.received?.length) lines.push("", `📨 received while working: ${state.received.map((a) => `@${a}`).join(", ")}`);
  if (state.todos.length > 0) {
    lines.push("", ...state.todos.map((t) => `- [${t.status === "completed" ? "x" : " "}] ${t.status === "in_progress" ? `**${t.content}**` : t.content}`));
  }
  lines.push("", "<sub>This comment is updated as the run goes and becomes the report when it ends.</sub>");
  return lines.join("\n");
}
