import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { E2B_DEFAULT_COST_PER_SECOND_USD } from "../../src/config/env.ts";
import { CLAUDE_BIN, type BotProcess } from "../../test/support/start-bot.ts";
import { waitFor } from "../../test/support/wait-for.ts";
import { postDelivery, prepareDelivery } from "../lib/load.ts";
import { progress, sleep } from "../lib/log.ts";
import { answerAtOnce } from "../lib/scripts.ts";
import { latency, median, type Latency } from "../lib/stats.ts";
import { waitForReport } from "../lib/threads.ts";
import { startBenchWorld, WRITE_USER, type BenchWorld } from "../lib/world.ts";

/**
 * Figure 10: the sandbox pool (issue 19 item 3, SANDBOX_POOL_SIZE). Two bots on one fake GitHub:
 * one with SANDBOX_POOL_SIZE=size, one with 0. Each repetition is a brand-new issue for each bot
 * (alternating order) in a repository without setup commands, so no snapshot is ever taken and
 * every run is a thread's first: the pool bot's takes a started sandbox from the pool (checked in
 * its log), the other's creates one. Measured from just before the webhook POST to the bot
 * exec'ing Claude (a CLAUDE_COMMAND wrapper logs the time) and to the model's first agent request.
 * The pool is full before each pool sample (one refill at a time keeps up with these arrivals).
 * The cost of keeping it: the pool bot's /metrics (behind METRICS_TOKEN, as a deployment would
 * run it) scraped when the measured window opens and when it closes, at the E2B list price; and
 * how long each refill took after a take (the log's "taken" → next "ready").
 */

export interface PoolOptions {
  reps: number;
  size: number;
}

interface Side {
  /** The run's "sandbox" phase as the bot timed it (phaseMs in the run's stored result): the take, or the create. */
  sandboxPhase: Latency;
  sandboxPhaseSamples: number[];
  toExec: Latency;
  toFirstRequest: Latency;
  execSamples: number[];
  firstRequestSamples: number[];
}

export interface PoolResult {
  size: number;
  costPerSecondUsd: number;
  pool: Side;
  noPool: Side;
  /** Each take → the pool's next "ready" (the refill's create, on this provider a directory). */
  refillMs: number[];
  /** The pool bot's /metrics over the measured window. */
  idle: { windowS: number; idleSeconds: number; costUsd: number; idleSandboxesAtEnd: number; perHour: { idleSeconds: number; costUsd: number }; fillShare: number };
  /** /metrics without the token answered this (401 expected: the figure reads it as a deployment would). */
  metricsWithoutToken: number;
}

const METRICS_TOKEN = "bench-metrics-token-0123456789abcdef";
const METRIC = {
  idle: "claude_sandbox_bot_pool_idle_sandboxes",
  seconds: "claude_sandbox_bot_pool_idle_sandbox_seconds_total",
  cost: "claude_sandbox_bot_pool_idle_cost_usd_total",
} as const;

/** CLAUDE_COMMAND: logs when the bot exec'd Claude (epoch ms), then execs the real CLI (same PID). */
function timedClaude(dir: string, name: string): { command: string; execs: () => number[] } {
  const log = join(dir, `${name}-exec.log`);
  writeFileSync(log, "");
  const command = join(dir, `${name}-claude.sh`);
  writeFileSync(command, `#!/bin/sh\necho "$(date +%s%3N)" >> '${log}'\nexec '${CLAUDE_BIN}' "$@"\n`);
  chmodSync(command, 0o755);
  return { command, execs: () => readFileSync(log, "utf8").split("\n").filter(Boolean).map(Number) };
}

async function scrape(bot: BotProcess, token?: string): Promise<{ status: number; values: Record<string, number> }> {
  const res = await fetch(`${bot.url}/metrics`, token ? { headers: { authorization: `Bearer ${token}` } } : {});
  const text = await res.text();
  const values: Record<string, number> = {};
  for (const line of text.split("\n")) {
    const m = /^(claude_sandbox_bot_pool_\w+) (\S+)$/.exec(line);
    if (m) values[m[1]!] = Number(m[2]);
  }
  return { status: res.status, values };
}

const logged = (bot: BotProcess, msg: string) => bot.logRecords().filter((r) => r.msg === msg);
const idleNow = (bot: BotProcess) => logged(bot, "pool: a sandbox is ready").length - logged(bot, "pool: sandbox taken").length;

/** Each take's time → the first "ready" after it. */
function refillTimes(bot: BotProcess): number[] {
  const ready = logged(bot, "pool: a sandbox is ready").map((r) => Number(r.time));
  return logged(bot, "pool: sandbox taken").flatMap((r) => {
    const at = Number(r.time);
    const next = ready.find((t) => t >= at);
    return next === undefined ? [] : [next - at];
  });
}

interface Runner {
  bot: BotProcess;
  execs: () => number[];
}

/** A new issue with a mention; resolves once its report is in, with the two times. */
async function firstRun(w: BenchWorld, side: Runner, n: number): Promise<{ exec: number; first: number; delivery: string }> {
  const ev = w.hooks.issueCommentCreated({ repo: w.repo, issue: { title: `Thread ${n}`, body: "Anything to do?", user: WRITE_USER }, comment: { body: `${w.trigger} have a look`, user: WRITE_USER } });
  const d = prepareDelivery(ev, side.bot.secret);
  const execsBefore = side.execs().length;
  const sentAt = Date.now();
  const status = await postDelivery(side.bot.webhookUrl, d);
  if (status !== 200) throw new Error(`mention answered ${status}`);
  const first = await waitFor("the run's first model request", () => w.model.requests.find((r) => r.kind === "agent" && r.receivedAt >= sentAt)?.receivedAt, 120_000, 2);
  const report = await waitForReport(w, ev.payload.issue.number);
  if (!/^### (✅|⚪)/m.test(report.body)) throw new Error(`the run failed:\n${report.body.slice(0, 600)}`);
  const exec = side.execs()[execsBefore];
  if (exec === undefined) throw new Error("the Claude wrapper logged no start");
  return { exec: exec - sentAt, first: first - sentAt, delivery: d.id };
}

/** Each delivery's run: its "sandbox" phase in ms, from the bot's store (read-only; WAL lets it run on). */
function sandboxPhaseMs(bot: BotProcess, deliveries: string[]): number[] {
  const db = new DatabaseSync(join(bot.dataDir, "bot.db"), { readOnly: true });
  try {
    const q = db.prepare("SELECT result_json FROM runs WHERE delivery_id = ?");
    return deliveries.map((id) => {
      const row = q.get(id) as { result_json: string | null } | undefined;
      const ms = row?.result_json ? (JSON.parse(row.result_json) as { phaseMs?: Record<string, number> }).phaseMs?.sandbox : undefined;
      if (typeof ms !== "number") throw new Error(`no sandbox phase stored for delivery ${id}`);
      return ms;
    });
  } finally {
    db.close();
  }
}

interface Samples {
  exec: number[];
  first: number[];
  deliveries: string[];
}

const side = (s: Samples, runner: Runner): Side => {
  const phase = sandboxPhaseMs(runner.bot, s.deliveries);
  return { sandboxPhase: latency(phase), sandboxPhaseSamples: phase, toExec: latency(s.exec), toFirstRequest: latency(s.first), execSamples: s.exec, firstRequestSamples: s.first };
};

async function startBots(w: BenchWorld, dir: string, size: number): Promise<{ pool: Runner; noPool: Runner }> {
  const p = timedClaude(dir, "pool");
  const n = timedClaude(dir, "nopool");
  const common = { SANDBOX_COST_PER_SECOND_USD: String(E2B_DEFAULT_COST_PER_SECOND_USD), METRICS_TOKEN };
  const poolBot = await w.startBot({ ...common, CLAUDE_COMMAND: p.command, SANDBOX_POOL_SIZE: String(size) });
  const noPoolBot = await w.startBot({ ...common, CLAUDE_COMMAND: n.command, SANDBOX_POOL_SIZE: "0" });
  return { pool: { bot: poolBot, execs: p.execs }, noPool: { bot: noPoolBot, execs: n.execs } };
}

export async function measurePool(o: PoolOptions): Promise<PoolResult> {
  const w = await startBenchWorld(answerAtOnce);
  const dir = mkdtempSync(join(tmpdir(), "csb-pool-"));
  try {
    const { pool, noPool } = await startBots(w, dir, o.size);
    const full = () => waitFor(`a full pool (${o.size})`, () => idleNow(pool.bot) === o.size, 30_000, 5);
    // Each bot's first run after start pays cold caches (installation token, repository config): not a sample.
    await full();
    await firstRun(w, pool, 0);
    await firstRun(w, noPool, 0);
    await full();
    const opened = await scrape(pool.bot, METRICS_TOKEN);
    const openedAt = Date.now();
    const samples: Record<"pool" | "noPool", Samples> = { pool: { exec: [], first: [], deliveries: [] }, noPool: { exec: [], first: [], deliveries: [] } };
    for (let rep = 0; rep < o.reps; rep++) {
      for (const which of rep % 2 === 0 ? (["pool", "noPool"] as const) : (["noPool", "pool"] as const)) {
        await sleep(300);
        if (which === "pool") await full();
        const taken = logged(pool.bot, "a sandbox from the pool").length;
        const t = await firstRun(w, which === "pool" ? pool : noPool, rep + 1);
        if (which === "pool" && logged(pool.bot, "a sandbox from the pool").length !== taken + 1) throw new Error("the pool bot's run did not take a sandbox from the pool");
        samples[which].exec.push(t.exec);
        samples[which].first.push(t.first);
        samples[which].deliveries.push(t.delivery);
      }
      progress(`  pool rep ${rep + 1}/${o.reps}: exec'd at ${samples.pool.exec.at(-1)} ms with the pool, ${samples.noPool.exec.at(-1)} ms without; first request ${samples.pool.first.at(-1)} / ${samples.noPool.first.at(-1)} ms`);
    }
    await full();
    const closed = await scrape(pool.bot, METRICS_TOKEN);
    const windowS = (Date.now() - openedAt) / 1000;
    if (logged(noPool.bot, "pool: a sandbox is ready").length > 0 || (await scrape(noPool.bot, METRICS_TOKEN)).values[METRIC.seconds] !== undefined) throw new Error("the bot without a pool has one");
    const idleSeconds = closed.values[METRIC.seconds]! - opened.values[METRIC.seconds]!;
    const costUsd = closed.values[METRIC.cost]! - opened.values[METRIC.cost]!;
    return {
      size: o.size,
      costPerSecondUsd: E2B_DEFAULT_COST_PER_SECOND_USD,
      pool: side(samples.pool, pool),
      noPool: side(samples.noPool, noPool),
      refillMs: refillTimes(pool.bot),
      idle: {
        windowS,
        idleSeconds,
        costUsd,
        idleSandboxesAtEnd: closed.values[METRIC.idle]!,
        perHour: { idleSeconds: (idleSeconds / windowS) * 3600, costUsd: (costUsd / windowS) * 3600 },
        fillShare: idleSeconds / (o.size * windowS),
      },
      metricsWithoutToken: (await scrape(pool.bot)).status,
    };
  } finally {
    await w.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

type Row = [string, string, string, string, string, string];

/** The table's rows for figure 10. */
export function poolRows(r: PoolResult): Row[] {
  const ms = (v: number) => `${Math.round(v)} ms`;
  const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}×`;
  const perHour = r.idle.perHour;
  const ms1 = (v: number) => `${v.toFixed(1)} ms`;
  return [
    [`10 new thread, SANDBOX_POOL_SIZE=${r.size}: the run's sandbox phase (take vs create, p50)`, ms1(r.pool.sandboxPhase.p50), `no pool ${ms1(r.noPool.sandboxPhase.p50)}`, ratio(r.pool.sandboxPhase.p50, r.noPool.sandboxPhase.p50), "—", "—"],
    ["10 … mention → Claude process exec'd (p50)", ms(r.pool.toExec.p50), `no pool ${ms(r.noPool.toExec.p50)}`, ratio(r.pool.toExec.p50, r.noPool.toExec.p50), "(reported)", "—"],
    ["10 … mention → first model request (p50)", ms(r.pool.toFirstRequest.p50), `no pool ${ms(r.noPool.toFirstRequest.p50)}`, ratio(r.pool.toFirstRequest.p50, r.noPool.toFirstRequest.p50), "—", "—"],
    [
      `10 … keeping it: idle sandbox-seconds per hour (/metrics, ${r.idle.windowS.toFixed(0)} s window)`,
      `${perHour.idleSeconds.toFixed(0)} s/h = $${perHour.costUsd.toFixed(3)}/h at $${r.costPerSecondUsd}/s`,
      `${r.size} × 3600 s/h`,
      `${(r.idle.fillShare * 100).toFixed(1)} %`,
      "(reported)",
      "—",
    ],
    ["10 … a refill after a take (take → next sandbox ready, median / max)", `${ms(median(r.refillMs))} / ${ms(Math.max(...r.refillMs))}`, "—", "—", "—", "—"],
  ];
}
