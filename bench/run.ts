/**
 * npm run bench — the real bot over loopback with the e2e tests' doubles (fake GitHub + git
 * http-backend, scripted Anthropic API driving the real Claude Code CLI, local sandboxes), each
 * figure beside a baseline measured in the same run on the same machine. Progress on stderr, the
 * table on stdout, everything in bench/results/latest.json. See BENCHMARKS.md.
 *
 *   BENCH_QUICK=1         a fast smoke pass (few repetitions)
 *   BENCH_ONLY=e2e,ack    only these figures (e2e, followup, warm, ack, intake, memory, gateway, fairshare, snapshots, pool; "none" for none)
 *   BENCH_EXPERIMENTS=a.ts,b.ts  also measure bots with these modules preloaded (NODE_OPTIONS=--import),
 *                         each beside the stock bot: how to try a fix before making it (see BENCHMARKS.md)
 *   BENCH_PROFILE=1       also CPU-profile the bot under intake load (bench/results/profiles/)
 *   BENCH_OUT=file.json   write the results there instead of bench/results/latest.json
 *   and the counts: BENCH_ACK_REPS, BENCH_ACK_DELIVERIES, BENCH_ACK_THREADS, BENCH_ACK_RATE,
 *   BENCH_INTAKE_REPS, BENCH_INTAKE_SECONDS, BENCH_INTAKE_CONCURRENCY, BENCH_INTAKE_POOL,
 *   BENCH_INTAKE_WARMUP, BENCH_E2E_REPS, BENCH_E2E_SLOW_MODEL_MS, BENCH_FOLLOWUP_REPS, BENCH_MEMORY_IN_FLIGHT,
 *   BENCH_GATEWAY_REPS, BENCH_GATEWAY_PAIRS, BENCH_GATEWAY_EVENT_GAP_MS, BENCH_GATEWAY_STREAMS, BENCH_GATEWAY_CLI_REPS,
 *   BENCH_FAIR_REPS, BENCH_FAIR_HOLD_MS, BENCH_SNAPSHOT_REPS, BENCH_SNAPSHOT_SETUP_SECONDS, BENCH_WARM_REPS, BENCH_POOL_REPS, BENCH_POOL_SIZE
 */
import { mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { measureAck, measureAckVariants, measureBareResponse, type AckResult } from "./figures/ack.ts";
import { measureE2e, type E2eResult } from "./figures/e2e.ts";
import { measureFairShare, type FairShareResult } from "./figures/fair-share.ts";
import { measureFollowUp, type FollowUpResult } from "./figures/followup.ts";
import { measureGateway, type GatewayResult } from "./figures/gateway.ts";
import { measureIntake, type IntakeResult } from "./figures/intake.ts";
import { measureMemory, type MemoryResult } from "./figures/memory.ts";
import { measurePool, poolRows, type PoolResult } from "./figures/pool.ts";
import { measureSnapshots, snapshotRows, type SnapshotResult } from "./figures/snapshots.ts";
import { measureWarmFollowUp, warmFollowUpRows, type WarmFollowUpResult } from "./figures/warm-followup.ts";
import { summarize as summarizeProfile } from "./lib/cpuprofile.ts";
import { progress } from "./lib/log.ts";
import { machineInfo } from "./lib/machine.ts";
import { startForeignCpuMonitor } from "./lib/proc.ts";
import { median, type Latency } from "./lib/stats.ts";

const BENCH_DIR = import.meta.dirname;
const RESULTS_DIR = join(BENCH_DIR, "results");
const quick = process.env.BENCH_QUICK === "1";
const num = (name: string, full: number, fast: number): number => {
  const raw = process.env[name];
  const value = raw === undefined || raw === "" ? (quick ? fast : full) : Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number, got ${raw}`);
  return value;
};
const only = new Set((process.env.BENCH_ONLY ?? "e2e,followup,warm,ack,intake,memory,gateway,fairshare,snapshots,pool").split(",").map((s) => s.trim()).filter(Boolean));
const experiments = (process.env.BENCH_EXPERIMENTS ?? "").split(",").map((f) => f.trim()).filter(Boolean);
const profile = process.env.BENCH_PROFILE === "1";

const settings = {
  quick,
  ack: { reps: num("BENCH_ACK_REPS", 3, 1), deliveries: num("BENCH_ACK_DELIVERIES", 200, 40), threads: num("BENCH_ACK_THREADS", 50, 10), ratePerSecond: num("BENCH_ACK_RATE", 20, 20) },
  intake: {
    reps: num("BENCH_INTAKE_REPS", 3, 1),
    seconds: num("BENCH_INTAKE_SECONDS", 3, 2),
    concurrency: num("BENCH_INTAKE_CONCURRENCY", 32, 32),
    // More than the bot can take in the window (it dedupes: every delivery is used once).
    poolSize: num("BENCH_INTAKE_POOL", 9000, 5000),
    warmup: num("BENCH_INTAKE_WARMUP", 300, 50),
    threads: 50,
  },
  e2e: { reps: num("BENCH_E2E_REPS", 9, 2), slowModelDelayMs: num("BENCH_E2E_SLOW_MODEL_MS", 5000, 2000) },
  followup: { reps: num("BENCH_FOLLOWUP_REPS", 9, 2) },
  warm: { reps: num("BENCH_WARM_REPS", 9, 2) },
  memory: { inFlight: num("BENCH_MEMORY_IN_FLIGHT", 50, 8), samples: quick ? 3 : 6 },
  fairshare: { reps: num("BENCH_FAIR_REPS", 5, 2), flood: 50, concurrency: 4, holdMs: num("BENCH_FAIR_HOLD_MS", 1000, 500) },
  snapshots: { reps: num("BENCH_SNAPSHOT_REPS", 5, 2), setupSeconds: num("BENCH_SNAPSHOT_SETUP_SECONDS", 5, 5) },
  pool: { reps: num("BENCH_POOL_REPS", 8, 2), size: num("BENCH_POOL_SIZE", 2, 2) },
  gateway: {
    reps: num("BENCH_GATEWAY_REPS", 3, 1),
    pairs: num("BENCH_GATEWAY_PAIRS", 300, 60),
    warmup: 30,
    eventGapMs: num("BENCH_GATEWAY_EVENT_GAP_MS", 2, 2),
    streams: num("BENCH_GATEWAY_STREAMS", 50, 50),
    samples: quick ? 3 : 6,
    cliReps: num("BENCH_GATEWAY_CLI_REPS", 5, 1),
  },
};

const ACK_VARIANTS = [
  { label: "runs executing (ROLE=all, WORKER_CONCURRENCY=1)", key: "withWorker", env: { ROLE: "all", WORKER_CONCURRENCY: "1" } },
  { label: "intake only (ROLE=web)", key: "webOnly", env: { ROLE: "web" } },
] as const;

interface Results {
  startedAt: string;
  finishedAt?: string;
  durationS?: number;
  machine: ReturnType<typeof machineInfo>;
  settings: typeof settings;
  /** Mean CPU (cores) used by processes outside the bench's tree while each figure ran, and stolen by the hypervisor. */
  foreignCpu: Record<string, { meanCores: number; maxCores: number; stolenCores: number }>;
  e2e?: E2eResult;
  followup?: FollowUpResult;
  warm?: WarmFollowUpResult;
  ack?: { withWorker: AckResult; webOnly: AckResult; bareBaseline: Latency };
  intake?: IntakeResult;
  memory?: MemoryResult;
  gateway?: GatewayResult;
  fairshare?: FairShareResult;
  snapshots?: SnapshotResult;
  pool?: PoolResult;
  experiments?: Record<string, unknown>;
  profile?: unknown;
}

async function figure<T>(results: Results, name: string, run: () => Promise<T>): Promise<T> {
  progress(`${name}…`);
  const monitor = startForeignCpuMonitor();
  try {
    return await run();
  } finally {
    results.foreignCpu[name] = monitor.stop();
    const f = results.foreignCpu[name]!;
    progress(`${name} done (meanwhile other processes used ${f.meanCores.toFixed(2)} cores on average, the hypervisor stole ${f.stolenCores.toFixed(2)})`);
  }
}

async function main(): Promise<void> {
  const started = Date.now();
  const results: Results = { startedAt: new Date(started).toISOString(), machine: machineInfo(), settings, foreignCpu: {} };
  progress(`bench${quick ? " (BENCH_QUICK)" : ""}: ${[...only].join(", ")} on ${results.machine.nproc} cores, node ${results.machine.node}, ${results.machine.claudeCli}`);
  mkdirSync(RESULTS_DIR, { recursive: true });

  if (only.has("e2e")) results.e2e = await figure(results, "e2e", () => measureE2e(settings.e2e));
  if (only.has("followup")) results.followup = await figure(results, "followup", () => measureFollowUp(settings.followup));
  if (only.has("warm")) results.warm = await figure(results, "warm", () => measureWarmFollowUp(settings.warm));
  if (only.has("ack")) {
    results.ack = await figure(results, "ack", async () => {
      const withWorker = await measureAck({ ...settings.ack, ...ACK_VARIANTS[0] });
      const webOnly = await measureAck({ ...settings.ack, ...ACK_VARIANTS[1] });
      const bareBaseline = await measureBareResponse(settings.ack);
      return { withWorker, webOnly, bareBaseline };
    });
  }
  if (only.has("intake")) results.intake = await figure(results, "intake", () => measureIntake(settings.intake));
  if (only.has("memory")) results.memory = await figure(results, "memory", () => measureMemory(settings.memory));
  if (only.has("gateway")) results.gateway = await figure(results, "gateway", () => measureGateway(settings.gateway));
  if (only.has("fairshare")) results.fairshare = await figure(results, "fairshare", () => measureFairShare(settings.fairshare));
  if (only.has("snapshots")) results.snapshots = await figure(results, "snapshots", () => measureSnapshots(settings.snapshots));
  if (only.has("pool")) results.pool = await figure(results, "pool", () => measurePool(settings.pool));

  if (experiments.length > 0) {
    results.experiments = await figure(results, "experiments", async () => {
      const fixes = experiments.map((file) => ({ name: file.replace(/^.*\//, "").replace(/\.ts$/, ""), preload: `--import=${resolve(file)}` }));
      // Stock and patched bots side by side, repetitions alternating, so they see the same machine.
      progress(" experiment: acknowledgement, ROLE=web, stock vs patched");
      const ack = await measureAckVariants({
        ...settings.ack,
        sameWorld: true,
        variants: [{ label: "stock", env: { ROLE: "web" } }, ...fixes.map((f) => ({ label: f.name, env: { ROLE: "web", NODE_OPTIONS: f.preload } }))],
      });
      progress(" experiment: intake throughput, stock vs patched vs bare");
      const intake = await measureIntake({ ...settings.intake, variants: fixes.map((f) => ({ name: f.name, env: { NODE_OPTIONS: f.preload } })) });
      progress(" experiment: issue → PR, stock vs patched vs plain-run.sh");
      const e2e = await measureE2e({ reps: settings.e2e.reps, variants: fixes.map((f) => ({ name: f.name, env: { NODE_OPTIONS: f.preload } })) });
      const followup: Record<string, unknown> = {};
      for (const f of [{ name: "stock", preload: "" }, ...fixes]) {
        progress(` experiment: follow-up start, ${f.name}`);
        const r = await measureFollowUp({ reps: Math.min(5, settings.followup.reps), botEnv: f.preload ? { NODE_OPTIONS: f.preload } : {} });
        followup[f.name] = { liveToExec: r.live.toExec, liveToFirstRequest: r.live.toFirstRequest, restoredToExec: r.restored.toExec, cliAlone: r.cliAlone.toFirstRequest };
      }
      return {
        ack: Object.fromEntries(ack.map((a) => [a.label, { ack: a.ack, response: a.response }])),
        intake: {
          stock: { perSecond: intake.bot.perSecond, ratio: intake.ratio, cpuMsPerDelivery: intake.bot.cpuMsPerDelivery, cpuUtilisation: intake.bot.cpuUtilisation, latency: intake.bot.latency },
          ...Object.fromEntries(Object.entries(intake.variants).map(([k, v]) => [k, { perSecond: v.side.perSecond, ratio: v.ratio, cpuMsPerDelivery: v.side.cpuMsPerDelivery, cpuUtilisation: v.side.cpuUtilisation, latency: v.side.latency }])),
          bare: { perSecond: intake.bare.perSecond, cpuMsPerDelivery: intake.bare.cpuMsPerDelivery },
        },
        e2e: {
          plainMedianMs: e2e.plainMedianMs,
          stock: { medianMs: e2e.botMedianMs, ratio: e2e.ratio, overheadMs: e2e.overheadMs },
          ...Object.fromEntries(Object.entries(e2e.variants).map(([k, v]) => [k, { medianMs: v.medianMs, ratio: v.ratio, overheadMs: v.overheadMs }])),
        },
        followup,
      };
    });
  }
  if (profile) {
    results.profile = await figure(results, "profile", async () => {
      const dir = join(RESULTS_DIR, "profiles");
      rmSync(dir, { recursive: true, force: true });
      mkdirSync(dir, { recursive: true });
      await measureIntake({ ...settings.intake, reps: 1, botEnv: { NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${dir}` } });
      const file = readdirSync(dir).find((f) => f.endsWith(".cpuprofile"));
      return file ? { file: join(dir, file), ...summarizeProfile(join(dir, file), 20) } : { error: "no profile written" };
    });
  }

  results.finishedAt = new Date().toISOString();
  results.durationS = Math.round((Date.now() - started) / 1000);
  const out = process.env.BENCH_OUT ? resolve(process.env.BENCH_OUT) : join(RESULTS_DIR, "latest.json");
  writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`);
  process.stdout.write(`${renderTable(results)}\n`);
  progress(`wrote ${resolve(out)} (${results.durationS} s)`);
  // Keep-alive sockets to the closed fakes would hold the process open a few seconds more.
  process.exit(0);
}

type Row = [figure: string, ours: string, baseline: string, ratio: string, target: string, met: string];

const ms = (v: number) => `${Math.round(v)} ms`;
const ms1 = (v: number) => `${v.toFixed(1)} ms`;
const plus = (v: number) => `${v >= 0 ? "+" : ""}${v.toFixed(1)}`;
const yes = (ok: boolean) => (ok ? "yes" : "NO");

function renderTable(r: Results): string {
  const rows: Row[] = [];
  if (r.ack) {
    const b = r.ack.bareBaseline;
    for (const v of ACK_VARIANTS) {
      const a = r.ack[v.key].ack;
      rows.push([`1 ack p50/p95/p99, ${v.label}`, `${ms(a.p50)} / ${ms(a.p95)} / ${ms(a.p99)}`, `bare Probot 2xx p99 ${ms(b.p99)}`, `${(a.p99 / b.p99).toFixed(1)}×`, "p99 ≤ 250 ms", yes(a.p99 <= 250)]);
    }
  }
  if (r.intake) {
    const i = r.intake;
    rows.push(["2 intake throughput (deliveries/s, 2xx = run recorded)", `${i.bot.perSecond.toFixed(0)}/s`, `bare Probot ${i.bare.perSecond.toFixed(0)}/s`, `${i.ratio.toFixed(2)}×`, "≥ 0.8×", yes(i.ratio >= 0.8)]);
    rows.push(["2 … Probot with one no-op handler (what Probot does per handled event)", `${i.noop.perSecond.toFixed(0)}/s`, `bare Probot ${i.bare.perSecond.toFixed(0)}/s`, `${i.noopRatio.toFixed(2)}×`, "—", "—"]);
    rows.push(["2 … acknowledged (👀 + comment + queued) per second, window + drain", `${i.bot.ackedPerSecond.toFixed(0)}/s`, `bare Probot ${i.bare.perSecond.toFixed(0)}/s`, `${(i.bot.ackedPerSecond / i.bare.perSecond).toFixed(2)}×`, "—", "—"]);
  }
  if (r.e2e) {
    const e = r.e2e;
    rows.push(["3 issue → PR wall time (median)", ms(e.botMedianMs), `plain-run.sh ${ms(e.plainMedianMs)}`, `${e.ratio.toFixed(2)}×`, "≤ 1.15×", yes(e.ratio <= 1.15)]);
    rows.push(["3 the bot's added time (median of paired bot − plain)", ms(e.overheadMs), "—", "—", "—", "—"]);
  }
  if (r.followup) {
    const f = r.followup;
    const cli = f.cliAlone.toFirstRequest.p50;
    // The issue's figure 4 is "mention → Claude process started"; the first model request adds the CLI's own start-up.
    rows.push(["4 follow-up, live sandbox: mention → Claude process exec'd (p50)", ms(f.live.toExec.p50), `restored ${ms(f.restored.toExec.p50)}`, `${(f.live.toExec.p50 / f.restored.toExec.p50).toFixed(2)}×`, "≤ 300 ms", yes(f.live.toExec.p50 <= 300)]);
    rows.push(["4 … live: mention → first model request (p50; the CLI's start-up included)", ms(f.live.toFirstRequest.p50), `CLI alone ${ms(cli)}`, `${(f.live.toFirstRequest.p50 / cli).toFixed(2)}×`, "—", "—"]);
    rows.push(["4 follow-up, restored: mention → first model request (p50)", ms(f.restored.toFirstRequest.p50), `CLI alone ${ms(cli)}`, `${(f.restored.toFirstRequest.p50 / cli).toFixed(2)}×`, "—", "—"]);
  }
  if (r.warm) rows.push(...warmFollowUpRows(r.warm));
  if (r.e2e) {
    const [cold, ...warm] = r.e2e.api.perRun;
    const warmMax = warm.length ? Math.max(...warm) : cold!;
    rows.push(["5 GitHub API requests per issue → PR run (first run / later runs)", `${cold} / ${warm.length ? `${Math.min(...warm)}–${warmMax}` : "—"}`, "plain-run.sh 2 (mint + PR)", `${(warmMax / 2).toFixed(1)}×`, "≤ 10", yes(cold! <= 10 && warmMax <= 10)]);
    const slow = r.e2e.api.slowRun;
    if (slow) rows.push([`5 … a later run with each model reply delayed ${slow.modelDelayMs / 1000} s (${(slow.durationMs / 1000).toFixed(1)} s run)`, String(slow.total), "plain-run.sh 2", `${(slow.total / 2).toFixed(1)}×`, "≤ 10", yes(slow.total <= 10)]);
  }
  if (r.memory) {
    const m = r.memory;
    rows.push([`6 bot RSS with ${m.inFlight} runs in flight`, `${m.inFlightRssMiB.toFixed(0)} MiB (peak ${m.peakRssMiB.toFixed(0)})`, `idle ${m.idleRssMiB.toFixed(0)} MiB`, `${(m.inFlightRssMiB / m.idleRssMiB).toFixed(2)}×`, "≤ 300 MB", yes(m.peakRssMiB * 1.048576 <= 300)]);
    rows.push([`6 its ${m.children.claudeCount} Claude processes (children)`, `${(m.children.rssMiB / 1024).toFixed(1)} GiB RSS, ${(m.children.pssMiB / 1024).toFixed(1)} GiB PSS`, "—", "—", "(reported)", "—"]);
  }
  if (r.gateway) {
    const g = r.gateway;
    const t = g.ttfb;
    rows.push(["7 gateway: added time to first byte p50 / p99 (streaming /v1/messages)", `${plus(t.addedP50Ms)} / ${plus(t.addedP99Ms)} ms (${t.gateway.p50.toFixed(1)} / ${ms1(t.gateway.p99)})`, `direct ${t.direct.p50.toFixed(1)} / ${ms1(t.direct.p99)}`, `${(t.gateway.p99 / t.direct.p99).toFixed(2)}×`, "added p99 ≤ 5 ms", yes(t.addedP99Ms <= 5)]);
    rows.push(["7 … the same handler on a plain node:http server (no Probot request log)", `${plus(t.bareAddedP50Ms)} / ${plus(t.bareAddedP99Ms)} ms (${t.bare.p50.toFixed(1)} / ${ms1(t.bare.p99)})`, `direct ${t.direct.p50.toFixed(1)} / ${ms1(t.direct.p99)}`, `${(t.bare.p99 / t.direct.p99).toFixed(2)}×`, "—", "—"]);
    rows.push(["7 … no gateway: a bare relay process (key swapped, bodies piped; the hop alone)", `${plus(t.pipeAddedP50Ms)} / ${plus(t.pipeAddedP99Ms)} ms (${t.pipe.p50.toFixed(1)} / ${ms1(t.pipe.p99)})`, `direct ${t.direct.p50.toFixed(1)} / ${ms1(t.direct.p99)}`, `${(t.pipe.p99 / t.direct.p99).toFixed(2)}×`, "—", "—"]);
    rows.push(["7 … the gateway's own share: gateway − relay, p50 / p99", `${plus(t.gateway.p50 - t.pipe.p50)} / ${plus(t.gateway.p99 - t.pipe.p99)} ms`, `relay ${t.pipe.p50.toFixed(1)} / ${ms1(t.pipe.p99)}`, "—", "—", "—"]);
    const cpu = g.cpuMsPerRequest;
    rows.push(["7 … CPU per request of the process serving it (all its threads)", `gateway ${cpu.gateway!.toFixed(2)} ms (bare ${cpu.bare!.toFixed(2)})`, `relay ${cpu.pipe!.toFixed(2)} ms`, `${(cpu.gateway! / cpu.pipe!).toFixed(1)}×`, "—", "—"]);
    rows.push([`7 … added total time per request (p50; ${g.sseEvents} events ${g.eventGapMs} ms apart)`, `${plus(g.total.addedP50Ms)} ms (${ms1(g.total.gateway.p50)}; bare ${plus(g.total.bareAddedP50Ms)}, relay ${plus(g.total.pipeAddedP50Ms)})`, `direct ${ms1(g.total.direct.p50)}`, `${(g.total.gateway.p50 / g.total.direct.p50).toFixed(2)}×`, "—", "—"]);
    const m = g.memory;
    rows.push([`7 gateway process RSS with ${m.streams} concurrent streams`, `${m.streamingRssMiB.toFixed(0)} MiB (peak ${m.peakRssMiB.toFixed(0)}), ${plus(m.peakAddedMiB)} MiB at peak`, `idle ${m.idleRssMiB.toFixed(0)} MiB`, `${(m.peakRssMiB / m.idleRssMiB).toFixed(2)}×`, "≤ +40 MB over idle", yes(m.peakAddedMiB * 1.048576 <= 40)]);
    const c = g.cli;
    rows.push([`7 … Claude CLI run (${c.modelRequestsPerRun} model request${c.modelRequestsPerRun === 1 ? "" : "s"}) through the gateway, median`, ms(median(c.gatewayMs)), `CLI direct ${ms(median(c.directMs))}`, `${(median(c.gatewayMs) / median(c.directMs)).toFixed(2)}×`, "(reported)", `paired ${plus(c.pairedAddedMs)} ms`]);
  }
  if (r.fairshare) rows.push(...fairShareRows(r.fairshare, settings.fairshare));
  if (r.snapshots) rows.push(...snapshotRows(r.snapshots));
  if (r.pool) rows.push(...poolRows(r.pool));
  const header: Row = ["figure", "ours", "baseline", "ratio", "target", "met?"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (row: Row) => `| ${row.map((c, i) => c.padEnd(widths[i]!)).join(" | ")} |`;
  const table = [line(header), `|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`, ...rows.map(line)];
  if (r.intake) table.push("", `intake CPU per delivery: bot ${r.intake.bot.cpuMsPerDelivery.toFixed(2)} ms (acknowledgement included), bare Probot ${r.intake.bare.cpuMsPerDelivery.toFixed(2)} ms, no-op handler ${r.intake.noop.cpuMsPerDelivery.toFixed(2)} ms; ${r.intake.githubRequestsPerDelivery.toFixed(1)} GitHub requests per bot delivery`);
  if (r.e2e) table.push(`issue → PR: bot ${r.e2e.botMs.join(", ")} ms; plain ${r.e2e.plainMs.join(", ")} ms`);
  if (r.gateway) {
    const g = r.gateway;
    table.push(
      `gateway: ${g.requestBodyBytes}-byte request (the CLI's own); paired TTFB difference p50/p99 ${plus(g.ttfb.paired.p50)}/${plus(g.ttfb.paired.p99)} ms; ` +
        `waiting for a CPU per round (ms): ${Object.entries(g.runQueueWaitMsPerRequest).map(([k, v]) => `${k} ${v.toFixed(2)}`).join(", ")}; ` +
        `${(g.incrementalShare * 100).toFixed(0)} % of streams had their first event ≥ 3 pauses before the end; metered ${g.metering.meteredRequests ?? "?"} of ${g.metering.sentThroughGateway} requests; ` +
        `${g.memory.streams} streams open ${Math.round(g.memory.rampMs)} ms after the first was sent, ${g.memory.openAtLastSample} still open at the last sample; CLI direct ${g.cli.directMs.join(", ")} ms, gateway ${g.cli.gatewayMs.join(", ")} ms`,
    );
  }
  if (r.experiments) {
    const x = r.experiments as {
      ack: Record<string, { ack: Latency }>;
      intake: Record<string, { perSecond: number; ratio?: number; cpuMsPerDelivery: number }>;
      e2e: Record<string, { medianMs: number; ratio: number; overheadMs: number }> & { plainMedianMs: number };
      followup: Record<string, { liveToExec: Latency; liveToFirstRequest: Latency }>;
    };
    table.push("", "what-if, stock vs the preloaded experiments (not the shipped code):");
    for (const name of Object.keys(x.ack)) {
      const a = x.ack[name]!.ack;
      const i = x.intake[name];
      const e = x.e2e[name];
      const f = x.followup[name];
      table.push(
        `  ${name.padEnd(17)} ack (ROLE=web) p50/p99 ${ms(a.p50)}/${ms(a.p99)}` +
          (i ? `; intake ${i.perSecond.toFixed(0)}/s (${(i.ratio ?? 0).toFixed(2)}× bare, ${i.cpuMsPerDelivery.toFixed(2)} ms CPU each)` : "") +
          (e ? `; issue → PR ${ms(e.medianMs)} (${e.ratio.toFixed(2)}× plain ${ms(x.e2e.plainMedianMs)}, +${ms(e.overheadMs)} paired)` : "") +
          (f ? `; follow-up live → exec ${ms(f.liveToExec.p50)}, → first request ${ms(f.liveToFirstRequest.p50)}` : ""),
      );
    }
  }
  const foreign = Object.entries(r.foreignCpu).map(([k, v]) => `${k} ${v.meanCores.toFixed(2)}/${v.stolenCores.toFixed(2)}`).join(", ");
  table.push(`noise while measuring, cores used by other processes / stolen by the hypervisor (mean): ${foreign}`);
  const noisy = Object.entries(r.foreignCpu).filter(([, v]) => v.meanCores + v.stolenCores > 0.1);
  if (noisy.length) table.push(`note: ${noisy.map(([k]) => k).join(", ")} ran with more than 0.1 cores taken by others: absolute times are inflated there; the ratios (interleaved baselines) hold better`);
  return table.join("\n");
}

function fairShareRows(f: FairShareResult, o: typeof settings.fairshare): Row[] {
  const slots = `${o.concurrency} slots, ${o.flood} of A's queued`;
  return [
    [`8 fair share, ${slots}, no cap: B's mention → started once a slot frees (p50)`, ms1(f.flooded.slotFreedToStart.p50), `empty queue ${ms1(f.empty.p50)}`, `${(f.flooded.slotFreedToStart.p50 / f.empty.p50).toFixed(1)}×`, "next start is B's", yes(f.flooded.startsBeforeB.every((n) => n === o.concurrency))],
    [`8 … B's whole wait (all slots were A's; a first-come queue: ≈ ${ms(f.firstComeWaitMs)})`, ms(f.flooded.toStart.p50), `empty queue ${ms1(f.empty.p50)}`, `${(f.flooded.toStart.p50 / f.firstComeWaitMs).toFixed(2)}× first-come`, "—", "—"],
    [`8 … MAX_RUNS_PER_INSTALLATION=${f.capped.cap}: B's mention → started (p50)`, ms1(f.capped.toStart.p50), `empty queue ${ms1(f.empty.p50)}`, `${(f.capped.toStart.p50 / f.empty.p50).toFixed(2)}×`, "—", yes(f.capped.startsBeforeB.every((n) => n === f.capped.cap))],
  ];
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
