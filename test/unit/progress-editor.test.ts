import { describe, expect, it } from "vitest";
import { createProgressEditor } from "../../src/github/progress-editor.ts";

/** A fake clock: timers fire only when the test advances time. */
function fakeClock() {
  let now = 0;
  let timers: Array<{ at: number; fn: () => void; id: number }> = [];
  let nextId = 1;
  return {
    now: () => now,
    setTimer: (fn: () => void, ms: number) => {
      const id = nextId++;
      timers.push({ at: now + ms, fn, id });
      return id;
    },
    clearTimer: (id: unknown) => {
      timers = timers.filter((t) => t.id !== id);
    },
    async advance(ms: number) {
      now += ms;
      const due = timers.filter((t) => t.at <= now);
      timers = timers.filter((t) => t.at > now);
      for (const t of due) t.fn();
      await new Promise((r) => setImmediate(r));
    },
  };
}

describe("progress editor", () => {
  it("writes at most once per interval, newest body wins, and always a final write", async () => {
    const clock = fakeClock();
    const written: string[] = [];
    const editor = createProgressEditor({ intervalMs: 3000, write: async (b) => void written.push(b), onError: () => {}, ...clock });

    editor.update("a");
    await clock.advance(0);
    expect(written).toEqual(["a"]);

    editor.update("b");
    editor.update("c");
    await clock.advance(1000);
    expect(written).toEqual(["a"]);
    await clock.advance(2000);
    expect(written).toEqual(["a", "c"]);

    editor.update("d");
    await editor.finish("final");
    await clock.advance(10_000);
    expect(written).toEqual(["a", "c", "final"]);
    editor.update("late");
    await clock.advance(10_000);
    expect(written).toEqual(["a", "c", "final"]);
  });

  it("survives failing edits and retries the final one", async () => {
    const clock = fakeClock();
    const written: string[] = [];
    const errors: unknown[] = [];
    let failures = 2;
    const editor = createProgressEditor({
      intervalMs: 3000,
      write: async (body) => {
        if (failures-- > 0) throw Object.assign(new Error("secondary rate limit"), { status: 403 });
        written.push(body);
      },
      onError: (e) => errors.push(e),
      finalRetryDelaysMs: [0, 0, 0],
      ...clock,
    });
    editor.update("a");
    await clock.advance(0);
    const done = editor.finish("final");
    for (let i = 0; i < 5; i++) await clock.advance(0);
    await done;
    expect(written).toEqual(["final"]);
    expect(errors).toHaveLength(2);
  });

  it("throws when the final write keeps failing", async () => {
    const editor = createProgressEditor({ intervalMs: 0, write: async () => { throw new Error("down"); }, onError: () => {}, finalRetryDelaysMs: [] });
    await expect(editor.finish("final")).rejects.toThrow("down");
  });
});

describe("withTimeout", () => {
  it("passes a timely result through and rejects a late one with the message", async () => {
    const { withTimeout } = await import("../../src/util/with-timeout.ts");
    await expect(withTimeout(Promise.resolve(7), 1000, "late")).resolves.toBe(7);
    await expect(withTimeout(new Promise(() => {}), 20, "it did not start")).rejects.toThrow("it did not start");
  });
});

describe("progress editor on a fresh comment", () => {
  it("waits a full interval before the first edit", async () => {
    let now = 1000;
    const timers: Array<{ at: number; fn: () => void }> = [];
    const written: string[] = [];
    const editor = createProgressEditor({
      intervalMs: 3000,
      freshComment: true,
      write: async (b) => void written.push(b),
      onError: () => {},
      now: () => now,
      setTimer: (fn, ms) => timers.push({ at: now + ms, fn }),
      clearTimer: () => {},
    });
    editor.update("phase 1");
    expect(timers[0]!.at).toBe(4000);
    now = 4000;
    timers.shift()!.fn();
    await new Promise((r) => setImmediate(r));
    expect(written).toEqual(["phase 1"]);
  });
});
