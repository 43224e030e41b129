import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Sandbox as E2bSandbox, CommandStartOpts } from "e2b";
import { pino } from "pino";
import { afterAll, describe, expect, it } from "vitest";
import { createE2bProvider } from "../../src/sandbox/e2b.ts";
import { createLocalProvider, PIPE_GRACE_MS } from "../../src/sandbox/local.ts";
import { OUTPUT_TAIL_CHARS } from "../../src/sandbox/output-tail.ts";

/** A command's output is streamed and a bounded tail kept; the rest is counted, never held. */

const MB = 1024 * 1024;

function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return false;
  }
}

describe("the local provider bounds what it keeps of a command's output", () => {
  const root = mkdtempSync(join(tmpdir(), "csb-bounds-"));
  const provider = createLocalProvider({ root, log: pino({ level: "silent" }) });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it("600 MB on stdout and 50 MB on stderr end in a 64 KiB tail each, the rest counted, memory flat", async () => {
    const sbx = await provider.create({ metadata: {}, timeoutMs: 60_000 });
    const stdoutBytes = 600 * MB;
    const stderrBytes = 50 * MB;
    let streamed = 0;
    let peakRss = process.memoryUsage().rss;
    const before = peakRss;
    const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 50);
    const result = await sbx.run(["sh", "-c", `head -c ${stderrBytes} /dev/zero | tr '\\0' e >&2; head -c ${stdoutBytes} /dev/zero | tr '\\0' a; printf END`], {
      onStdout: (chunk) => (streamed += chunk.length),
      timeoutMs: 120_000,
    });
    clearInterval(sampler);
    expect(result.exitCode).toBe(0);
    expect(streamed).toBe(stdoutBytes + 3);
    expect(result.droppedChars).toEqual({ stdout: stdoutBytes + 3 - OUTPUT_TAIL_CHARS, stderr: stderrBytes - OUTPUT_TAIL_CHARS });
    expect(result.stdout.endsWith("aaaEND")).toBe(true);
    const [header, tail] = [result.stdout.slice(0, result.stdout.indexOf("\n")), result.stdout.slice(result.stdout.indexOf("\n") + 1)];
    expect(header).toBe(`[sandbox] ${stdoutBytes + 3 - OUTPUT_TAIL_CHARS} characters of earlier output dropped; the last ${OUTPUT_TAIL_CHARS} follow`);
    expect(tail.length).toBe(OUTPUT_TAIL_CHARS);
    expect(result.stderr.length).toBeLessThan(OUTPUT_TAIL_CHARS + 200);
    // The old code held all 600 MB in one string (and died with "Invalid string length").
    expect(peakRss - before).toBeLessThan(150 * MB);
    await sbx.kill();
  }, 120_000);

  it("a command that exits while a process it left holds its pipes returns within the grace, and the leftover is killed", async () => {
    const sbx = await provider.create({ metadata: {}, timeoutMs: 60_000 });
    const pidFile = join(sbx.homeDir, "leftover.pid");
    const started = Date.now();
    // setsid: the leftover leaves the command's process group; its stdio are still our pipes.
    const result = await sbx.run(["sh", "-c", `sleep 600 & echo $! > ${pidFile}; setsid sleep 600 & echo $! > ${pidFile}.setsid; echo committed`], { timeoutMs: 60_000 });
    const took = Date.now() - started;
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain("committed");
    expect(took).toBeLessThan(PIPE_GRACE_MS + 2_000);
    const pid = Number((await sbx.readFile(pidFile))!.trim());
    await new Promise((r) => setTimeout(r, 200));
    // The in-group leftover is gone (or a zombie nobody has reaped yet: no reaper in a container).
    expect(alive(pid)).toBe(false);
    // Out of the group, the setsid one outlives the command (the e2b VM's end, or this, ends it).
    process.kill(Number((await sbx.readFile(`${pidFile}.setsid`))!.trim()), "SIGKILL");
    await sbx.kill();
  }, 30_000);
});

describe("the e2b provider bounds its own and the SDK's copies of the output", () => {
  /** Like the SDK's CommandHandle: appends each chunk to _stdout/_stderr, then calls the callback. */
  class SdkLikeHandle {
    readonly pid = 7;
    _stdout = "";
    _stderr = "";
    maxHeld = 0;
    private done!: () => void;
    private readonly finished = new Promise<void>((r) => (this.done = r));
    private readonly opts: CommandStartOpts;
    constructor(opts: CommandStartOpts) {
      this.opts = opts;
    }
    async pump(chunks: number, size: number): Promise<void> {
      const chunk = "x".repeat(size);
      for (let i = 0; i < chunks; i++) {
        this._stdout += chunk;
        this._stderr += chunk;
        await this.opts.onStdout?.(chunk);
        await this.opts.onStderr?.(chunk);
        this.maxHeld = Math.max(this.maxHeld, this._stdout.length, this._stderr.length);
      }
      this.done();
    }
    get stdout() {
      return this._stdout;
    }
    get stderr() {
      return this._stderr;
    }
    async wait() {
      await this.finished;
      return { exitCode: 0, stdout: this._stdout, stderr: this._stderr };
    }
    async kill() {
      return true;
    }
    async disconnect() {}
  }

  it("keeps 64 KiB of 200 MB and empties the SDK handle's buffers as chunks arrive", async () => {
    let handle: SdkLikeHandle | undefined;
    const fake = {
      async create() {
        return {
          sandboxId: "sbx-bounds",
          files: { makeDir: async () => true },
          commands: {
            run: async (_cmd: string, opts: CommandStartOpts) => {
              handle = new SdkLikeHandle(opts);
              setImmediate(() => void handle!.pump(200, MB));
              return handle;
            },
          },
        };
      },
    } as unknown as typeof E2bSandbox;
    const noop = () => undefined;
    const provider = createE2bProvider({ apiKey: "k", template: "t", SandboxClass: fake, log: { info: noop, warn: noop, error: noop, debug: noop } });
    const sbx = await provider.create({ metadata: {}, timeoutMs: 1000 });
    let streamed = 0;
    const result = await sbx.run(["yes"], { onStdout: (c) => (streamed += c.length) });
    expect(streamed).toBe(200 * MB);
    expect(result.droppedChars).toEqual({ stdout: 200 * MB - OUTPUT_TAIL_CHARS, stderr: 200 * MB - OUTPUT_TAIL_CHARS });
    expect(result.stdout.length).toBeLessThan(OUTPUT_TAIL_CHARS + 200);
    expect(handle!.maxHeld).toBeLessThanOrEqual(MB);
  }, 60_000);
});
