import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  ALL_TRAFFIC,
  AuthenticationError,
  CommandExitError,
  FileNotFoundError,
  RateLimitError,
  SandboxError,
  SandboxNotFoundError,
  TimeoutError,
} from "e2b";
import type { Sandbox as E2bSandbox, CommandStartOpts } from "e2b";
import { afterEach, describe, expect, it, vi } from "vitest";
import { ABORTED_EXIT_CODE, createE2bProvider, E2B_HOME, E2B_WORKDIR, TIMED_OUT_EXIT_CODE } from "../../src/sandbox/e2b.ts";
import { shellQuote, toShellCommand } from "../../src/sandbox/shell-quote.ts";

const NASTY_ARGS = ["plain", "with space", "it's", `"double"`, "$(touch /tmp/pwned)", "`id`", "a\nb", "", "*", "$HOME", "\\", "''"];

/** Runs a produced command line in a real shell, as E2B does (`bash -l -c`), minus the login. */
function shell(sh: "sh" | "bash", line: string) {
  return spawnSync(sh, ["-c", line], { encoding: "utf8" });
}

/** A running command as the fake SDK hands it out: the test decides when and how it ends. */
class FakeHandle {
  readonly pid = 4242;
  stdout = "";
  stderr = "";
  killed = false;
  disconnected = false;
  private finish!: (outcome: { exitCode: number } | { error: unknown }) => void;
  private readonly outcome = new Promise<{ exitCode: number } | { error: unknown }>((resolve) => (this.finish = resolve));
  private readonly opts: CommandStartOpts;
  constructor(opts: CommandStartOpts) {
    this.opts = opts;
  }
  out(chunk: string): void {
    this.stdout += chunk;
    void this.opts.onStdout?.(chunk);
  }
  err(chunk: string): void {
    this.stderr += chunk;
    void this.opts.onStderr?.(chunk);
  }
  exit(exitCode: number): void {
    this.finish({ exitCode });
  }
  fail(error: unknown): void {
    this.finish({ error });
  }
  // Same contract as the SDK's CommandHandle.wait(): a non-zero exit throws CommandExitError.
  async wait() {
    const outcome = await this.outcome;
    if ("error" in outcome) throw outcome.error;
    const result = { exitCode: outcome.exitCode, stdout: this.stdout, stderr: this.stderr };
    if (outcome.exitCode !== 0) throw new CommandExitError({ ...result, error: "exit status " + outcome.exitCode });
    return result;
  }
  async kill(): Promise<boolean> {
    this.killed = true;
    this.exit(-1); // what envd reports for a SIGKILLed process
    return true;
  }
  async disconnect(): Promise<void> {
    this.disconnected = true;
  }
}

type Behaviour = (handle: FakeHandle, cmd: string) => void;

/** Stands in for the e2b Sandbox class at the SDK boundary and records every call. */
class FakeSandbox {
  static creates: Array<{ template: string; opts: unknown }> = [];
  static connects: Array<{ id: string; opts: unknown }> = [];
  static createError: unknown;
  static connectError: unknown;
  static makeDirError: unknown;
  static last: FakeSandbox | undefined;
  static behaviour: Behaviour = (h) => h.exit(0);

  static async create(template: string, opts: unknown) {
    FakeSandbox.creates.push({ template, opts });
    if (FakeSandbox.createError) throw FakeSandbox.createError;
    return (FakeSandbox.last = new FakeSandbox("sbx-123"));
  }
  static async connect(id: string, opts: unknown) {
    FakeSandbox.connects.push({ id, opts });
    if (FakeSandbox.connectError) throw FakeSandbox.connectError;
    return (FakeSandbox.last = new FakeSandbox(id));
  }
  static listed: Array<{ sandboxId: string; state: string; startedAt: Date; metadata: Record<string, string> }> = [];
  static listOpts: unknown[] = [];
  static killed: Array<{ id: string; opts: unknown }> = [];
  static list(opts: unknown) {
    FakeSandbox.listOpts.push(opts);
    // Two pages, like the SDK's paginator.
    const pages = [FakeSandbox.listed.slice(0, 1), FakeSandbox.listed.slice(1)];
    return {
      get hasNext() {
        return pages.length > 0;
      },
      nextItems: async () => pages.shift() ?? [],
    };
  }
  static async kill(id: string, opts: unknown) {
    FakeSandbox.killed.push({ id, opts });
    return true;
  }
  static reset(): void {
    FakeSandbox.listed = [];
    FakeSandbox.listOpts = [];
    FakeSandbox.killed = [];
    FakeSandbox.creates = [];
    FakeSandbox.connects = [];
    FakeSandbox.createError = undefined;
    FakeSandbox.connectError = undefined;
    FakeSandbox.makeDirError = undefined;
    FakeSandbox.last = undefined;
    FakeSandbox.behaviour = (h) => h.exit(0);
  }

  runs: Array<{ cmd: string; opts: CommandStartOpts; handle: FakeHandle }> = [];
  files = {
    // Like the SDK: text or an ArrayBuffer in; text, or bytes with { format: "bytes" }, out.
    store: new Map<string, string | ArrayBuffer>(),
    madeDirs: [] as string[],
    write: async (path: string, data: string | ArrayBuffer) => void this.files.store.set(path, data),
    read: async (path: string, opts?: { format?: "text" | "bytes" }) => {
      const content = this.files.store.get(path);
      if (content === undefined) throw new FileNotFoundError(`path '${path}' does not exist`);
      const bytes = typeof content === "string" ? new TextEncoder().encode(content) : new Uint8Array(content);
      return opts?.format === "bytes" ? bytes : new TextDecoder().decode(bytes);
    },
    makeDir: async (path: string) => {
      if (FakeSandbox.makeDirError) throw FakeSandbox.makeDirError;
      this.files.madeDirs.push(path);
      return true;
    },
  };
  stdinCalls: Array<[string, number, string?]> = [];
  commands = {
    run: async (cmd: string, opts: CommandStartOpts) => {
      const handle = new FakeHandle(opts);
      this.runs.push({ cmd, opts, handle });
      FakeSandbox.behaviour(handle, cmd);
      return handle;
    },
    sendStdin: async (pid: number, data: string) => void this.stdinCalls.push(["send", pid, data]),
    closeStdin: async (pid: number) => void this.stdinCalls.push(["close", pid]),
  };
  kill = vi.fn(async () => true);
  pause = vi.fn(async () => true);
  readonly sandboxId: string;
  constructor(sandboxId: string) {
    this.sandboxId = sandboxId;
  }
}

const log = { info: vi.fn(), warn: vi.fn(), error: vi.fn(), debug: vi.fn() };

function provider(extra: { allowOut?: string[] } = {}) {
  return createE2bProvider({
    apiKey: "e2b_test",
    template: "claude-sandbox-bot",
    SandboxClass: FakeSandbox as unknown as typeof E2bSandbox,
    log,
    ...extra,
  });
}

async function sandbox() {
  const sbx = await provider().create({ metadata: { job: "1" }, timeoutMs: 60_000 });
  const fake = FakeSandbox.last;
  if (!fake) throw new Error("no fake sandbox");
  return { sbx, fake };
}

afterEach(() => {
  FakeSandbox.reset();
  vi.clearAllMocks();
});

describe("shellQuote / toShellCommand", () => {
  it("single-quotes every argument and escapes single quotes", () => {
    expect(shellQuote("a b")).toBe("'a b'");
    expect(shellQuote("it's")).toBe(`'it'\\''s'`);
    expect(shellQuote("")).toBe("''");
    expect(toShellCommand(["cat"], "/tmp/in put")).toBe("exec 'cat' < '/tmp/in put'");
  });

  it.each(["sh", "bash"] as const)("round-trips hostile arguments through a real %s", (sh) => {
    const line = toShellCommand(["printf", "%s\\0", ...NASTY_ARGS]);
    const result = shell(sh, line);
    expect(result.status).toBe(0);
    expect(result.stdout.split("\0").slice(0, -1)).toEqual(NASTY_ARGS);
  });

  it("feeds stdin from a file whose name needs quoting", () => {
    const file = join(mkdtempSync(join(tmpdir(), "e2b-quote-")), "it's a $(file)");
    writeFileSync(file, "from the file\n");
    expect(shell("sh", toShellCommand(["cat"], file)).stdout).toBe("from the file\n");
  });

  it("rejects what a shell cannot carry", () => {
    expect(() => toShellCommand([])).toThrow(/empty argv/);
    expect(() => shellQuote("a\0b")).toThrow(/NUL/);
  });
});

describe("createE2bProvider", () => {
  it("creates from the template with envs, metadata, timeout and pause-on-timeout", async () => {
    const sbx = await provider().create({ metadata: { job: "42" }, envs: { CI: "1" }, timeoutMs: 900_000 });
    expect(FakeSandbox.creates).toEqual([
      {
        template: "claude-sandbox-bot",
        opts: {
          apiKey: "e2b_test",
          metadata: { job: "42", app: "claude-sandbox-bot" },
          envs: { CI: "1" },
          timeoutMs: 900_000,
          lifecycle: { onTimeout: "pause" },
        },
      },
    ]);
    expect(sbx).toMatchObject({ id: "sbx-123", provider: "e2b", workdir: E2B_WORKDIR, homeDir: E2B_HOME });
    expect(FakeSandbox.last?.files.madeDirs).toEqual([E2B_WORKDIR]);
  });

  it("turns allowOut into an allow-list by denying all other traffic", async () => {
    await provider({ allowOut: ["api.anthropic.com", "github.com"] }).create({ metadata: {}, timeoutMs: 1000 });
    expect(FakeSandbox.creates[0]?.opts).toMatchObject({
      network: { allowOut: ["api.anthropic.com", "github.com"], denyOut: [ALL_TRAFFIC] },
    });
  });

  it.each([
    [new AuthenticationError("Unauthorized"), /E2B rejected the API key: check E2B_API_KEY/],
    [new RateLimitError("Rate limit exceeded"), /E2B rate limit hit .*retry later/],
    [Object.assign(new SandboxError("404: template 'claude-sandbox-bot' not found"), { statusCode: 404 }),
      /E2B template 'claude-sandbox-bot' not found: build it with npm run template:build or set E2B_TEMPLATE/],
    [new Error("socket hang up"), /E2B could not create a sandbox from template 'claude-sandbox-bot': socket hang up/],
  ])("explains create errors: %s", async (error, message) => {
    FakeSandbox.createError = error;
    const failure = provider().create({ metadata: {}, timeoutMs: 1000 });
    await expect(failure).rejects.toThrow(message);
    await expect(failure).rejects.toMatchObject({ cause: error });
  });

  it("connects (resumes) by id with the API key and a new lifetime, and pauses", async () => {
    const sbx = await provider().connect("sbx-paused", 600_000);
    expect(FakeSandbox.connects).toEqual([{ id: "sbx-paused", opts: { apiKey: "e2b_test", timeoutMs: 600_000 } }]);
    expect(sbx?.id).toBe("sbx-paused");
    await sbx!.pause();
    expect(FakeSandbox.last?.pause).toHaveBeenCalledTimes(1);
  });

  it("answers null for a sandbox that is gone, and explains other connect errors", async () => {
    FakeSandbox.connectError = new SandboxNotFoundError("sandbox sbx-old not found");
    await expect(provider().connect("sbx-old", 1000)).resolves.toBeNull();
    FakeSandbox.connectError = new RateLimitError("slow down");
    await expect(provider().connect("sbx-old", 1000)).rejects.toThrow(/E2B rate limit hit while trying to connect to sandbox sbx-old/);
  });

  it("lists our sandboxes by metadata across pages, and kills by id", async () => {
    const startedAt = new Date("2026-11-01T00:00:00Z");
    FakeSandbox.listed = [
      { sandboxId: "a", state: "running", startedAt, metadata: { app: "claude-sandbox-bot", thread: "o/r#1" } },
      { sandboxId: "b", state: "paused", startedAt, metadata: { app: "claude-sandbox-bot", thread: "o/r#2" } },
    ];
    const p = provider();
    expect(await p.list()).toEqual([
      { id: "a", state: "running", startedAt, metadata: { app: "claude-sandbox-bot", thread: "o/r#1" } },
      { id: "b", state: "paused", startedAt, metadata: { app: "claude-sandbox-bot", thread: "o/r#2" } },
    ]);
    expect(FakeSandbox.listOpts[0]).toMatchObject({ apiKey: "e2b_test", query: { metadata: { app: "claude-sandbox-bot" }, state: ["running", "paused"] } });
    await p.killById("b");
    expect(FakeSandbox.killed).toEqual([{ id: "b", opts: { apiKey: "e2b_test" } }]);
  });

  it("kills the new sandbox when the workdir cannot be made", async () => {
    FakeSandbox.makeDirError = new SandboxError("read-only file system");
    await expect(provider().create({ metadata: {}, timeoutMs: 1000 })).rejects.toThrow(/could not be created: read-only/);
    expect(FakeSandbox.last?.kill).toHaveBeenCalledTimes(1);
  });
});

describe("e2b sandbox run", () => {
  it("sends the quoted shell line with cwd, envs and streaming callbacks", async () => {
    const { sbx, fake } = await sandbox();
    FakeSandbox.behaviour = (h) => {
      h.out("one ");
      h.out("two");
      h.err("warn");
      h.exit(0);
    };
    const chunks: string[] = [];
    const errs: string[] = [];
    const result = await sbx.run(["git", "status"], {
      env: { GH_TOKEN: "t" },
      cwd: "/tmp",
      onStdout: (c) => chunks.push(c),
      onStderr: (c) => errs.push(c),
    });
    expect(result).toEqual({ exitCode: 0, stdout: "one two", stderr: "warn" });
    expect(chunks).toEqual(["one ", "two"]);
    expect(errs).toEqual(["warn"]);
    expect(fake.runs[0]?.cmd).toBe("exec 'git' 'status'");
    expect(fake.runs[0]?.opts).toMatchObject({ background: true, cwd: "/tmp", envs: { GH_TOKEN: "t" } });
  });

  it("runs in the workdir by default", async () => {
    const { sbx, fake } = await sandbox();
    await sbx.run(["true"]);
    expect(fake.runs[0]?.opts.cwd).toBe(E2B_WORKDIR);
  });

  it("delivers hostile arguments exactly quoted, and a real shell gets them back", async () => {
    const { sbx, fake } = await sandbox();
    // The fake executes what it receives with a real sh, as E2B would with bash.
    FakeSandbox.behaviour = (h, cmd) => {
      const r = shell("sh", cmd);
      h.out(r.stdout);
      h.exit(r.status ?? 1);
    };
    const result = await sbx.run(["printf", "%s\\0", ...NASTY_ARGS]);
    expect(fake.runs[0]?.cmd).toBe(
      `exec 'printf' '%s\\0' 'plain' 'with space' 'it'\\''s' '"double"' '$(touch /tmp/pwned)' '\`id\`' 'a\nb' '' '*' '$HOME' '\\' ''\\'''\\'''`,
    );
    expect(result.stdout.split("\0").slice(0, -1)).toEqual(NASTY_ARGS);
  });

  it("redirects stdin from stdinFile", async () => {
    const { sbx, fake } = await sandbox();
    await sbx.run(["claude", "-p"], { stdinFile: "/home/user/prompt's.md" });
    expect(fake.runs[0]?.cmd).toBe(`exec 'claude' '-p' < '/home/user/prompt'\\''s.md'`);
  });

  it("keeps stdin open with onStdin: the command starts with stdin, writes go to its pid, end closes it once", async () => {
    const { sbx, fake } = await sandbox();
    let release!: () => void;
    FakeSandbox.behaviour = (h) => void new Promise<void>((r) => (release = r)).then(() => h.exit(0));
    const done = sbx.run(["claude", "-p"], {
      onStdin: (stdin) => {
        void stdin
          .write("line 1\n")
          .then(() => stdin.write("line 2\n"))
          .then(() => stdin.end())
          .then(() => stdin.end())
          .then(() => stdin.write("late\n"))
          .then(release);
      },
    });
    await done;
    expect(fake.runs[0]?.cmd).toBe("exec 'claude' '-p'");
    expect(fake.runs[0]?.opts).toMatchObject({ background: true, stdin: true });
    expect(fake.stdinCalls).toEqual([
      ["send", 4242, "line 1\n"],
      ["send", 4242, "line 2\n"],
      ["close", 4242],
    ]);
  });

  it("refuses an open stdin on an envd that cannot close it (the CLI would never see EOF)", async () => {
    const { sbx, fake } = await sandbox();
    Object.assign(fake.commands, { supportsStdinClose: false });
    await expect(sbx.run(["claude", "-p"], { onStdin: () => {} })).rejects.toThrow(/cannot close a command's stdin.*rebuild the template/);
    expect(fake.runs).toEqual([]);
    // A command without it still runs there.
    await sbx.run(["true"]);
    expect(fake.runs).toHaveLength(1);
  });

  it("starts a command without stdin unless asked", async () => {
    const { sbx, fake } = await sandbox();
    await sbx.run(["true"]);
    expect(fake.runs[0]?.opts).not.toHaveProperty("stdin");
  });

  it("resolves a non-zero exit (CommandExitError) with its exit code and output", async () => {
    const { sbx } = await sandbox();
    FakeSandbox.behaviour = (h) => {
      h.out("partial");
      h.err("fatal: not a git repository");
      h.exit(128);
    };
    await expect(sbx.run(["git", "log"])).resolves.toEqual({
      exitCode: 128,
      stdout: "partial",
      stderr: "fatal: not a git repository",
    });
  });

  it.each([
    [undefined, 0],
    [0, 0],
    [5000, 5000],
  ])("passes timeoutMs %s to the SDK as %s (0 = none, not the SDK's 60 s)", async (ours, sdk) => {
    const { sbx, fake } = await sandbox();
    await sbx.run(["true"], ours === undefined ? {} : { timeoutMs: ours });
    expect(fake.runs[0]?.opts.timeoutMs).toBe(sdk);
  });

  it("kills a command that hit its timeout and resolves with 124", async () => {
    const { sbx, fake } = await sandbox();
    FakeSandbox.behaviour = (h) => {
      h.out("started");
      setTimeout(() => h.fail(new TimeoutError("[deadline_exceeded] timeout")), 30);
    };
    const result = await sbx.run(["sleep", "100"], { timeoutMs: 10 });
    expect(result.exitCode).toBe(TIMED_OUT_EXIT_CODE);
    expect(result.stdout).toBe("started");
    expect(result.stderr).toMatch(/timed out after 10 ms/);
    expect(fake.runs[0]?.handle.killed).toBe(true);
  });

  it("rethrows a TimeoutError that is not the command's own timeout (the sandbox died)", async () => {
    const { sbx } = await sandbox();
    FakeSandbox.behaviour = (h) => h.fail(new TimeoutError("sandbox timeout"));
    await expect(sbx.run(["sleep", "1"])).rejects.toBeInstanceOf(TimeoutError);
  });

  it("kills the command on abort and resolves with a non-zero exit code", async () => {
    const { sbx, fake } = await sandbox();
    FakeSandbox.behaviour = (h) => h.out("working"); // never ends on its own
    const controller = new AbortController();
    const running = sbx.run(["claude", "-p"], { signal: controller.signal });
    await vi.waitFor(() => expect(fake.runs).toHaveLength(1));
    controller.abort();
    const result = await running;
    expect(result.exitCode).toBe(ABORTED_EXIT_CODE);
    expect(result.stdout).toBe("working");
    expect(result.stderr).toMatch(/canceled/);
    expect(fake.runs[0]?.handle.killed).toBe(true);
  });

  it("still settles when the kill itself fails", async () => {
    const { sbx, fake } = await sandbox();
    FakeSandbox.behaviour = (h) => {
      h.kill = async () => {
        throw new Error("sandbox unreachable");
      };
      h.disconnect = async () => h.fail(new Error("disconnected"));
    };
    const controller = new AbortController();
    const running = sbx.run(["sleep", "100"], { signal: controller.signal });
    await vi.waitFor(() => expect(fake.runs).toHaveLength(1));
    controller.abort();
    await expect(running).resolves.toMatchObject({ exitCode: ABORTED_EXIT_CODE });
    expect(log.warn).toHaveBeenCalled();
  });

  it("does not start a command whose signal is already aborted", async () => {
    const { sbx, fake } = await sandbox();
    const result = await sbx.run(["true"], { signal: AbortSignal.abort() });
    expect(result.exitCode).toBe(ABORTED_EXIT_CODE);
    expect(fake.runs).toHaveLength(0);
  });
});

describe("e2b sandbox files and kill", () => {
  it("writes and reads files, and reads a missing file as null", async () => {
    const { sbx } = await sandbox();
    await sbx.writeFile("/home/user/prompt.md", "hello");
    await expect(sbx.readFile("/home/user/prompt.md")).resolves.toBe("hello");
    await expect(sbx.readFile("/home/user/missing")).resolves.toBeNull();
  });

  it("moves bytes both ways (git bundles): a Uint8Array goes in as an ArrayBuffer, readBytes asks for bytes", async () => {
    const { sbx, fake } = await sandbox();
    const bytes = new Uint8Array([0, 1, 2, 250, 255]);
    // A view into a larger buffer: only the view's bytes may be written.
    const view = new Uint8Array(new Uint8Array([9, 9, ...bytes, 9]).buffer, 2, bytes.length);
    await sbx.writeFile("/home/user/x.bundle", view);
    expect(fake.files.store.get("/home/user/x.bundle")).toBeInstanceOf(ArrayBuffer);
    await expect(sbx.readBytes("/home/user/x.bundle")).resolves.toEqual(bytes);
    await expect(sbx.readBytes("/home/user/missing.bundle")).resolves.toBeNull();
  });

  it("rethrows read errors other than not-found", async () => {
    const { sbx, fake } = await sandbox();
    fake.files.read = async () => {
      throw new SandboxError("permission denied");
    };
    await expect(sbx.readFile("/root/x")).rejects.toThrow(/permission denied/);
  });

  it("kills the sandbox and never throws", async () => {
    const { sbx, fake } = await sandbox();
    await sbx.kill();
    expect(fake.kill).toHaveBeenCalledTimes(1);
    fake.kill.mockRejectedValueOnce(new Error("network down"));
    await expect(sbx.kill()).resolves.toBeUndefined();
    expect(log.warn).toHaveBeenCalledWith(expect.objectContaining({ sandboxId: "sbx-123" }), expect.any(String));
  });
});
