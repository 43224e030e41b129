import { describe, expect, it } from "vitest";
import { busEventMessages } from "../../src/web/run-stream.ts";
import { formatSse, sseComment } from "../../src/web/sse.ts";

describe("SSE formatting", () => {
  it("frames an event: name, id, retry, JSON data, blank line", () => {
    expect(formatSse({ event: "phase", id: 3, retry: 2000, data: { phase: "agent" } })).toBe('event: phase\nid: 3\nretry: 2000\ndata: {"phase":"agent"}\n\n');
    expect(formatSse({ data: null })).toBe("data: null\n\n");
  });

  it("keeps newlines in values inside the JSON, and out of the event name", () => {
    const text = formatSse({ event: "bad\nevent: injected", data: { step: "line one\nline two\r\n" } });
    expect(text).toBe('event: bad event: injected\ndata: {"step":"line one\\nline two\\r\\n"}\n\n');
    expect(text.split("\n\n")).toHaveLength(2);
  });

  it("comments keep a stream alive and are one line", () => {
    expect(sseComment("keep-alive\nx")).toBe(": keep-alive x\n\n");
  });

  it("turns the run's bus events into messages and ignores other runs'", () => {
    expect(busEventMessages({ type: "phase", runId: 1, phase: "agent", at: 0 }, 1)).toEqual(['event: phase\ndata: {"phase":"agent","label":"running Claude Code"}\n\n']);
    expect(busEventMessages({ type: "phase", runId: 2, phase: "agent", at: 0 }, 1)).toEqual([]);
    expect(busEventMessages({ type: "progress", runId: 1, step: "Running `ls`", todos: [{ content: "a", status: "pending" }], turns: 2, at: 0 }, 1)).toEqual([
      'event: progress\ndata: {"step":"Running `ls`","todos":[{"content":"a","status":"pending"}],"turns":2}\n\n',
    ]);
    const finished = busEventMessages(
      { type: "finished", runId: 1, repo: "a/b", trigger: "api", outcome: "done", errorCategory: null, durationMs: 5, phaseMs: {}, claudeCostUsd: 0.5, sandboxCostUsd: 0.25, at: 0 },
      1,
    );
    expect(finished).toEqual(['event: finished\ndata: {"outcome":"done","durationMs":5,"costUsd":0.75}\n\n']);
  });
});
