import { readdirSync, readFileSync } from "node:fs";

/** Reading a process's memory and CPU from /proc (Linux). */

const CLK_TCK = 100;

function statusField(pid: number, field: string): number | null {
  try {
    const m = readFileSync(`/proc/${pid}/status`, "utf8").match(new RegExp(`^${field}:\\s+(\\d+) kB`, "m"));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

/** VmRSS of one process (not its children), in MiB; null once it is gone. */
export function rssMiB(pid: number): number | null {
  const kb = statusField(pid, "VmRSS");
  return kb === null ? null : kb / 1024;
}

/** Proportional set size (shared pages divided among the processes sharing them), in MiB. */
export function pssMiB(pid: number): number | null {
  try {
    const m = readFileSync(`/proc/${pid}/smaps_rollup`, "utf8").match(/^Pss:\s+(\d+) kB/m);
    return m ? Number(m[1]) / 1024 : null;
  } catch {
    return null;
  }
}

interface Stat {
  pid: number;
  ppid: number;
  comm: string;
  cpuTicks: number;
}

function readStat(pid: number): Stat | null {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, "utf8");
    // comm is in parentheses and may contain spaces: split after the last ')'.
    const close = text.lastIndexOf(")");
    const comm = text.slice(text.indexOf("(") + 1, close);
    const rest = text.slice(close + 2).split(" ");
    // rest[0] is field 3 (state); ppid is field 4, utime 14, stime 15.
    return { pid, ppid: Number(rest[1]), comm, cpuTicks: Number(rest[11]) + Number(rest[12]) };
  } catch {
    return null;
  }
}

/** CPU time (user + system) the process itself has used, in ms. */
export function cpuMs(pid: number): number {
  return ((readStat(pid)?.cpuTicks ?? 0) * 1000) / CLK_TCK;
}

/** Every live descendant of pid (children, grandchildren, …), with its command name. */
export function descendants(pid: number): Array<{ pid: number; comm: string }> {
  const all: Stat[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const s = readStat(Number(entry));
    if (s) all.push(s);
  }
  const byParent = new Map<number, Stat[]>();
  for (const s of all) byParent.set(s.ppid, [...(byParent.get(s.ppid) ?? []), s]);
  const out: Array<{ pid: number; comm: string }> = [];
  const queue = [pid];
  while (queue.length > 0) {
    const p = queue.shift()!;
    for (const child of byParent.get(p) ?? []) {
      out.push({ pid: child.pid, comm: child.comm });
      queue.push(child.pid);
    }
  }
  return out;
}

/**
 * CPU used by processes outside this process's tree (other users of the machine), sampled once
 * a second: the noise under a figure. Short-lived foreign processes between samples are missed.
 */
export function startForeignCpuMonitor(intervalMs = 1000): { stop(): { meanCores: number; maxCores: number; stolenCores: number } } {
  const last = new Map<number, number>();
  const steal0 = stealTicks();
  const started = performance.now();
  const samples: number[] = [];
  let lastAt = performance.now();
  const sample = (record: boolean) => {
    const own = new Set([process.pid, ...descendants(process.pid).map((d) => d.pid)]);
    let ticks = 0;
    for (const entry of readdirSync("/proc")) {
      if (!/^\d+$/.test(entry)) continue;
      const pid = Number(entry);
      const s = readStat(pid);
      if (!s) continue;
      const before = last.get(pid);
      last.set(pid, s.cpuTicks);
      if (own.has(pid) || before === undefined) continue;
      ticks += s.cpuTicks - before;
    }
    const now = performance.now();
    if (record) samples.push((ticks * 1000) / CLK_TCK / (now - lastAt));
    lastAt = now;
  };
  sample(false);
  const timer = setInterval(() => sample(true), intervalMs);
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
      return {
        meanCores: samples.length ? samples.reduce((a, b) => a + b, 0) / samples.length : 0,
        maxCores: samples.length ? Math.max(...samples) : 0,
        stolenCores: ((stealTicks() - steal0) * 1000) / CLK_TCK / (performance.now() - started),
      };
    },
  };
}

/** CPU time the hypervisor gave to other guests while this VM wanted it (/proc/stat "steal"), in ticks. */
function stealTicks(): number {
  try {
    const cpu = readFileSync("/proc/stat", "utf8").split("\n")[0]!.trim().split(/\s+/);
    return Number(cpu[8] ?? 0);
  } catch {
    return 0;
  }
}
