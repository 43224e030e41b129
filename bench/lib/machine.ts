import { execFileSync } from "node:child_process";
import { cpus, loadavg, totalmem } from "node:os";
import { CLAUDE_BIN } from "../../test/support/start-bot.ts";

/** What the figures were measured on. */
export function machineInfo() {
  const run = (cmd: string, args: string[]) => {
    try {
      return execFileSync(cmd, args, { encoding: "utf8" }).trim();
    } catch {
      return "unknown";
    }
  };
  return {
    nproc: Number(run("nproc", [])),
    cpuModel: cpus()[0]?.model ?? "unknown",
    memoryGiB: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
    free: run("free", ["-h"]),
    kernel: run("uname", ["-r"]),
    node: process.version,
    claudeCli: run(CLAUDE_BIN, ["--version"]),
    git: run("git", ["--version"]),
    loadAverageAtStart: loadavg().map((l) => Math.round(l * 100) / 100),
  };
}
