/**
 * Helpers for writing scripts: replies that make the CLI run its real tools.
 *
 * Tool names and input shapes are the ones Claude Code 2.1.330 offers
 * (see test/fixtures/stream-json/README.md).
 */
import type { AgentRequest, Block, ContentReply, ErrorReply, Reply, Script } from "./types.ts";

export type Step = Reply | ((req: AgentRequest) => Reply | Promise<Reply>);

/** The reply a sequence gives once it has run out of steps. */
export const DONE: Reply = { content: [{ type: "text", text: "Done." }], stopReason: "end_turn" };

/**
 * Answer the Nth call of this script (= the Nth agent request it sees) with the
 * Nth step; once the steps run out, answer plain text "Done.".
 * The counter belongs to the script, so a fresh sequence() passed to setScript()
 * starts again at its first step.
 */
export function sequence(...steps: Step[]): Script {
  let n = 0;
  return (req) => {
    const step = steps[n++];
    if (step === undefined) return DONE;
    return typeof step === "function" ? step(req) : step;
  };
}

/** Same reply for every agent request (e.g. a model that keeps calling tools). */
export function always(step: Step): Script {
  return (req) => (typeof step === "function" ? step(req) : step);
}

/** A final text answer. */
export function text(s: string): ContentReply {
  return { content: [{ type: "text", text: s }], stopReason: "end_turn" };
}

/** One tool call. The server gives it a fresh unique toolu_… id unless `id` is set. */
export function toolUse(name: string, input: Record<string, unknown>, id?: string): ContentReply {
  const block: Block = id === undefined ? { type: "tool_use", name, input } : { type: "tool_use", name, input, id };
  return { content: [block], stopReason: "tool_use" };
}

/** Bash: `{ command, description?, timeout?, run_in_background? }`. */
export function bash(command: string, description?: string): ContentReply {
  return toolUse("Bash", description === undefined ? { command } : { command, description });
}

/**
 * Write: `{ file_path, content }` (file_path absolute). The tool description says overwriting a file
 * that was not Read first fails, but 2.1.330 in -p/bypass mode did not enforce it.
 */
export function write(file_path: string, content: string): ContentReply {
  return toolUse("Write", { file_path, content });
}

/**
 * Edit: `{ file_path, old_string, new_string, replace_all? }`. old_string must occur in the file
 * (else an is_error tool_result "String to replace not found in file."). The "Read it first" rule of
 * the tool description was not enforced by 2.1.330 in -p/bypass mode.
 */
export function edit(file_path: string, old_string: string, new_string: string, replace_all?: boolean): ContentReply {
  return toolUse(
    "Edit",
    replace_all === undefined ? { file_path, old_string, new_string } : { file_path, old_string, new_string, replace_all },
  );
}

/** Read: `{ file_path, offset?, limit? }`. */
export function read(file_path: string): ContentReply {
  return toolUse("Read", { file_path });
}

export type TodoStatus = "pending" | "in_progress" | "completed";
export interface Todo {
  content: string;
  status: TodoStatus;
  activeForm: string;
}

/**
 * TodoWrite: `{ todos: [{ content, status, activeForm }] }`. Only offered when
 * CLAUDE_CODE_ENABLE_TODO_TOOLS=1 and CLAUDE_CODE_ENABLE_TASKS=0 (or for older models).
 */
export function todoWrite(todos: Todo[]): ContentReply {
  return toolUse("TodoWrite", { todos });
}

/**
 * TaskCreate: `{ subject, description, activeForm?, metadata? }` (subject and description required).
 * Offered when CLAUDE_CODE_ENABLE_TODO_TOOLS=1 (CLAUDE_CODE_ENABLE_TASKS left on) or for older models.
 * Task ids are "1", "2", … in creation order (per session).
 */
export function taskCreate(subject: string, description: string, activeForm?: string): ContentReply {
  return toolUse("TaskCreate", activeForm === undefined ? { subject, description } : { subject, description, activeForm });
}

/** TaskUpdate: `{ taskId, status?, subject?, description?, activeForm?, owner?, addBlocks?, addBlockedBy?, metadata? }`. */
export function taskUpdate(taskId: string, status: TodoStatus | "deleted"): ContentReply {
  return toolUse("TaskUpdate", { taskId, status });
}

/**
 * ToolSearch: `{ query, max_results }`. Todo/Task tools are *deferred*: the model
 * is told to load them with `toolSearch("select:TodoWrite")` first (their schema
 * then appears in `tools`), although calling them directly works too.
 */
export function toolSearch(query: string, max_results = 5): ContentReply {
  return toolUse("ToolSearch", { query, max_results });
}

/** Several blocks in one assistant message: `turn(text("Let me look"), bash("ls"), bash("pwd"))`. */
export function turn(...parts: Array<ContentReply | Block>): ContentReply {
  const content: Block[] = [];
  for (const p of parts) {
    if ("content" in p) content.push(...p.content);
    else content.push(p);
  }
  return { content, stopReason: content.some((b) => b.type === "tool_use") ? "tool_use" : "end_turn" };
}

/** An API error reply, e.g. apiError(500, "api_error", "boom"). */
export function apiError(status: number, type: string, message: string): ErrorReply {
  return { error: { status, type, message } };
}
