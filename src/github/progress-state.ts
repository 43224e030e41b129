import type { StreamEvent, ToolUse } from "../agent/stream-events.ts";
import type { Phase } from "../runs/phases.ts";

/** What the progress comment shows, folded from Claude's stream events. Pure. */

export interface Todo {
  content: string;
  status: "pending" | "in_progress" | "completed";
}

export interface ProgressState {
  phase: Phase;
  startedAt: number;
  step: string | null;
  todos: Todo[];
  turns: number;
}

export function initialProgress(startedAt: number): ProgressState {
  return { phase: "queue", startedAt, step: null, todos: [], turns: 0 };
}

function short(text: unknown, max = 60): string {
  const s = String(text ?? "").replace(/\s+/g, " ").trim();
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

function relative(path: unknown): string {
  return short(String(path ?? "").replace(/^.*\/repo\//, ""), 80);
}

/** A tool call in a few words. */
export function describeToolUse(tool: ToolUse): string {
  const input = tool.input;
  switch (tool.name) {
    case "Bash":
      return `Running \`${short(input.command)}\``;
    case "Edit":
    case "MultiEdit":
      return `Editing ${relative(input.file_path)}`;
    case "Write":
      return `Writing ${relative(input.file_path)}`;
    case "Read":
      return `Reading ${relative(input.file_path)}`;
    case "Grep":
      return `Searching for \`${short(input.pattern, 40)}\``;
    case "Glob":
      return `Looking for files matching \`${short(input.pattern, 40)}\``;
    case "WebFetch":
    case "WebSearch":
      return "Looking something up on the web";
    case "TodoWrite":
    case "TaskCreate":
    case "TaskUpdate":
      return "Planning";
    default:
      return `Using ${tool.name}`;
  }
}

const todoSchemaStatuses = new Set(["pending", "in_progress", "completed"]);

function todosFrom(tool: ToolUse, current: Todo[]): Todo[] {
  if (tool.name === "TodoWrite" && Array.isArray(tool.input.todos)) {
    return tool.input.todos
      .filter((t): t is { content: string; status: string } => typeof t === "object" && t !== null && typeof (t as Todo).content === "string")
      .map((t) => ({ content: t.content, status: todoSchemaStatuses.has(t.status) ? (t.status as Todo["status"]) : "pending" }));
  }
  return current;
}

export function reduceProgress(state: ProgressState, event: StreamEvent): ProgressState {
  if (event.type !== "assistant") return state;
  let next = { ...state, turns: state.turns + 1 };
  for (const block of event.event.message.content) {
    if (block.type === "tool_use" && "name" in block && "input" in block) {
      const tool = block as ToolUse;
      next = { ...next, step: describeToolUse(tool), todos: todosFrom(tool, next.todos) };
    }
  }
  return next;
}
