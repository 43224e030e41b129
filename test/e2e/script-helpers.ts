import type { AgentRequest, Block, Reply } from "../support/fake-anthropic/types.ts";

/**
 * Scripts keyed by the conversation, not by a global request counter: the step is the number of
 * assistant turns since the latest user prompt, and the plan is chosen by what that prompt says.
 */

export function stepOf(req: AgentRequest): number {
  let lastPrompt = -1;
  req.messages.forEach((m: { role: string; content: unknown }, i: number) => {
    if (m.role !== "user") return;
    const blocks = typeof m.content === "string" ? [{ type: "text", text: m.content }] : (m.content as Array<{ type: string; text?: string }>);
    if (blocks.some((b) => b.type === "text" && !String(b.text).startsWith("<system-reminder>"))) lastPrompt = i;
  });
  return req.messages.slice(lastPrompt + 1).filter((m: { role: string }) => m.role === "assistant").length;
}

/** The checkout Claude works in, from the environment section the CLI sends (system prompt or a system message). */
export function cwdOf(req: AgentRequest): string {
  const match = JSON.stringify(req.body).match(/(?:Primary working directory|Working directory): ([^\s"\\]+)/);
  if (!match) throw new Error("no working directory in the request");
  return match[1]!;
}

export type Plan = Array<(req: AgentRequest) => Block[]>;

/** Runs a plan step by step; after the last step, says "Done.". */
export function planReply(plan: Plan, req: AgentRequest): Reply {
  const step = plan[stepOf(req)];
  return { content: step ? step(req) : [{ type: "text", text: "Done." }] };
}

export const tool = (name: string, input: Record<string, unknown>): Block => ({ type: "tool_use", name, input });
export const say = (text: string): Block => ({ type: "text", text });
