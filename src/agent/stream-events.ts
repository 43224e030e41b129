import { z } from "zod";

/**
 * Claude Code's `--output-format stream-json --verbose` lines, validated. Objects are loose: the CLI
 * adds fields between versions and the report shows the result event as the CLI sent it.
 */

const toolUseBlock = z.looseObject({ type: z.literal("tool_use"), id: z.string(), name: z.string(), input: z.record(z.string(), z.unknown()) });
const textBlock = z.looseObject({ type: z.literal("text"), text: z.string() });
const otherBlock = z.looseObject({ type: z.string() });
const contentBlock = z.union([toolUseBlock, textBlock, otherBlock]);

export const systemInitEvent = z.looseObject({
  type: z.literal("system"),
  subtype: z.string(),
  session_id: z.string().optional(),
  model: z.string().optional(),
  cwd: z.string().optional(),
  tools: z.array(z.string()).optional(),
});

export const assistantEvent = z.looseObject({
  type: z.literal("assistant"),
  session_id: z.string().optional(),
  message: z.looseObject({ content: z.array(contentBlock) }),
});

export const userEvent = z.looseObject({
  type: z.literal("user"),
  session_id: z.string().optional(),
  message: z.looseObject({ content: z.union([z.string(), z.array(otherBlock)]) }),
});

export const resultEvent = z.looseObject({
  type: z.literal("result"),
  subtype: z.string(),
  is_error: z.boolean(),
  duration_ms: z.number(),
  num_turns: z.number(),
  session_id: z.string(),
  total_cost_usd: z.number().default(0),
  usage: z.record(z.string(), z.unknown()).default({}),
  /** Absent on error results, which carry `errors` instead. */
  result: z.string().optional(),
  errors: z.array(z.unknown()).optional(),
});

export type SystemInitEvent = z.infer<typeof systemInitEvent>;
export type AssistantEvent = z.infer<typeof assistantEvent>;
export type UserEvent = z.infer<typeof userEvent>;
export type ResultEvent = z.infer<typeof resultEvent>;
export type ToolUse = z.infer<typeof toolUseBlock>;

export type StreamEvent =
  | { type: "system"; event: SystemInitEvent }
  | { type: "assistant"; event: AssistantEvent }
  | { type: "user"; event: UserEvent }
  | { type: "result"; event: ResultEvent }
  | { type: "other"; event: Record<string, unknown> }
  | { type: "unparsed"; line: string; problem: string };

/** One stdout line → one event. Never throws: garbage becomes an "unparsed" event. */
export function parseStreamLine(line: string): StreamEvent | null {
  const trimmed = line.trim();
  if (trimmed === "") return null;
  let json: unknown;
  try {
    json = JSON.parse(trimmed);
  } catch {
    return { type: "unparsed", line: trimmed, problem: "not JSON" };
  }
  if (typeof json !== "object" || json === null) return { type: "unparsed", line: trimmed, problem: "not an object" };
  const kind = (json as { type?: unknown }).type;
  const schema = kind === "system" ? systemInitEvent : kind === "assistant" ? assistantEvent : kind === "user" ? userEvent : kind === "result" ? resultEvent : null;
  if (!schema) return { type: "other", event: json as Record<string, unknown> };
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return { type: "unparsed", line: trimmed, problem: `${String(kind)} event: ${issue?.path.join(".")} ${issue?.message}` };
  }
  return { type: kind, event: parsed.data } as StreamEvent;
}

/** No stream-json event is this long; a longer "line" is output flooding stdout, dropped unread. */
export const MAX_LINE_CHARS = 32 * 1024 * 1024;

/** Splits a byte stream into lines across chunk boundaries; a line over maxLine is passed on as its first 1000 characters. */
export function createLineSplitter(onLine: (line: string) => void, maxLine: number = MAX_LINE_CHARS): { push(chunk: string): void; end(): void } {
  let buffer = "";
  let overflowing = false;
  return {
    push(chunk) {
      if (overflowing) {
        const newline = chunk.indexOf("\n");
        if (newline === -1) return;
        overflowing = false;
        chunk = chunk.slice(newline + 1);
      }
      buffer += chunk;
      if (buffer.length > maxLine && buffer.indexOf("\n") === -1) {
        onLine(buffer.slice(0, 1000));
        buffer = "";
        overflowing = true;
        return;
      }
      let newline = buffer.indexOf("\n");
      while (newline !== -1) {
        onLine(buffer.slice(0, newline));
        buffer = buffer.slice(newline + 1);
        newline = buffer.indexOf("\n");
      }
    },
    end() {
      if (buffer.length > 0) onLine(buffer);
      buffer = "";
      overflowing = false;
    },
  };
}
