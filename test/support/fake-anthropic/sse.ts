/**
 * Turning a scripted reply into an Anthropic Message and into the SSE events
 * the streaming Messages API emits for it.
 */
import { randomBytes } from "node:crypto";
import type { Block, ContentReply, StopReason, Usage } from "./types.ts";

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

export function randomId(prefix: string, length = 24): string {
  const bytes = randomBytes(length);
  let out = prefix;
  for (const byte of bytes) out += ALPHABET[byte % ALPHABET.length];
  return out;
}

export type MessageBlock =
  | { type: "text"; text: string }
  | { type: "tool_use"; id: string; name: string; input: Record<string, unknown> };

export interface FullUsage {
  input_tokens: number;
  output_tokens: number;
  cache_creation_input_tokens: number;
  cache_read_input_tokens: number;
}

export interface Message {
  id: string;
  type: "message";
  role: "assistant";
  model: string;
  content: MessageBlock[];
  stop_reason: StopReason;
  stop_sequence: null;
  usage: FullUsage;
}

/** Rough token estimate (4 characters a token) used when the reply gives no usage. */
export function estimateTokens(value: unknown): number {
  const s = typeof value === "string" ? value : JSON.stringify(value ?? "");
  return Math.max(1, Math.ceil(s.length / 4));
}

function toMessageBlock(block: Block): MessageBlock {
  if (block.type === "text") return { type: "text", text: block.text };
  return { type: "tool_use", id: block.id ?? randomId("toolu_"), name: block.name, input: block.input };
}

/** Build the complete assistant Message for a content reply (tool_use ids filled in). */
export function buildMessage(reply: ContentReply, model: string, requestBody: unknown): Message {
  const content = reply.content.map(toMessageBlock);
  const stopReason: StopReason =
    reply.stopReason ?? (content.some((b) => b.type === "tool_use") ? "tool_use" : "end_turn");
  const usage: Usage = reply.usage ?? {
    input_tokens: estimateTokens((requestBody as { messages?: unknown } | undefined)?.messages),
    output_tokens: estimateTokens(content),
  };
  return {
    id: randomId("msg_"),
    type: "message",
    role: "assistant",
    model,
    content,
    stop_reason: stopReason,
    stop_sequence: null,
    usage: {
      input_tokens: usage.input_tokens,
      output_tokens: usage.output_tokens,
      cache_creation_input_tokens: 0,
      cache_read_input_tokens: 0,
    },
  };
}

export interface SseEvent {
  event: string;
  data: Record<string, unknown>;
}

function chunks(s: string, size: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < s.length; i += size) out.push(s.slice(i, i + size));
  return out;
}

/** The events of a streamed Message, in the order the real API sends them. */
export function messageToSseEvents(message: Message, chunkSize = 512): SseEvent[] {
  const events: SseEvent[] = [];
  const push = (event: string, data: Record<string, unknown>) => events.push({ event, data: { type: event, ...data } });

  push("message_start", {
    message: {
      ...message,
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage: { ...message.usage, output_tokens: 1 },
    },
  });
  push("ping", {});
  message.content.forEach((block, index) => {
    if (block.type === "text") {
      push("content_block_start", { index, content_block: { type: "text", text: "" } });
      for (const piece of chunks(block.text, chunkSize)) {
        push("content_block_delta", { index, delta: { type: "text_delta", text: piece } });
      }
    } else {
      push("content_block_start", {
        index,
        content_block: { type: "tool_use", id: block.id, name: block.name, input: {} },
      });
      push("content_block_delta", { index, delta: { type: "input_json_delta", partial_json: "" } });
      for (const piece of chunks(JSON.stringify(block.input), chunkSize)) {
        push("content_block_delta", { index, delta: { type: "input_json_delta", partial_json: piece } });
      }
    }
    push("content_block_stop", { index });
  });
  push("message_delta", {
    delta: { stop_reason: message.stop_reason, stop_sequence: null },
    usage: { ...message.usage },
  });
  push("message_stop", {});
  return events;
}

export function formatSse(event: SseEvent): string {
  return `event: ${event.event}\ndata: ${JSON.stringify(event.data)}\n\n`;
}
