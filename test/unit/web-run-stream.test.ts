import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRunEvents } from "../../src/runs/run-events.ts";
import type { RunRecord } from "../../src/store/types.ts";
import { createRunStreams, type RunStreams } from "../../src/web/run-stream.ts";

/** The live stream over a real HTTP connection: bus events at once, store changes by polling, ends when finished. */
describe("run stream (SSE)", () => {
  const runs = new Map<number, Pick<RunRecord, "id" | "state" | "phase">>();
  const events = createRunEvents();
  let streams: RunStreams;
  let server: Server;
  let url = "";
  beforeAll(async () => {
    streams = createRunStreams({ store: { getRun: async (id) => (runs.get(id) as RunRecord | undefined) ?? null }, events, log: pino({ level: "silent" }), pollMs: 30 });
    server = createServer((req, res) => {
      const run = runs.get(Number(req.url?.slice(1)));
      if (run) streams.open(req, res, run as RunRecord);
      else res.writeHead(404).end();
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  async function read(id: number, whileOpen: (text: () => string) => Promise<void>): Promise<string> {
    const res = await fetch(`${url}/${id}`);
    expect(res.headers.get("content-type")).toBe("text/event-stream; charset=utf-8");
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let text = "";
    const pump = (async () => {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        text += decoder.decode(value);
      }
    })();
    await whileOpen(() => text);
    await pump;
    return text;
  }

  const until = async (check: () => boolean) => {
    for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
  };

  it("sends the snapshot, this run's bus events, store changes, then ends", async () => {
    runs.set(1, { id: 1, state: "running", phase: "clone" });
    const text = await read(1, async (sofar) => {
      await until(() => sofar().includes("event: state"));
      events.emit({ type: "phase", runId: 1, phase: "agent", at: 0 });
      events.emit({ type: "phase", runId: 2, phase: "publish", at: 0 });
      events.emit({ type: "progress", runId: 1, step: "Running `ls`", todos: [], turns: 1, at: 0 });
      await until(() => sofar().includes("event: progress"));
      // Another process moved it on: only the store knows.
      runs.set(1, { id: 1, state: "running", phase: "publish" });
      await until(() => sofar().includes('"phase":"publish"'));
      runs.set(1, { id: 1, state: "succeeded", phase: null });
    });
    const names = [...text.matchAll(/^event: (\w+)$/gm)].map((m) => m[1]);
    expect(names).toEqual(["state", "phase", "progress", "state", "state", "end"]);
    expect(text).toContain('retry: 2000\ndata: {"state":"running","phase":"clone","label":"cloning the repository"}');
    expect(text).toContain('data: {"phase":"agent","label":"running Claude Code"}');
    // Run 2's bus event is not in run 1's stream.
    expect(text.match(/"phase":"publish"/g)).toHaveLength(1);
    expect(text).toMatch(/event: end\ndata: \{"state":"succeeded"\}\n\n$/);
    expect(streams.size).toBe(0);
  });

  it("a finished run's stream ends at once; closeAll ends open ones", async () => {
    runs.set(3, { id: 3, state: "failed", phase: null });
    expect(await read(3, async () => {})).toMatch(/event: end\ndata: \{"state":"failed"\}/);

    runs.set(4, { id: 4, state: "queued", phase: null });
    const text = await read(4, async (sofar) => {
      await until(() => sofar().includes("event: state"));
      expect(streams.size).toBe(1);
      streams.closeAll();
    });
    expect(text).not.toContain("event: end");
    expect(streams.size).toBe(0);
  });
});
