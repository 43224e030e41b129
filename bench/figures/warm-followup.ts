import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CLAUDE_BIN } from "../../test/support/start-bot.ts";
import { waitFor } from "../../test/support/wait-for.ts";
import { postDelivery, prepareDelivery } from "../lib/load.ts";
import { progress, sleep } from "../lib/log.ts";
import { FOLLOW_UP_WORD, threadScript } from "../lib/scripts.ts";
import { latency, type Latency } from "../lib/stats.ts";
import { waitForReport } from "../lib/threads.ts";
import { startBenchWorld, WRITE_USER, type BenchWorld } from "../lib/world.ts";

/**
 * Figure 4b: follow-up with a warm Claude (issue 19, WARM_CLAUDE=on). One bot, two threads whose
 * first run opened a PR; a follow-up mention in each, measured from just before its POST to the
 * fake model receiving that run's first agent request. Warm: the thread's Claude is still running
 * in the paused sandbox and gets the prompt on its stdin. Live (the baseline, same bot, same
 * run): that thread's kept process is killed before each mention, so the run falls back to a new
 * CLI with --resume in the live sandbox, as with WARM_CLAUDE=off. The report's session path is
 * checked for each sample.
 */

export interface WarmFollowUpResult {
  warm: { toFirstRequest: Latency; samples: number[] };
  live: { toFirstRequest: Latency; samples: number[] };
  /** CLI starts during the warm thread's follow-ups (0: each was served by the kept process). */
  warmExecs: number;
}

/** CLAUDE_COMMAND: logs time, PID (exec keeps it: the CLI's) and checkout, then execs the CLI. */
function wrapper(dir: string): { command: string; execs: () => Array<{ at: number; pid: number; cwd: string }> } {
  const log = join(dir, "claude-exec.log");
  writeFileSync(log, "");
  const command = join(dir, "claude-timed.sh");
  writeFileSync(command, `#!/bin/sh\necho "$(date +%s%3N) $$ $PWD" >> '${log}'\nexec '${CLAUDE_BIN}' "$@"\n`);
  chmodSync(command, 0o755);
  const execs = () =>
    readFileSync(log, "utf8")
      .split("\n")
      .filter(Boolean)
      .map((line) => {
        const [at, pid, ...cwd] = line.split(" ");
        return { at: Number(at), pid: Number(pid), cwd: cwd.join(" ") };
      });
  return { command, execs };
}

async function mention(w: BenchWorld, bot: { webhookUrl: string; secret: string }, issue: number | { title: string; body: string; user: string }, text: string) {
  const ev = w.hooks.issueCommentCreated({ repo: w.repo, issue, comment: { body: `${w.trigger} ${text}`, user: WRITE_USER } });
  const sentAt = Date.now();
  const status = await postDelivery(bot.webhookUrl, prepareDelivery(ev, bot.secret));
  if (status !== 200) throw new Error(`mention answered ${status}`);
  return { issue: ev.payload.issue.number, sentAt };
}

function killAll(pids: number[]): void {
  for (const pid of pids) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
}

export async function measureWarmFollowUp(o: { reps: number }): Promise<WarmFollowUpResult> {
  const w = await startBenchWorld(threadScript);
  const dir = mkdtempSync(join(tmpdir(), "csb-warm-"));
  const { command, execs } = wrapper(dir);
  try {
    const bot = await w.startBot({ CLAUDE_COMMAND: command, LOCAL_SANDBOX_ROOT: join(dir, "sandboxes"), WARM_CLAUDE: "on" });
    const warmThread = await mention(w, bot, { title: "Warm thread", body: "Add the bench file.", user: WRITE_USER }, "add BENCH.md");
    await waitForReport(w, warmThread.issue, 1);
    const warmCwd = execs().at(-1)!.cwd;
    const liveThread = await mention(w, bot, { title: "Live thread", body: "Add the bench file.", user: WRITE_USER }, "add BENCH.md");
    await waitForReport(w, liveThread.issue, 1);
    const liveCwd = execs().at(-1)!.cwd;
    const firstAgentAfter = (t: number) => waitFor("the run's first agent request", () => w.model.requests.find((r) => r.kind === "agent" && r.receivedAt >= t)?.receivedAt, 120_000, 2);
    const samples = { warm: [] as number[], live: [] as number[] };
    let warmExecs = 0;
    for (let rep = 0; rep < o.reps; rep++) {
      for (const which of rep % 2 === 0 ? (["warm", "live"] as const) : (["live", "warm"] as const)) {
        await sleep(500);
        const thread = which === "warm" ? warmThread : liveThread;
        if (which === "live") killAll(execs().filter((e) => e.cwd === liveCwd).map((e) => e.pid));
        if (which === "live") await sleep(200);
        const before = execs().filter((e) => e.cwd === warmCwd).length;
        const m = await mention(w, bot, thread.issue, `${FOLLOW_UP_WORD} ${rep}: anything else?`);
        const firstAt = await firstAgentAfter(m.sentAt);
        const report = await waitForReport(w, thread.issue, rep + 2);
        const how = /resumed warm in the live sandbox/.test(report.body) ? "warm" : /resumed in the live sandbox/.test(report.body) ? "live" : "other";
        if (how !== which) throw new Error(`expected the ${which} path, the report says ${how}:\n${report.body.slice(0, 800)}`);
        if (which === "warm") warmExecs += execs().filter((e) => e.cwd === warmCwd).length - before;
        samples[which].push(firstAt - m.sentAt);
      }
      progress(`  warm follow-up rep ${rep + 1}/${o.reps}: warm ${samples.warm.at(-1)} ms, live ${samples.live.at(-1)} ms to the first model request`);
    }
    return { warm: { toFirstRequest: latency(samples.warm), samples: samples.warm }, live: { toFirstRequest: latency(samples.live), samples: samples.live }, warmExecs };
  } finally {
    await w.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The table's rows for figure 4b. */
export function warmFollowUpRows(r: WarmFollowUpResult): Array<[string, string, string, string, string, string]> {
  const warm = r.warm.toFirstRequest.p50;
  const live = r.live.toFirstRequest.p50;
  const ms = (v: number) => `${v.toFixed(0)} ms`;
  return [
    ["4b follow-up, warm Claude (WARM_CLAUDE=on): mention → first model request (p50)", ms(warm), `live (new CLI, --resume) ${ms(live)}`, `${(warm / live).toFixed(2)}×`, "≤ 0.3× and ≤ 250 ms", warm <= 0.3 * live && warm <= 250 ? "yes" : "no"],
    ["4b … CLI starts during the warm follow-ups", String(r.warmExecs), "—", "—", "0", r.warmExecs === 0 ? "yes" : "no"],
  ];
}
