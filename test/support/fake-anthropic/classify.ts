/**
 * Telling the CLI's main-loop ("agent") requests apart from its helper ("side")
 * requests, and extracting the handy bits of an agent request.
 */
import type { RequestKind, ToolResult } from "./types.ts";

/** Tools only the agent loop is given; helper calls (titles, summaries, quota…) get none of them. */
const AGENT_TOOL_NAMES = new Set(["Bash", "Read", "Write", "Edit", "Agent", "Task", "Glob", "Grep"]);

function pathOf(url: string): string {
  const q = url.indexOf("?");
  return q === -1 ? url : url.slice(0, q);
}

export function isMessagesPath(url: string): boolean {
  return pathOf(url).replace(/\/+$/, "") === "/v1/messages";
}

export function classify(method: string, url: string, body: unknown): RequestKind {
  if (method !== "POST" || !isMessagesPath(url)) return "side";
  const tools = (body as { tools?: unknown } | undefined)?.tools;
  if (!Array.isArray(tools)) return "side";
  return tools.some((t) => typeof t?.name === "string" && AGENT_TOOL_NAMES.has(t.name)) ? "agent" : "side";
}

function contentBlocks(message: any): any[] {
  const content = message?.content;
  if (typeof content === "string") return [{ type: "text", text: content }];
  return Array.isArray(content) ? content : [];
}

function isReminder(text: string): boolean {
  return text.trimStart().startsWith("<system-reminder>");
}

/** Text the user typed last: the last user message with non-reminder text blocks, those blocks joined. */
export function lastUserText(messages: any[]): string {
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i];
    if (m?.role !== "user") continue;
    const texts = contentBlocks(m)
      .filter((b) => b?.type === "text" && typeof b.text === "string" && !isReminder(b.text))
      .map((b) => b.text as string);
    if (texts.length > 0) return texts.join("\n").trim();
  }
  return "";
}

function resultText(content: unknown): string {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  return content
    .map((c) => (c?.type === "text" && typeof c.text === "string" ? c.text : ""))
    .filter((s) => s !== "")
    .join("\n");
}

/** tool_result blocks in the messages after the last assistant message. */
export function toolResults(messages: any[]): ToolResult[] {
  let start = 0;
  for (let i = messages.length - 1; i >= 0; i--) {
    if (messages[i]?.role === "assistant") {
      start = i + 1;
      break;
    }
  }
  const out: ToolResult[] = [];
  for (const m of messages.slice(start)) {
    for (const b of contentBlocks(m)) {
      if (b?.type !== "tool_result") continue;
      const r: ToolResult = { tool_use_id: String(b.tool_use_id), content: resultText(b.content) };
      if (b.is_error === true) r.is_error = true;
      out.push(r);
    }
  }
  return out;
}
