import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { CommandExitError, FileNotFoundError, NotFoundError, SandboxError, SandboxNotFoundError } from "e2b";
import type { CommandConnectOpts, CommandStartOpts } from "e2b";

/**
 * The e2b SDK's Sandbox class as far as the provider uses it for commands across a pause, with
 * real processes behind it: a sandbox is a temp directory standing in for /home/user, a command
 * is `bash -c` on this machine. It keeps the rules of E2B that a warm Claude depends on (the SDK's
 * d.ts and E2B's docs, sandbox/persistence): a pause freezes every process and drops every open
 * connection (a handle still streaming then fails; one the caller disconnected does not);
 * nothing can be asked of a paused sandbox until Sandbox.connect resumes it, which gives a new
 * object; Commands.connect(pid) follows a running process from that object, and a process that
 * is gone is a NotFoundError; Commands.list() names the running ones with their envs; a background command's stdin is open only with `stdin: true`;
 * disconnect() stops the events and the process runs on.
 */

const HOME = "/home/user";

interface Proc {
  child: ChildProcess;
  cmd: string;
  envs: Record<string, string>;
  exit: Promise<{ exitCode: number }>;
  alive: boolean;
  handles: Set<FakeHandle>;
  withStdin: boolean;
}

interface Vm {
  id: string;
  root: string;
  state: "running" | "paused";
  procs: Map<number, Proc>;
}

const vms = new Map<string, Vm>();
let nextId = 1;

class FakeHandle {
  readonly pid: number;
  private disconnected = false;
  private dropped = false;
  private stdout = "";
  private stderr = "";
  private readonly proc: Proc;
  private readonly opts: Pick<CommandStartOpts, "onStdout" | "onStderr">;
  private readonly ended: Promise<void>;
  private dropStream: () => void = () => {};
  constructor(proc: Proc, opts: Pick<CommandStartOpts, "onStdout" | "onStderr">) {
    this.proc = proc;
    this.pid = proc.child.pid ?? -1;
    this.opts = opts;
    proc.handles.add(this);
    this.ended = new Promise<void>((resolve) => (this.dropStream = resolve));
  }
  deliver(kind: "out" | "err", chunk: string): void {
    if (this.disconnected || this.dropped) return;
    if (kind === "out") {
      this.stdout += chunk;
      void this.opts.onStdout?.(chunk);
    } else {
      this.stderr += chunk;
      void this.opts.onStderr?.(chunk);
    }
  }
  /** The pause drops the connection under the stream. */
  drop(): void {
    this.dropped = true;
    this.proc.handles.delete(this);
    this.dropStream();
  }
  async wait() {
    const outcome = await Promise.race([this.proc.exit, this.ended.then(() => null)]);
    if (this.disconnected) throw new SandboxError("canceled: the stream was closed by the client");
    if (!outcome) throw new SandboxError("terminated: the connection to the sandbox was lost");
    const result = { exitCode: outcome.exitCode, stdout: this.stdout, stderr: this.stderr };
    if (outcome.exitCode !== 0) throw new CommandExitError({ ...result, error: `exit status ${outcome.exitCode}` });
    return result;
  }
  async kill(): Promise<boolean> {
    if (!this.proc.alive) return false;
    killGroup(this.proc.child, "SIGKILL");
    return true;
  }
  async disconnect(): Promise<void> {
    this.disconnected = true;
    this.proc.handles.delete(this);
    this.dropStream();
  }
}

/** The process's state letter from /proc ("T": stopped); null when it is gone. */
function stateOf(pid: number): string | null {
  try {
    return readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.[0] ?? null;
  } catch {
    return null;
  }
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    process.kill(-(child.pid ?? 0), signal);
  } catch {
    // already gone
  }
}

export class FakeE2bSandbox {
  readonly sandboxId: string;
  private readonly vm: Vm;

  static async create(_template: string, _opts: unknown): Promise<FakeE2bSandbox> {
    const id = `fake-e2b-${process.pid}-${nextId++}`;
    const root = mkdtempSync(join(tmpdir(), "fake-e2b-"));
    mkdirSync(join(root, "repo"), { recursive: true });
    vms.set(id, { id, root, state: "running", procs: new Map() });
    return new FakeE2bSandbox(id);
  }

  /** Resumes a paused sandbox (its processes go on) and gives a new object for it. */
  static async connect(id: string, _opts: unknown): Promise<FakeE2bSandbox> {
    const vm = vms.get(id);
    if (!vm) throw new SandboxNotFoundError(`sandbox ${id} not found`);
    if (vm.state === "paused") for (const p of vm.procs.values()) if (p.alive) killGroup(p.child, "SIGCONT");
    vm.state = "running";
    return new FakeE2bSandbox(id);
  }

  /** Every sandbox this process made, killed, with its directory (afterAll). */
  static async killAll(): Promise<void> {
    for (const id of [...vms.keys()]) await new FakeE2bSandbox(id).kill();
  }

  /** A sandbox's real processes (pid → alive), for assertions. */
  static processes(id: string): Map<number, boolean> {
    return new Map([...(vms.get(id)?.procs ?? new Map<number, Proc>())].map(([pid, p]) => [pid, p.alive]));
  }

  private constructor(id: string) {
    this.sandboxId = id;
    const vm = vms.get(id);
    if (!vm) throw new SandboxNotFoundError(`sandbox ${id} not found`);
    this.vm = vm;
  }

  private running(): Vm {
    if (this.vm.state === "paused") throw new SandboxError(`sandbox ${this.sandboxId} is paused: connect to it to resume it`);
    if (!vms.has(this.sandboxId)) throw new SandboxNotFoundError(`sandbox ${this.sandboxId} not found`);
    return this.vm;
  }

  private local(path: string): string {
    if (!path.startsWith(HOME)) throw new SandboxError(`this fake keeps files under ${HOME} only: ${path}`);
    return join(this.vm.root, path.slice(HOME.length));
  }

  files = {
    write: async (path: string, data: string | ArrayBuffer) => {
      this.running();
      mkdirSync(dirname(this.local(path)), { recursive: true });
      writeFileSync(this.local(path), typeof data === "string" ? data : Buffer.from(data));
    },
    read: async (path: string) => {
      this.running();
      try {
        return readFileSync(this.local(path), "utf8");
      } catch {
        throw new FileNotFoundError(`path '${path}' does not exist`);
      }
    },
    makeDir: async (path: string) => {
      this.running();
      mkdirSync(this.local(path), { recursive: true });
      return true;
    },
  };

  commands = {
    supportsStdinClose: true,
    run: async (cmd: string, opts: CommandStartOpts & { background?: boolean; stdin?: boolean; cwd?: string; envs?: Record<string, string> }) => {
      const vm = this.running();
      // The sandbox's /home/user is the VM's directory, in the command line and the environment too.
      const inVm = (text: string) => text.split(HOME).join(vm.root);
      const envs = Object.fromEntries(Object.entries(opts.envs ?? {}).map(([k, v]) => [k, inVm(v)]));
      const child = spawn("bash", ["-c", inVm(cmd)], {
        cwd: this.local(opts.cwd ?? `${HOME}/repo`),
        env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: vm.root, ...envs },
        stdio: [opts.stdin ? "pipe" : "ignore", "pipe", "pipe"],
        detached: true,
      });
      const proc: Proc = { child, cmd, envs: { ...opts.envs }, alive: true, handles: new Set(), withStdin: opts.stdin === true, exit: Promise.resolve({ exitCode: -1 }) };
      proc.exit = new Promise((resolve) => child.on("close", (code, signal) => ((proc.alive = false), resolve({ exitCode: signal ? -1 : (code ?? -1) }))));
      child.stdout?.setEncoding("utf8").on("data", (c: string) => proc.handles.forEach((h) => h.deliver("out", c)));
      child.stderr?.setEncoding("utf8").on("data", (c: string) => proc.handles.forEach((h) => h.deliver("err", c)));
      await new Promise<void>((resolve, reject) => child.once("spawn", resolve).once("error", reject));
      vm.procs.set(child.pid ?? -1, proc);
      const handle = new FakeHandle(proc, opts);
      return opts.background ? handle : handle.wait();
    },
    /** Like envd: the commands it started that still run, with the environment they were given. */
    list: async () => {
      const vm = this.running();
      return [...vm.procs].filter(([, p]) => p.alive).map(([pid, p]) => ({ pid, cmd: "/bin/bash", args: ["-l", "-c", p.cmd], envs: p.envs, cwd: undefined }));
    },
    connect: async (pid: number, opts: CommandConnectOpts) => {
      const proc = this.running().procs.get(pid);
      if (!proc?.alive) throw new NotFoundError(`process with pid ${pid} not found`);
      return new FakeHandle(proc, opts);
    },
    sendStdin: async (pid: number, data: string) => {
      const proc = this.running().procs.get(pid);
      if (!proc?.alive) throw new NotFoundError(`process with pid ${pid} not found`);
      if (!proc.withStdin || !proc.child.stdin) throw new SandboxError(`process ${pid} was not started with stdin`);
      proc.child.stdin.write(data);
    },
    closeStdin: async (pid: number) => {
      const proc = this.running().procs.get(pid);
      if (!proc?.alive) throw new NotFoundError(`process with pid ${pid} not found`);
      proc.child.stdin?.end();
    },
  };

  /** Freezes the processes and drops every open connection; resolves once they are stopped, as E2B's pause returns once the VM is. */
  async pause(): Promise<boolean> {
    const vm = this.running();
    for (const p of vm.procs.values()) {
      for (const h of [...p.handles]) h.drop();
      if (p.alive) killGroup(p.child, "SIGSTOP");
    }
    vm.state = "paused";
    for (const [pid, p] of vm.procs) while (p.alive && stateOf(pid) !== "T") await new Promise((r) => setTimeout(r, 5));
    return true;
  }

  async kill(): Promise<boolean> {
    const vm = vms.get(this.sandboxId);
    if (!vm) return false;
    vms.delete(this.sandboxId);
    for (const p of vm.procs.values()) {
      if (!p.alive) continue;
      killGroup(p.child, "SIGKILL");
      killGroup(p.child, "SIGCONT");
      await p.exit;
    }
    rmSync(vm.root, { recursive: true, force: true });
    return true;
  }
}
