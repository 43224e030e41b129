import { readFileSync } from "node:fs";
import { waitFor } from "../../test/support/wait-for.ts";
import { postDelivery, prepareDelivery } from "../lib/load.ts";
import { progress, sleep } from "../lib/log.ts";
import { descendants, pssMiB, rssMiB } from "../lib/proc.ts";
import { gate } from "../lib/scripts.ts";
import { median } from "../lib/stats.ts";
import { waitForAllReports } from "../lib/threads.ts";
import { startBenchWorld, WRITE_USER } from "../lib/world.ts";

/**
 * Figure 6: memory. The bot's own RSS (VmRSS of the bot process, not its children) idle after
 * start, and with `inFlight` runs open at once (WORKER_CONCURRENCY = inFlight, one mention in each
 * of that many threads). The scripted model holds every agent request until the samples are
 * taken (the effect of a long delayMs, without guessing how long the start-up takes), so each run
 * is open with its Claude process alive. The Claude processes (and any other descendants) are
 * summed separately, as RSS and as PSS (shared pages split between the processes sharing them).
 */

export interface MemoryOptions {
  inFlight: number;
  samples: number;
}

export interface MemoryResult {
  requested: number;
  inFlight: number;
  reducedBecause: string | null;
  idleRssMiB: number;
  inFlightRssMiB: number;
  peakRssMiB: number;
  children: { count: number; claudeCount: number; rssMiB: number; pssMiB: number; perClaudeRssMiB: number; perClaudePssMiB: number };
  rampMs: number;
  drainedReports: number;
}

function memAvailableMiB(): number {
  const m = readFileSync("/proc/meminfo", "utf8").match(/^MemAvailable:\s+(\d+) kB/m);
  return m ? Number(m[1]) / 1024 : 0;
}

/** A Claude CLI costs up to ~300 MiB; keep 2 GiB for everything else. */
const PER_CLAUDE_MIB = 300;
const RESERVE_MIB = 2048;

export async function measureMemory(o: MemoryOptions): Promise<MemoryResult> {
  let inFlight = o.inFlight;
  let reducedBecause: string | null = null;
  const available = memAvailableMiB();
  const fits = Math.floor((available - RESERVE_MIB) / PER_CLAUDE_MIB);
  if (fits < inFlight) {
    reducedBecause = `MemAvailable was ${Math.round(available)} MiB: room for ${fits} Claude processes at ${PER_CLAUDE_MIB} MiB each`;
    inFlight = Math.max(1, fits);
    progress(`  memory: only ${inFlight} runs in flight (${reducedBecause})`);
  }
  const g = gate();
  const w = await startBenchWorld(g.script);
  try {
    const bot = await w.startBot({ WORKER_CONCURRENCY: String(inFlight) });
    const pid = bot.process.pid!;
    await sleep(2000);
    const idle: number[] = [];
    for (let i = 0; i < o.samples; i++) {
      idle.push(rssMiB(pid) ?? Number.NaN);
      await sleep(300);
    }
    const issues: number[] = [];
    const sentAt = Date.now();
    const peak = { rss: 0 };
    const sampler = setInterval(() => (peak.rss = Math.max(peak.rss, rssMiB(pid) ?? 0)), 250);
    for (let i = 0; i < inFlight; i++) {
      const ev = w.hooks.issueCommentCreated({
        repo: w.repo,
        issue: { title: `Memory bench ${i}`, body: "Hold on.", user: WRITE_USER },
        comment: { body: `${w.trigger} take your time (${i})`, user: WRITE_USER },
      });
      issues.push(ev.payload.issue.number);
      const status = await postDelivery(bot.webhookUrl, prepareDelivery(ev, bot.secret));
      if (status !== 200) throw new Error(`mention ${i} answered ${status}`);
    }
    let lastLog = 0;
    await waitFor(
      `${inFlight} Claude processes waiting on the model`,
      () => {
        if (Date.now() - lastLog > 10_000) {
          lastLog = Date.now();
          progress(`  memory: ${g.waiting()}/${inFlight} runs have their Claude process waiting on the model`);
        }
        return g.waiting() >= inFlight;
      },
      300_000,
      100,
    );
    const rampMs = Date.now() - sentAt;
    const held: number[] = [];
    const kids: Array<{ count: number; claude: number; rss: number; pss: number }> = [];
    for (let i = 0; i < o.samples; i++) {
      await sleep(500);
      held.push(rssMiB(pid) ?? Number.NaN);
      const d = descendants(pid);
      const claude = d.filter((p) => /claude/i.test(p.comm)).length;
      kids.push({ count: d.length, claude, rss: d.reduce((s, p) => s + (rssMiB(p.pid) ?? 0), 0), pss: d.reduce((s, p) => s + (pssMiB(p.pid) ?? 0), 0) });
    }
    clearInterval(sampler);
    progress(`  memory: bot RSS idle ${median(idle).toFixed(0)} MiB, with ${inFlight} runs in flight ${median(held).toFixed(0)} MiB (peak ${peak.rss.toFixed(0)}); children ${median(kids.map((k) => k.rss)).toFixed(0)} MiB RSS`);
    g.release();
    const drainedReports = await waitForAllReports(w, issues, 300_000);
    const claudeCount = median(kids.map((k) => k.claude));
    const childRss = median(kids.map((k) => k.rss));
    const childPss = median(kids.map((k) => k.pss));
    return {
      requested: o.inFlight,
      inFlight,
      reducedBecause,
      idleRssMiB: median(idle),
      inFlightRssMiB: median(held),
      peakRssMiB: peak.rss,
      children: {
        count: median(kids.map((k) => k.count)),
        claudeCount,
        rssMiB: childRss,
        pssMiB: childPss,
        perClaudeRssMiB: childRss / Math.max(1, claudeCount),
        perClaudePssMiB: childPss / Math.max(1, claudeCount),
      },
      rampMs,
      drainedReports,
    };
  } finally {
    g.release();
    await w.close();
  }
}
