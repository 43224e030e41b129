/**
 * Ending everything a command started, not just the command. Claude Code's Bash tool starts each
 * command in a session of its own (seen with 2.1.330: a `nohup sleep &` had its own pgid and sid,
 * and survived a kill of Claude's process group), so neither E2B's one-process kill nor a group
 * kill reaches a dev server or a watcher the agent left. What they do keep is the environment: every
 * command we run carries a mark of its own (PROCESS_MARK_VAR), and the sweep kills every process
 * that carries it, and the process group of each one that leads a group. A process that scrubs its
 * environment and leaves its group escapes; the sandbox's pause/kill is the last line there.
 */
import { createHash, randomUUID } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";

export const PROCESS_MARK_VAR = "CLAUDE_SANDBOX_BOT_PROCESS";
/**
 * A second mark, the same for every Claude process kept in one sandbox (warm-claude.ts): what a
 * later run there sweeps when it does not take the kept one up — one a bot process lost track of
 * (a restart, a drop while the sandbox was paused) is frozen in it, never gone.
 */
export const WARM_MARK_VAR = "CLAUDE_SANDBOX_BOT_WARM";

export function newProcessMark(): string {
  return randomUUID();
}

/** The sandbox's warm mark: derived from its id, so any bot process finds it again. */
export function sandboxMark(sandboxId: string): string {
  const h = createHash("sha256").update(`warm:${sandboxId}`).digest("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/**
 * The sweep as a bash script for a Linux sandbox (E2B): argv `bash -c SCRIPT sweep MARK [VAR]`
 * (VAR: which mark, PROCESS_MARK_VAR by default). Reads /proc only (no procps needed); never
 * signals itself; prints how many processes it signalled.
 */
export const SWEEP_SCRIPT = [
  'want="${2:-' + PROCESS_MARK_VAR + '}=$1"; n=0',
  "for d in /proc/[0-9]*; do",
  '  p="${d#/proc/}"; [ "$p" = "$$" ] && continue',
  '  { tr "\\0" "\\n" < "$d/environ"; } 2>/dev/null | grep -qxF -- "$want" || continue',
  '  stat="$(cat "$d/stat" 2>/dev/null)" || continue; rest="${stat##*) }"; set -- $rest',
  '  [ "$3" = "$p" ] && kill -KILL -- "-$p" 2>/dev/null',
  '  kill -KILL "$p" 2>/dev/null && n=$((n+1))',
  "done",
  'echo "$n"',
].join("\n");

export function sweepCommand(mark: string, variable: typeof PROCESS_MARK_VAR | typeof WARM_MARK_VAR = PROCESS_MARK_VAR): string[] {
  if (!/^[0-9a-f-]{36}$/.test(mark)) throw new Error(`not a process mark: ${mark}`);
  return ["bash", "-c", SWEEP_SCRIPT, "sweep", mark, variable];
}

/** The same sweep on this machine (the local provider); a no-op where there is no /proc. Returns how many were signalled. */
export function sweepLocal(mark: string, signal: NodeJS.Signals, procRoot = "/proc"): number {
  let entries: string[];
  try {
    entries = readdirSync(procRoot).filter((e) => /^\d+$/.test(e));
  } catch {
    return 0;
  }
  const want = `${PROCESS_MARK_VAR}=${mark}`;
  let signalled = 0;
  for (const entry of entries) {
    const pid = Number(entry);
    if (pid === process.pid) continue;
    try {
      if (!readFileSync(`${procRoot}/${entry}/environ`, "utf8").split("\0").includes(want)) continue;
      const fields = readFileSync(`${procRoot}/${entry}/stat`, "utf8").split(") ").at(-1)!.split(" ");
      if (Number(fields[2]) === pid) tryKill(-pid, signal);
      if (tryKill(pid, signal)) signalled += 1;
    } catch {
      // gone, or not ours to read
    }
  }
  return signalled;
}

function tryKill(pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(pid, signal);
    return true;
  } catch {
    return false;
  }
}
