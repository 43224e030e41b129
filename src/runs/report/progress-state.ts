import { agentLine, inlineCode } from "../../util/markdown.ts";
import type { StreamEvent, ToolUse } from "../../agent/stream-events.ts";
import type { Phase } from "../phases.ts";

/** What the progress comment shows, folded from Claude's stream events. Pure. */

export interface Todo {
  /** TaskCreate/TaskUpdate ids ("1", "2", …) once the CLI has confirmed them; null for TodoWrite items. */
  id: string | null;
  content: string;
  status: "pending" | "in_progress" | "completed";
}

export interface ProgressState {
  phase: Phase;
  startedAt: number;
  step: string | null;
  todos: Todo[];
  turns: number;
  /** The CLI prints one assistant event per content block; a turn is a new message id. */
  lastMessageId: string | null;
  /** Authors of the messages the run's Claude took in while working (steering), in order. */
  received?: string[];
}

export function initialProgress(startedAt: number): ProgressState {
  return { phase: "queue", startedAt, step: null, todos: [], turns: 0, lastMessageId: null };
}

/** The agent's words in a few of them, with any @mention inert (the progress comment is ours). */
function short(text: unknown, max = 60): string {
  return agentLine(String(text ?? ""), max);
}

/** Code the agent wrote (a command, a pattern) as one code span it cannot leave. */
function codeOf(text: unknown, max: number): string {
  return inlineCode(String(text ?? "").replace(/\s+/g, " ").trim(), { maxChars: max });
}

function relative(path: unknown): string {
  return short(String(path ?? "").replace(/^.*\/repo\//, ""), 80);
}

/** A tool call in a few words; null for bookkeeping tools that say nothing about the work. */
export function describeToolUse(tool: ToolUse): string | null {
  const input = tool.input;
  switch (tool.name) {
    case "Bash":
      return `Running ${codeOf(input.command, 60)}`;
    case "Edit":
    case "MultiEdit":
      return `Editing ${relative(input.file_path)}`;
    case "Write":
      return `Writing ${relative(input.file_path)}`;
    case "Read":
      return `Reading ${relative(input.file_path)}`;
    case "Grep":
      return `Searching for ${codeOf(input.pattern, 40)}`;
    case "Glob":
      return `Looking for files matching ${codeOf(input.pattern, 40)}`;
    case "WebFetch":
    case "WebSearch":
      return "Looking something up on the web";
    case "Agent":
    case "Task":
      return `Delegating: ${short(input.description ?? input.prompt, 50)}`;
    case "TodoWrite":
    case "TaskCreate":
    case "TaskUpdate":
      return "Planning";
    case "ToolSearch":
    case "TaskGet":
    case "TaskList":
      return null;
    default:
      return `Using ${tool.name}`;
  }
}

const STATUSES = new Set(["pending", "in_progress", "completed"]);
const asStatus = (s: unknown): Todo["status"] => (STATUSES.has(String(s)) ? (s as Todo["status"]) : "pending");

/** The todo list after one tool call: TodoWrite replaces it; TaskCreate/TaskUpdate edit it. */
function applyTodoTool(todos: Todo[], tool: ToolUse): Todo[] {
  const input = tool.input;
  if (tool.name === "TodoWrite" && Array.isArray(input.todos)) {
    return input.todos
      .filter((t): t is { content: string; status?: string } => typeof t === "object" && t !== null && typeof (t as Todo).content === "string")
      .map((t) => ({ id: null, content: t.content, status: asStatus(t.status) }));
  }
  if (tool.name === "TaskCreate" && typeof input.subject === "string") return [...todos, { id: null, content: input.subject, status: "pending" }];
  if (tool.name === "TaskUpdate" && typeof input.taskId === "string") {
    if (input.status === "deleted") return todos.filter((t) => t.id !== input.taskId);
    return todos.map((t) => (t.id === input.taskId ? { ...t, status: input.status ? asStatus(input.status) : t.status, content: typeof input.subject === "string" ? input.subject : t.content } : t));
  }
  return todos;
}

/** "Task #3 created successfully: Subject" gives the created task its id. */
function applyToolResults(todos: Todo[], event: Extract<StreamEvent, { type: "user" }>): Todo[] {
  const content = event.event.message.content;
  if (!Array.isArray(content)) return todos;
  let next = todos;
  for (const block of content) {
    const text = typeof block.content === "string" ? block.content : "";
    const created = /^Task #(\w+) created successfully: (.*)$/m.exec(text);
    if (!created) continue;
    const index = next.findIndex((t) => t.id === null && t.content === created[2]);
    if (index >= 0) next = next.map((t, i) => (i === index ? { ...t, id: created[1]! } : t));
  }
  return next;
}

export function reduceProgress(state: ProgressState, event: StreamEvent): ProgressState {
  if (event.type === "user") return { ...state, todos: applyToolResults(state.todos, event) };
  if (event.type !== "assistant") return state;
  const messageId = typeof event.event.message.id === "string" ? event.event.message.id : null;
  const newTurn = messageId === null || messageId !== state.lastMessageId;
  let next = { ...state, turns: state.turns + (newTurn ? 1 : 0), lastMessageId: messageId };
  for (const block of event.event.message.content) {
    if (block.type !== "tool_use" || !("name" in block) || !("input" in block)) continue;
    const tool = block as ToolUse;
    next = { ...next, step: describeToolUse(tool) ?? next.step, todos: applyTodoTool(next.todos, tool) };
  }
  return next;
}
