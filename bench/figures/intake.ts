import { startBareProbot } from "../lib/bare.ts";
import { closedLoop, cycle, once, prepareDelivery, type ClosedLoopResult, type Delivery } from "../lib/load.ts";
import { progress, sleep } from "../lib/log.ts";
import { cpuMs } from "../lib/proc.ts";
import { answerAtOnce } from "../lib/scripts.ts";
import { median, type Latency, latency } from "../lib/stats.ts";
import { startBenchWorld, WRITE_USER } from "../lib/world.ts";

/**
 * Figure 2: intake throughput. The same closed-loop generator (at most `concurrency` signed POSTs
 * in flight, for `seconds`) against the bot and against a bare Probot (signature check, 200) — and,
 * to show what Probot itself costs per handled event, a Probot whose one handler does nothing — in
 * alternating order. The bot gets mentions by a user with write access (each one starts a run);
 * the bare server gets the very same bytes (it does not dedupe, so it may cycle through them).
 * The bot runs with ROLE=web: its 2xx means the run is recorded (parse, decide, delivery + run row
 * in one transaction); the acknowledgement (permission check, 👀 + progress comment, queued) follows
 * in the same process. No worker executes runs there, so Claude processes cannot take CPU from the
 * intake measured. After each bot window the bench waits until every accepted delivery has its
 * progress comment at the fake: that drain is measured too (acknowledged per second over window +
 * drain), and the next window starts on an idle bot.
 */

export interface IntakeOptions {
  reps: number;
  seconds: number;
  /** Fresh deliveries built per repetition for the bot (it dedupes); more than it can take in `seconds`. */
  poolSize: number;
  warmup: number;
  concurrency: number;
  threads: number;
  /** Extra bot env (profiling: NODE_OPTIONS). */
  botEnv?: Record<string, string>;
  /** More bots, measured in the same repetitions as the first (experiments: NODE_OPTIONS). */
  variants?: Array<{ name: string; env: Record<string, string> }>;
}

interface Side {
  perSecond: number[];
  ackedPerSecond: number[];
  drainMs: number[];
  cpuMsPerDelivery: number[];
  benchCpuMsPerDelivery: number[];
  cpuUtilisation: number[];
  latencies: Latency[];
  failed: number;
}

export interface IntakeSide {
  perSecond: number;
  /** Bot only: accepted deliveries / (window + time until the last one was acknowledged). */
  ackedPerSecond: number;
  /** Bot only: from the end of the window until every accepted delivery had its progress comment. */
  drainMs: number;
  perRep: number[];
  /** CPU (user + system) of the server process per accepted delivery. */
  cpuMsPerDelivery: number;
  /** CPU of the bench process (load generator + fake GitHub) per accepted delivery. */
  benchCpuMsPerDelivery: number;
  /** Server CPU time / wall time during the window (1 = one core busy). */
  cpuUtilisation: number;
  latency: Latency;
  failed: number;
}

export interface IntakeResult {
  options: Omit<IntakeOptions, "botEnv" | "variants">;
  bot: IntakeSide;
  bare: IntakeSide;
  /** Probot with one no-op issue_comment.created handler (not a target; it explains the gap). */
  noop: IntakeSide;
  noopRatio: number;
  ratio: number;
  ratioPerRep: number[];
  variants: Record<string, { side: IntakeSide; ratio: number }>;
  githubRequestsPerDelivery: number;
}

export async function measureIntake(o: IntakeOptions): Promise<IntakeResult> {
  const w = await startBenchWorld(answerAtOnce);
  const bot = await w.startBot({ ROLE: "web", ...o.botEnv });
  const extra: Array<{ name: string; url: string; pid: number; secret: string }> = [];
  for (const v of o.variants ?? []) {
    const b = await w.startBot({ ROLE: "web", ...v.env });
    extra.push({ name: v.name, url: b.webhookUrl, pid: b.process.pid!, secret: b.secret });
  }
  const env = w.baseEnv();
  const bareEnv = { APP_ID: env.APP_ID!, PRIVATE_KEY: env.PRIVATE_KEY!, WEBHOOK_SECRET: bot.secret, LOG_LEVEL: env.LOG_LEVEL!, LOG_FORMAT: env.LOG_FORMAT! };
  const bare = await startBareProbot(bareEnv);
  const noop = await startBareProbot({ ...bareEnv, NOOP_HANDLER: "1" });
  try {
    const issues = Array.from({ length: o.threads }, (_, t) => w.gh.addIssue(w.repo.fullName, { title: `Intake bench ${t}`, body: "Please look.", user: WRITE_USER }).number);
    let seq = 0;
    const build = (n: number): Delivery[] =>
      Array.from({ length: n }, () => {
        const issue = issues[seq % issues.length]!;
        const ev = w.hooks.issueCommentCreated({ repo: w.repo, issue, comment: { body: `${w.trigger} please fix it (${seq++})`, user: WRITE_USER } });
        return prepareDelivery(ev, bot.secret);
      });

    progress(`  intake: warming up both (${o.warmup} deliveries each)`);
    const warm = build(o.warmup);
    await closedLoop(bot.webhookUrl, once(warm), o.concurrency);
    await closedLoop(bare.webhookUrl, once(warm), o.concurrency);
    await closedLoop(noop.webhookUrl, once(warm), o.concurrency);
    for (const x of extra) await closedLoop(x.url, once(build(o.warmup)), o.concurrency);

    const empty = (): Side => ({ perSecond: [], ackedPerSecond: [], drainMs: [], cpuMsPerDelivery: [], benchCpuMsPerDelivery: [], cpuUtilisation: [], latencies: [], failed: 0 });
    const sides: Record<string, Side> = { bot: empty(), bare: empty(), noop: empty() };
    const targets: Record<string, { url: string; pid: number }> = {
      bot: { url: bot.webhookUrl, pid: bot.process.pid! },
      bare: { url: bare.webhookUrl, pid: bare.pid },
      noop: { url: noop.webhookUrl, pid: noop.pid },
    };
    for (const x of extra) {
      sides[x.name] = empty();
      targets[x.name] = { url: x.url, pid: x.pid };
    }
    const names = Object.keys(targets);
    const isBot = (name: string) => name !== "bare" && name !== "noop";
    let botRequests = 0;
    let botAccepted = 0;
    for (let rep = 0; rep < o.reps; rep++) {
      // Every bot dedupes, so each gets fresh deliveries; the bare server reuses the first bot's bytes.
      const pools = new Map(names.filter(isBot).map((name) => [name, build(o.poolSize)] as const));
      const order = names.map((_, k) => names[(rep + k) % names.length]!);
      const line: string[] = [];
      for (const name of order) {
        await sleep(1000);
        const target = targets[name]!;
        const pool = pools.get(name) ?? pools.get("bot")!;
        const requestsBefore = w.gh.requests.length;
        const cpu0 = cpuMs(target.pid);
        const bench0 = process.cpuUsage();
        const r: ClosedLoopResult = await closedLoop(target.url, isBot(name) ? once(pool) : cycle(pool), o.concurrency, o.seconds * 1000);
        const drain0 = performance.now();
        if (isBot(name)) await drained(w.gh.requests, requestsBefore, r.ok);
        const drainMs = performance.now() - drain0;
        const bench = process.cpuUsage(bench0);
        const cpu = cpuMs(target.pid) - cpu0;
        const side = sides[name]!;
        side.drainMs.push(drainMs);
        side.ackedPerSecond.push((r.ok * 1000) / (r.elapsedMs + drainMs));
        side.perSecond.push(r.perSecond);
        side.cpuMsPerDelivery.push(cpu / Math.max(1, r.ok));
        side.benchCpuMsPerDelivery.push((bench.user + bench.system) / 1000 / Math.max(1, r.ok));
        side.cpuUtilisation.push(cpu / (r.elapsedMs + drainMs));
        side.latencies.push(latency(r.latencies));
        side.failed += r.failed;
        if (isBot(name) && r.ok + r.failed >= pool.length) progress(`  intake: ${name} used up all ${pool.length} deliveries of the pool: raise BENCH_INTAKE_POOL`);
        if (name === "bot") {
          botRequests += w.gh.requests.length - requestsBefore;
          botAccepted += r.ok;
        }
        const acked = isBot(name) ? `, all acknowledged ${drainMs.toFixed(0)} ms after the window` : "";
        line.push(`${name} ${r.perSecond.toFixed(0)}/s (${r.failed} failed${acked}, server CPU ${(cpu / (r.elapsedMs + drainMs)).toFixed(2)} cores)`);
      }
      progress(`  intake rep ${rep + 1}/${o.reps}: ${line.join(", ")}`);
    }
    const summarize = (s: Side): IntakeSide => ({
      perSecond: median(s.perSecond),
      ackedPerSecond: median(s.ackedPerSecond),
      drainMs: median(s.drainMs),
      perRep: s.perSecond,
      cpuMsPerDelivery: median(s.cpuMsPerDelivery),
      benchCpuMsPerDelivery: median(s.benchCpuMsPerDelivery),
      cpuUtilisation: median(s.cpuUtilisation),
      latency: {
        n: s.latencies.reduce((a, l) => a + l.n, 0),
        p50: median(s.latencies.map((l) => l.p50)),
        p95: median(s.latencies.map((l) => l.p95)),
        p99: median(s.latencies.map((l) => l.p99)),
        max: median(s.latencies.map((l) => l.max)),
      },
      failed: s.failed,
    });
    const ratios = (name: string) => sides[name]!.perSecond.map((b, i) => b / sides.bare!.perSecond[i]!);
    const { botEnv: _e, variants: _v, ...options } = o;
    return {
      options,
      bot: summarize(sides.bot!),
      bare: summarize(sides.bare!),
      noop: summarize(sides.noop!),
      noopRatio: median(ratios("noop")),
      ratio: median(ratios("bot")),
      ratioPerRep: ratios("bot"),
      variants: Object.fromEntries(extra.map((x) => [x.name, { side: summarize(sides[x.name]!), ratio: median(ratios(x.name)) }])),
      githubRequestsPerDelivery: botRequests / Math.max(1, botAccepted),
    };
  } finally {
    await bare.stop();
    await noop.stop();
    await w.close();
  }
}

/** Waits until `accepted` progress comments have been posted since request number `since`. */
async function drained(requests: Array<{ method: string; path: string }>, since: number, accepted: number): Promise<void> {
  const deadline = Date.now() + 300_000;
  const posted = () => requests.slice(since).filter((q) => q.method === "POST" && /^\/repos\/[^/]+\/[^/]+\/issues\/\d+\/comments$/.test(q.path)).length;
  while (posted() < accepted) {
    if (Date.now() > deadline) throw new Error(`intake: only ${posted()} of ${accepted} accepted deliveries were acknowledged within 300 s`);
    await sleep(20);
  }
}
