import { Writable } from "node:stream";
import pino from "pino";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createLeaseKeeper } from "../../src/runs/lease-keeper.ts";

function capturingLog() {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  return { log: pino({ level: "warn" }, stream), lines };
}

describe("lease keeper", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("renews the held runs every heartbeatMs, only while something is held", async () => {
    const beats: number[][] = [];
    const keeper = createLeaseKeeper({ heartbeat: async (ids) => void beats.push([...ids]), heartbeatMs: 100, log: capturingLog().log, what: "running runs" });
    await vi.advanceTimersByTimeAsync(250);
    expect(beats).toEqual([]);
    keeper.hold(1);
    keeper.hold(2);
    expect(keeper.size).toBe(2);
    await vi.advanceTimersByTimeAsync(100);
    expect(beats).toEqual([[1, 2]]);
    keeper.release(1);
    await vi.advanceTimersByTimeAsync(100);
    expect(beats).toEqual([[1, 2], [2]]);
    keeper.release(2);
    await vi.advanceTimersByTimeAsync(500);
    expect(beats).toHaveLength(2);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("stop() renews nothing more even with runs held", async () => {
    const beats: number[][] = [];
    const keeper = createLeaseKeeper({ heartbeat: async (ids) => void beats.push([...ids]), heartbeatMs: 100, log: capturingLog().log, what: "running runs" });
    keeper.hold(7);
    keeper.stop();
    await vi.advanceTimersByTimeAsync(500);
    expect(beats).toEqual([]);
    expect(keeper.size).toBe(1);
  });

  it("logs a failed renewal naming what it holds, and keeps renewing", async () => {
    const { log, lines } = capturingLog();
    let calls = 0;
    const keeper = createLeaseKeeper({
      heartbeat: async () => {
        calls++;
        throw new Error("database is locked");
      },
      heartbeatMs: 100,
      log,
      what: "runs waiting for acknowledgement",
    });
    keeper.hold(3);
    await vi.advanceTimersByTimeAsync(200);
    expect(calls).toBe(2);
    expect(lines.map((l) => l.msg)).toEqual(["could not renew the lease of runs waiting for acknowledgement", "could not renew the lease of runs waiting for acknowledgement"]);
    expect(lines[0]).toMatchObject({ runs: 1, err: { message: "database is locked" } });
    keeper.release(3);
  });
});
