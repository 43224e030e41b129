import { chmodSync, lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CLAUDE_BIN } from "../../test/support/start-bot.ts";
import type { RepoInfo } from "../../test/support/fake-github/types.ts";
import { waitFor } from "../../test/support/wait-for.ts";
import { postDelivery, prepareDelivery } from "../lib/load.ts";
import { progress, sleep } from "../lib/log.ts";
import { answerAtOnce } from "../lib/scripts.ts";
import { latency, median, type Latency } from "../lib/stats.ts";
import { startBenchWorld, WRITE_USER, type BenchWorld } from "../lib/world.ts";

/**
 * Figure 9: a new thread in a repository whose setup command takes SETUP_SECONDS (a scripted
 * sleep that also writes an ignored node_modules, like an `npm ci`): mention → the run's first
 * model request. Cold: a repository with `snapshots.enabled: false`, so every new thread clones
 * and runs the setup. From snapshot: an identical repository with snapshots on, whose first
 * thread (not measured) took the snapshot; each measured thread starts from it, fetches through
 * the bot's mirror and skips the setup (no lockfile changed). Same bot, repetitions alternating.
 * Also: what the snapshot costs to take (the first thread's pause) and to keep (its size).
 */

export interface SnapshotOptions {
  reps: number;
  setupSeconds: number;
}

export interface SnapshotResult {
  setupSeconds: number;
  cold: { toFirstRequest: Latency; toExec: Latency; samples: number[] };
  fromSnapshot: { toFirstRequest: Latency; toExec: Latency; samples: number[] };
  /** The first thread of the snapshot repository: cold, plus taking the snapshot. */
  firstWithSnapshotMs: number;
  snapshot: { count: number; sizeBytes: number; tookMs: number[] };
}

function files(setupSeconds: number, snapshots: boolean): Record<string, string> {
  const setup = `sleep ${setupSeconds} && mkdir -p node_modules/dep && cp package-lock.json node_modules/dep/ && echo ok > node_modules/.done`;
  return {
    ".gitignore": "node_modules/\n",
    "package-lock.json": '{"name":"widgets","lockfileVersion":3}\n',
    ".github/claude-sandbox-bot.yml": `setup:\n  - "${setup}"\nsnapshots:\n  enabled: ${snapshots}\n`,
  };
}

function sizeOf(path: string): number {
  const info = lstatSync(path);
  if (!info.isDirectory()) return info.size;
  return readdirSync(path).reduce((sum, name) => sum + sizeOf(join(path, name)), 0);
}

/** A new issue in repo with a mention; resolves with the mention's time and the issue number. */
async function newThread(w: BenchWorld, bot: { webhookUrl: string; secret: string }, repo: RepoInfo, n: number) {
  const ev = w.hooks.issueCommentCreated({ repo, issue: { title: `Thread ${n}`, body: "Anything to do?", user: WRITE_USER }, comment: { body: `${w.trigger} have a look`, user: WRITE_USER } });
  const d = prepareDelivery(ev, bot.secret);
  const sentAt = Date.now();
  const status = await postDelivery(bot.webhookUrl, d);
  if (status !== 200) throw new Error(`mention answered ${status}`);
  return { sentAt, issue: ev.payload.issue.number };
}

const FINAL = /^### (✅|⚪|❌|⏹️)/m;

/** CLAUDE_COMMAND: logs when the bot exec'd Claude (epoch ms), then execs the real CLI (same PID). */
function timedClaude(dir: string): { command: string; execs: () => number[] } {
  const log = join(dir, "claude-exec.log");
  writeFileSync(log, "");
  const command = join(dir, "claude-timed.sh");
  writeFileSync(command, `#!/bin/sh\necho "$(date +%s%3N)" >> '${log}'\nexec '${CLAUDE_BIN}' "$@"\n`);
  chmodSync(command, 0o755);
  return { command, execs: () => readFileSync(log, "utf8").split("\n").filter(Boolean).map(Number) };
}

export async function measureSnapshots(o: SnapshotOptions): Promise<SnapshotResult> {
  const w = await startBenchWorld(answerAtOnce);
  const dir = mkdtempSync(join(tmpdir(), "csb-snapshots-"));
  const claude = timedClaude(dir);
  try {
    const cold = await w.gh.createRepo({ owner: "acme", name: "cold", files: files(o.setupSeconds, false) });
    const warm = await w.gh.createRepo({ owner: "acme", name: "warm", files: files(o.setupSeconds, true) });
    for (const r of [cold, warm]) w.gh.setPermission(r.fullName, WRITE_USER, "write");
    const bot = await w.startBot({ CLAUDE_COMMAND: claude.command });
    const firstAgentAfter = (t: number) => waitFor("the run's first model request", () => w.model.requests.find((r) => r.kind === "agent" && r.receivedAt >= t)?.receivedAt, 180_000, 5);
    const report = (repo: RepoInfo, issue: number) =>
      waitFor(`the report on ${repo.fullName}#${issue}`, () => w.gh.state.comments.find((c) => c.repo === repo.fullName && c.issueNumber === issue && c.user.login === w.gh.botUser.login && FINAL.test(c.body)), 180_000, 20);
    const run = async (repo: RepoInfo, n: number) => {
      const execsBefore = claude.execs().length;
      const m = await newThread(w, bot, repo, n);
      const first = await firstAgentAfter(m.sentAt);
      const body = (await report(repo, m.issue)).body;
      if (!/^### (✅|⚪)/m.test(body)) throw new Error(`the run on ${repo.fullName} failed:\n${body.slice(0, 600)}`);
      const exec = claude.execs()[execsBefore];
      if (exec === undefined) throw new Error("the Claude wrapper logged no start");
      return { first: first - m.sentAt, exec: exec - m.sentAt };
    };
    const firstWithSnapshotMs = (await run(warm, 0)).first;
    const taken = () => bot.logRecords().filter((r) => r.msg === "took a repository snapshot");
    if (taken().length !== 1) throw new Error("the first thread took no snapshot");
    const coldSamples: number[] = [];
    const warmSamples: number[] = [];
    const coldExec: number[] = [];
    const warmExec: number[] = [];
    for (let rep = 0; rep < o.reps; rep++) {
      for (const which of rep % 2 === 0 ? ["cold", "warm"] : ["warm", "cold"]) {
        await sleep(300);
        const t = await run(which === "cold" ? cold : warm, rep + 1);
        (which === "cold" ? coldSamples : warmSamples).push(t.first);
        (which === "cold" ? coldExec : warmExec).push(t.exec);
        progress(`  snapshots rep ${rep + 1}/${o.reps} ${which}: Claude exec'd at ${t.exec} ms, first model request at ${t.first} ms`);
      }
    }
    const used = bot.logRecords().filter((r) => r.msg === "started from the repository's snapshot; no setup input changed, so the setup is not run again").length;
    if (used !== o.reps) throw new Error(`expected ${o.reps} runs from the snapshot, the log shows ${used}`);
    const dir = join(bot.dataDir, "sandboxes", ".snapshots");
    const ids = readdirSync(dir).filter((id) => id.startsWith("snap-"));
    return {
      setupSeconds: o.setupSeconds,
      cold: { toFirstRequest: latency(coldSamples), toExec: latency(coldExec), samples: coldSamples },
      fromSnapshot: { toFirstRequest: latency(warmSamples), toExec: latency(warmExec), samples: warmSamples },
      firstWithSnapshotMs,
      snapshot: { count: ids.length, sizeBytes: ids.reduce((sum, id) => sum + sizeOf(join(dir, id)), 0), tookMs: taken().map((r) => Number(r.tookMs)) },
    };
  } finally {
    await w.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

type Row = [string, string, string, string, string, string];

export function snapshotRows(s: SnapshotResult): Row[] {
  const cold = s.cold.toFirstRequest.p50;
  const warm = s.fromSnapshot.toFirstRequest.p50;
  const ratio = warm / cold;
  const ms = (v: number) => `${Math.round(v)} ms`;
  return [
    [`9 new thread, setup ${s.setupSeconds} s: mention → first model request, from snapshot (p50)`, ms(warm), `cold ${ms(cold)}`, `${ratio.toFixed(2)}×`, "≤ 0.25× and ≤ 1.5 s", ratio <= 0.25 && warm <= 1500 ? "yes" : "NO"],
    ["9 … mention → Claude process exec'd (p50; the rest is the CLI's own start-up)", ms(s.fromSnapshot.toExec.p50), `cold ${ms(s.cold.toExec.p50)}`, `${(s.fromSnapshot.toExec.p50 / s.cold.toExec.p50).toFixed(2)}×`, "—", "—"],
    ["9 … the snapshot's first thread (cold + taking it)", ms(s.firstWithSnapshotMs), `cold ${ms(cold)}`, `${(s.firstWithSnapshotMs / cold).toFixed(2)}×`, "—", "—"],
    ["9 … keeping it: snapshots, size on disk, time to take", `${s.snapshot.count}, ${(s.snapshot.sizeBytes / 1024).toFixed(0)} KiB, ${ms(median(s.snapshot.tookMs))}`, "—", "—", "(reported)", "—"],
  ];
}
